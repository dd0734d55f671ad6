"""Freshness (issue 17 item 3), SQLite and PostgreSQL: a supplier's pushed rows are filtered by the shop's
catalogue like a poll's (read from the store first, the Shopify simulator on loopback, when it never was;
postponed while the store cannot be read); after a poll only the SKUs it changed get their dates
recomputed, with the same result as recomputing the whole shop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from adapters.shopify.catalog import ShopifyCatalog
from adapters.shopify.client import ShopifyGraphQL
from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import dates, suppliers
from connector.supply.models import SkuEta, SupplierStock
from connector.supply.push import ClaimedPush, store_rows
from sandbox.runner import start_sandbox

SHOP, TOKEN = "fresh-paths.myshopify.com", "shpat_paths"
SOLD = [f"S-{n:03d}" for n in range(0, 40, 2)]  # the store sells the even SKUs; the supplier lists 40
TODAY = date(2026, 12, 3)


@pytest.fixture
def env(database_url: str) -> Iterator[dict[str, Any]]:
    sandbox = start_sandbox({"shopify": {"api_secret": "s", "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": TOKEN, "products": [{"title": f"P {sku}", "variants": [
            {"sku": sku, "price": "5.00", "inventory_quantity": 0, "inventory_policy": "CONTINUE"}]}
            for sku in SOLD]}]}})
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    shop_id = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token=TOKEN)).id
    supplier_id = suppliers.add_supplier(uow, box, shop_id, {
        "name": "pusher", "kind": "http_json", "handling_days": 1, "transit_days": 2,
        "settings": {"url": "http://127.0.0.1:9/never-polled"}}, clients=supplier_client)
    reads: list[int] = []

    def catalogue(shop: int) -> ShopifyCatalog:  # the container's catalog_for, on the simulator
        reads.append(shop)
        return ShopifyCatalog(ShopifyGraphQL(SHOP, TOKEN, api_base=sandbox.shopify_url))

    yield {"uow": uow, "box": box, "shop": shop_id, "supplier": supplier_id, "catalogue": catalogue,
           "reads": reads}
    sandbox.stop()
    engine.dispose()


def a_push(env: dict[str, Any], rows: list[dict[str, Any]]) -> ClaimedPush:
    body = json.dumps({"id": "evt-1", "sent_at": datetime.now(UTC).isoformat(), "rows": rows}).encode()
    return ClaimedPush(1, env["supplier"], env["shop"], "rows", body)


def whole_range(day: str = "2027-01-10") -> list[dict[str, Any]]:
    return [{"sku": f"S-{n:03d}", "quantity": 0, "restock_date": day} for n in range(40)]


def stored(uow: UnitOfWork, supplier_id: int) -> list[str]:
    with uow:
        return sorted(uow.session.scalars(select(SupplierStock.sku).where(SupplierStock.supplier_id == supplier_id)))


def test_a_push_of_the_whole_range_to_a_shop_never_read_stores_only_the_skus_it_sells(env) -> None:
    report = store_rows(env["uow"], env["box"], a_push(env, whole_range()), clients=supplier_client,
                        wait_seconds=0, catalogue=env["catalogue"])
    assert (report.status, report.rows_changed, report.rows_not_sold) == ("ok", 20, 20)
    assert env["reads"] == [env["shop"]]  # the catalogue was read first, once
    assert stored(env["uow"], env["supplier"]) == SOLD


def test_a_push_to_a_shop_whose_store_cannot_be_read_is_postponed_and_stores_nothing(env) -> None:
    def down(shop: int) -> ShopifyCatalog:
        return ShopifyCatalog(ShopifyGraphQL(SHOP, TOKEN, api_base="http://127.0.0.1:9", sleep=lambda _: None))

    report = store_rows(env["uow"], env["box"], a_push(env, whole_range()), clients=supplier_client,
                        wait_seconds=0, catalogue=down)
    assert report.status == "postponed" and stored(env["uow"], env["supplier"]) == []


def page_dates(uow: UnitOfWork, shop_id: int) -> dict[str, tuple[Any, ...]]:
    with uow:
        return {e.sku: (e.expected_date, e.source, e.supplier_id, e.page_date)
                for e in uow.session.scalars(select(SkuEta).where(SkuEta.shop_id == shop_id))}


def test_after_a_poll_only_the_skus_it_changed_are_recomputed_and_agree_with_the_whole_shop(env) -> None:
    uow, shop_id = env["uow"], env["shop"]
    first = store_rows(uow, env["box"], a_push(env, whole_range()), clients=supplier_client, wait_seconds=0,
                       catalogue=env["catalogue"])
    assert len(dates.refresh_dates(uow, shop_id, today=TODAY).changed_skus) == 20
    now = datetime.now(UTC)
    with uow:  # a waiting backorder of a SKU the next push moves, and one of a SKU it leaves alone
        for n, sku in enumerate(("S-004", "S-010"), start=1):
            uow.session.add(Order(id=n, shop_id=shop_id, platform_order_id=str(n), name=f"#{n}", status="open",
                                  ordered_at=now, platform_updated_at=now, needs_mark=False, captured_at=now))
            uow.session.add(OrderLine(id=n, shop_id=shop_id, order_id=n, platform_line_id=str(n), sku=sku,
                                      stock_key=sku, title=sku, quantity=1, quantity_fulfilled=0))
            uow.session.add(Backorder(id=n, shop_id=shop_id, order_line_id=n, sku=sku, quantity_backordered=1,
                                      status="open", expected_date=date(2027, 1, 13)))
        uow.commit()
    moved = [{"sku": sku, "quantity": 0, "restock_date": "2027-03-01"} for sku in ("S-002", "S-004", "S-005")]
    report = store_rows(uow, env["box"], a_push(env, moved), clients=supplier_client, wait_seconds=0,
                        catalogue=env["catalogue"])
    assert report.snapshot_id != first.snapshot_id and report.rows_changed == 2  # S-005 is not sold
    changed = dates.changed_skus(uow, shop_id, report.snapshot_id)
    assert sorted(changed or []) == ["S-002", "S-004"]
    some = dates.refresh_dates(uow, shop_id, today=TODAY, skus=changed)
    assert (some.skus, sorted(some.changed_skus), len(some.backorders_changed)) == (2, ["S-002", "S-004"], 1)
    after_some = page_dates(uow, shop_id)
    assert after_some["S-002"][0] == date(2027, 3, 4) and after_some["S-006"][0] == date(2027, 1, 13)
    whole = dates.refresh_dates(uow, shop_id, today=TODAY)  # the whole shop finds nothing left to change
    assert (whole.skus, whole.changed_skus, whole.backorders_changed) == (20, [], [])
    assert page_dates(uow, shop_id) == after_some
    with uow:
        waiting = {b.sku: b.expected_date for b in uow.session.scalars(select(Backorder))}
    assert waiting == {"S-004": date(2027, 3, 4), "S-010": date(2027, 1, 13)}


def test_a_snapshot_of_another_shop_or_too_many_changes_asks_for_the_whole_shop(env, monkeypatch) -> None:
    uow, shop_id = env["uow"], env["shop"]
    report = store_rows(uow, env["box"], a_push(env, whole_range()), clients=supplier_client, wait_seconds=0,
                        catalogue=env["catalogue"])
    assert dates.changed_skus(uow, shop_id + 1000, report.snapshot_id) is None
    assert dates.changed_skus(uow, shop_id, 10**9) is None
    assert sorted(dates.changed_skus(uow, shop_id, report.snapshot_id) or []) == SOLD
    monkeypatch.setattr(dates, "MAX_CHANGED_SKUS", 19)
    assert dates.changed_skus(uow, shop_id, report.snapshot_id) is None
