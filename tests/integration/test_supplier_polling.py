"""Polling suppliers into the database (SQLite and PostgreSQL): snapshots, changes, failures that
keep the last good data, and dates for SKUs and open backorders."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connector.bootstrap import supplier_client
from connector.capture.capture import capture_order
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain.errors import ConfigError, InvalidPayload
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.dates import refresh_dates
from connector.supply.history import supplier_history
from connector.supply.models import SkuEta, StoreSku, SupplierChange, SupplierSnapshot, SupplierStock
from connector.supply.repository import SupplyRepository
from sandbox.serve import serve_in_thread
from sandbox.supplier_sim import SupplierSimulator
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform

FAST = {"retry_base_delay": 0.01, "max_attempts": 2, "timeout_seconds": 2}
FRIDAY = date(2026, 11, 27)


@pytest.fixture
def uow(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def box():
    return CredentialBox(generate_key())


@pytest.fixture
def shop_id(uow, box):
    return add_shop(uow, box, Platform.SHOPIFY, "store.myshopify.com", ShopCredentials(access_token="t")).id


@pytest.fixture
def sim():
    sim = SupplierSimulator({"auth": {"type": "bearer", "token": "tok"}, "items": [
        {"sku": "SKU-A", "quantity": 0, "restock_date": "2026-12-10"},
        {"sku": "SKU-B", "quantity": 5},
        {"sku": "SKU-C", "quantity": 0, "lead_time_days": 7}]})
    server = serve_in_thread(sim.app)
    sim.url = server.url  # type: ignore[attr-defined]
    yield sim
    server.stop()


def add_api_supplier(uow, box, shop_id, sim, **extra) -> int:
    return suppliers.add_supplier(uow, box, shop_id, {
        "name": "acme", "kind": "http_json", "handling_days": 1, "transit_days": 2,
        "settings": {"url": sim.url + "/api/pages", "items_path": "items", "auth": {"type": "bearer"},
                     "pagination": {"type": "page", "page_size": 2}, "schedule": {"interval_minutes": 1}, **FAST},
        "secret": {"token": "tok"}, **extra}, clients=supplier_client)


def stock(uow, supplier_id) -> dict[str, tuple]:
    with uow:
        return {r.sku: (r.quantity, r.restock_date, r.lead_time_days)
                for r in uow.session.scalars(select(SupplierStock).where(SupplierStock.supplier_id == supplier_id))}


def count(uow, model) -> int:
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_a_poll_stores_stock_a_snapshot_and_the_changes(uow, box, shop_id, sim) -> None:
    supplier_id = add_api_supplier(uow, box, shop_id, sim)
    report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert (report.status, report.rows_total, report.rows_changed) == ("ok", 3, 3)
    assert stock(uow, supplier_id) == {"SKU-A": (0, date(2026, 12, 10), None), "SKU-B": (5, None, None),
                                       "SKU-C": (0, None, 7)}
    assert count(uow, SupplierChange) == 0  # a first load: its history is its snapshot (connector/supply/history.py)
    with uow:
        assert sorted(c.sku for c in supplier_history(uow.session, supplier_id)) == ["SKU-A", "SKU-B", "SKU-C"]


def test_the_secret_is_stored_encrypted(uow, box, shop_id, sim) -> None:
    supplier_id = add_api_supplier(uow, box, shop_id, sim)
    with uow:
        row = uow.repo(SupplyRepository).supplier(supplier_id)
        assert "tok" not in (row.secret or "") and "tok" not in row.settings
        assert box.open_json(row.secret) == {"token": "tok"}


def test_an_unchanged_supplier_costs_no_writes_and_a_change_is_one_history_row(uow, box, shop_id, sim) -> None:
    supplier_id = add_api_supplier(uow, box, shop_id, sim)
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    again = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert (again.status, again.rows_changed) == ("unchanged", 0)
    sim.set_stock({"sku": "SKU-A", "restock_date": "2026-12-20"})
    third = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert (third.status, third.rows_changed) == ("ok", 1)
    with uow:
        change = uow.session.scalars(select(SupplierChange).order_by(SupplierChange.id.desc())).first()
        assert (change.sku, change.previous_restock_date, change.restock_date) == (
            "SKU-A", date(2026, 12, 10), date(2026, 12, 20))
    history = suppliers.last_snapshots(uow, supplier_id)
    assert [s["status"] for s in history] == ["ok", "ok"]  # an unchanged poll leaves no snapshot


def test_a_failing_supplier_keeps_its_last_good_data_and_alerts(uow, box, shop_id, sim) -> None:
    supplier_id = add_api_supplier(uow, box, shop_id, sim)
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    before = stock(uow, supplier_id)
    alerts: list[suppliers.SupplierFailure] = []
    suppliers.FAILURE_HOOKS.append(alerts.append)
    try:
        sim.inject(status=503, count=10)
        report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
        report2 = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    finally:
        suppliers.FAILURE_HOOKS.remove(alerts.append)
    assert report.status == report2.status == "failed"
    assert stock(uow, supplier_id) == before
    assert [a.consecutive_failures for a in alerts] == [1, 2]
    listed = suppliers.list_suppliers(uow, shop_id)[0]
    assert listed["consecutive_failures"] == 2 and "503" in listed["last_error"]
    sim.faults.clear()
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status in ("ok", "unchanged")
    assert suppliers.list_suppliers(uow, shop_id)[0]["consecutive_failures"] == 0


def feed_supplier(uow, box, shop_id, path: Path) -> int:
    return suppliers.add_supplier(uow, box, shop_id, {"name": "feed", "kind": "feed",
                                                      "settings": {"source": str(path)}}, clients=supplier_client)


def test_a_shorter_feed_never_wipes_known_stock(uow, box, shop_id, tmp_path) -> None:
    feed = tmp_path / "f.csv"
    feed.write_text("sku,quantity\nA,1\nB,2\nC,3\n")
    supplier_id = feed_supplier(uow, box, shop_id, feed)
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    feed.write_text("sku,quantity\nA,4\n")
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert stock(uow, supplier_id) == {"A": (4, None, None), "B": (2, None, None), "C": (3, None, None)}


def test_a_bad_feed_changes_nothing_and_is_recorded(uow, box, shop_id, tmp_path) -> None:
    feed = tmp_path / "f.csv"
    feed.write_text("sku,quantity\nA,1\nB,2\n")
    supplier_id = feed_supplier(uow, box, shop_id, feed)
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    feed.write_text("sku,quantity\n" + "".join(f"S{n},x\n" for n in range(30)) + "A,9\n")
    report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert report.status == "failed" and "30 of 31 rows are bad" in (report.error or "")
    assert stock(uow, supplier_id) == {"A": (1, None, None), "B": (2, None, None)}
    feed.write_text("product,quantity\nA,1\n")
    assert "no sku column" in (suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).error or "")


def test_a_few_bad_rows_are_skipped_and_listed_on_the_snapshot(uow, box, shop_id, tmp_path) -> None:
    feed = tmp_path / "f.csv"
    feed.write_text("sku,quantity\nA,1\nB,many\nC,3\n")
    supplier_id = feed_supplier(uow, box, shop_id, feed)
    report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert (report.status, report.rows_total, report.rows_bad) == ("ok", 3, 1)
    with uow:
        snapshot = uow.session.get(SupplierSnapshot, report.snapshot_id)
        assert json.loads(snapshot.bad_rows) == [{"line": 3, "reason": "quantity: not a number: 'many'"}]


def test_a_supplier_spec_is_checked_before_it_is_stored(uow, box, shop_id) -> None:
    with pytest.raises(ConfigError, match="url"):
        suppliers.add_supplier(uow, box, shop_id, {"name": "x", "kind": "http_json", "settings": {"url": "ftp://x"}},
                               clients=supplier_client)
    with pytest.raises(ConfigError, match="cron"):
        suppliers.add_supplier(uow, box, shop_id, {"name": "x", "kind": "feed", "settings": {
            "source": "/tmp/x.csv", "schedule": {"cron": "every minute"}}}, clients=supplier_client)
    with pytest.raises(InvalidPayload, match="unknown supplier field"):
        suppliers.add_supplier(uow, box, shop_id, {"name": "x", "kind": "feed", "colour": "red"},
                               clients=supplier_client)


def _open_backorder(uow: UnitOfWork) -> Backorder:
    """The one open backorder (in an open unit of work)."""
    return uow.session.scalars(select(Backorder).where(Backorder.status == "open")).one()


def test_dates_follow_the_supplier_and_open_backorders_carry_them(uow, box, shop_id, sim) -> None:
    supplier_id = add_api_supplier(uow, box, shop_id, sim)
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    with uow:
        for sku, available in (("SKU-A", -2), ("SKU-B", 0), ("SKU-C", 0), ("SKU-D", 4)):
            uow.session.add(StoreSku(shop_id=shop_id, sku=sku, product_id="p" + sku, variant_id=sku[-1],
                                     available=available))
        uow.commit()
    platform = FakePlatform({"A": -2})
    capture_order(uow, platform, shop_id, OrderBuilder("1").line("A", 2).build())
    report = refresh_dates(uow, shop_id, today=FRIDAY, set_promised=True)
    assert sorted(report.changed_skus) == ["SKU-A", "SKU-B", "SKU-C", "SKU-D"]
    with uow:
        etas = {r.sku: (r.expected_date, r.source, r.page_date) for r in uow.session.scalars(select(SkuEta))}
        backorder = _open_backorder(uow)
        assert (backorder.expected_date, backorder.promised_date) == (date(2026, 12, 13), date(2026, 12, 13))
    assert etas == {"SKU-A": (date(2026, 12, 13), "supplier_restock", date(2026, 12, 13)),
                    "SKU-B": (date(2026, 11, 30), "supplier_stock", date(2026, 11, 30)),
                    "SKU-C": (date(2026, 12, 7), "lead_time", date(2026, 12, 7)),
                    "SKU-D": (FRIDAY, "store_stock", None)}
    assert refresh_dates(uow, shop_id, today=FRIDAY).changed_skus == []  # a rerun changes nothing
    sim.set_stock({"sku": "SKU-A", "restock_date": "2026-12-20"})
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    slipped = refresh_dates(uow, shop_id, today=FRIDAY, set_promised=True)
    assert slipped.changed_skus == ["SKU-A"] and len(slipped.backorders_changed) == 1
    with uow:
        backorder = _open_backorder(uow)
        assert (backorder.expected_date, backorder.promised_date) == (date(2026, 12, 23), date(2026, 12, 13))


def test_the_promised_date_is_left_to_the_notify_feature_unless_asked(uow, box, shop_id, sim) -> None:
    supplier_id = add_api_supplier(uow, box, shop_id, sim)
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    with uow:
        uow.session.add(StoreSku(shop_id=shop_id, sku="SKU-A", product_id="pA", variant_id="A", available=-1))
        uow.commit()
    capture_order(uow, FakePlatform({"A": -1}), shop_id, OrderBuilder("1").line("A", 1).build())
    refresh_dates(uow, shop_id, today=FRIDAY)
    with uow:
        backorder = _open_backorder(uow)
        assert (backorder.expected_date, backorder.promised_date) == (date(2026, 12, 13), None)
