"""A shop's first supplier poll (issue 17 item 5), on SQLite and PostgreSQL: it reads the shop's
catalogue from the store (the Shopify simulator on loopback) first and stores only the SKUs sold;
a store that cannot be read postpones it (nothing stored, no failure counted) until it can; a store
read empty stores nothing; a first load (written beside the reading, compared with nothing)
stores the same rows, history and fingerprints as the general path; migration 0035 both ways, and
a deleted shop still takes its supplier rows with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, inspect, select

from adapters.shopify.catalog import ShopifyCatalog
from adapters.shopify.client import ShopifyGraphQL
from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import alembic_config, make_engine, upgrade
from connector.db.models import Shop
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.feed_repository import FeedRepository
from connector.supply.history import supplier_history
from connector.supply.models import CatalogRead, StoreSku, SupplierChange, SupplierSnapshot, SupplierStock
from connector.supply.repository import SupplyRepository
from sandbox.runner import start_sandbox

SHOP, TOKEN = "first.myshopify.com", "shpat_first"
HEADER = "sku,quantity,restock_date,lead_time_days\n"


def seed(skus: list[str]) -> dict[str, Any]:
    return {"shopify": {"api_secret": "s", "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": TOKEN,
        "products": [{"title": f"Product {sku}", "variants": [
            {"sku": sku, "price": "5.00", "inventory_quantity": 0, "inventory_policy": "DENY"}]} for sku in skus]}]}}


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    sandbox = start_sandbox(seed(["S-0003", "S-0010", "S-0042"]))
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    shop_id = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token=TOKEN)).id
    feed = tmp_path / "feed.csv"
    feed.write_text(HEADER + "".join(f"S-{n:04d},{n % 7},,{n % 5}\n" for n in range(100)))
    supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "big", "kind": "feed",
                                                             "settings": {"source": str(feed)}},
                                         clients=supplier_client)
    reads: list[int] = []

    def catalogue(shop: int) -> ShopifyCatalog:  # the container's catalog_for, on the simulator
        reads.append(shop)
        return ShopifyCatalog(ShopifyGraphQL(SHOP, TOKEN, api_base=sandbox.shopify_url))

    yield {"sandbox": sandbox, "uow": uow, "box": box, "shop": shop_id, "supplier": supplier_id,
           "catalogue": catalogue, "reads": reads, "feed": feed}
    sandbox.stop()
    engine.dispose()


def stored(uow: UnitOfWork, supplier_id: int) -> list[str]:
    with uow:
        return list(uow.session.scalars(select(SupplierStock.sku).where(SupplierStock.supplier_id == supplier_id)
                                        .order_by(SupplierStock.sku)))


def test_the_first_poll_reads_the_catalogue_from_the_store_first_and_stores_only_the_skus_sold(env) -> None:
    uow = env["uow"]
    report = suppliers.poll_supplier(uow, env["box"], env["supplier"], clients=supplier_client,
                                     catalogue=env["catalogue"])
    assert (report.status, report.catalogue_read) == ("ok", True)
    assert env["reads"] == [env["shop"]]  # read once, before the supplier
    assert (report.rows_total, report.rows_changed, report.rows_not_sold) == (100, 3, 97)
    assert stored(uow, env["supplier"]) == ["S-0003", "S-0010", "S-0042"]
    with uow:
        assert uow.session.get(CatalogRead, env["shop"]).skus == 3
        assert len(uow.session.scalars(select(StoreSku).where(StoreSku.shop_id == env["shop"])).all()) == 3
        assert uow.session.scalars(select(SupplierChange)).all() == []  # the first load's history is its snapshot
        assert [c.sku for c in supplier_history(uow.session, env["supplier"])] == ["S-0003", "S-0010", "S-0042"]
    again = suppliers.poll_supplier(uow, env["box"], env["supplier"], clients=supplier_client,
                                    catalogue=env["catalogue"], keep_unchanged=True)
    assert again.status in ("ok", "unchanged") and env["reads"] == [env["shop"]]  # not read twice


def test_a_first_poll_is_postponed_while_the_store_cannot_be_read_and_runs_once_it_can(env) -> None:
    uow, shop_id = env["uow"], env["shop"]

    def down(shop: int) -> ShopifyCatalog:
        return ShopifyCatalog(ShopifyGraphQL(SHOP, TOKEN, api_base="http://127.0.0.1:9", sleep=lambda _: None))

    report = suppliers.poll_supplier(uow, env["box"], env["supplier"], clients=supplier_client, catalogue=down)
    assert (report.status, report.catalogue_read, report.error_type) == ("postponed", False, "CataloguePending")
    assert "store could not be read" in (report.error or "")
    assert stored(uow, env["supplier"]) == []  # not the expensive way: nothing stored
    with uow:
        supplier = uow.repo(SupplyRepository).supplier(env["supplier"])
        assert (supplier.consecutive_failures, supplier.last_error, supplier.poll_lease_until) == (0, None, None)
        [snapshot] = uow.session.scalars(select(SupplierSnapshot)).all()
        assert (snapshot.status, snapshot.rows_total) == ("postponed", 0) and "could not be read" in snapshot.error
        assert uow.session.get(CatalogRead, shop_id) is None
    report = suppliers.poll_supplier(uow, env["box"], env["supplier"], clients=supplier_client,
                                     catalogue=env["catalogue"])  # the store answers again
    assert (report.status, report.rows_changed) == ("ok", 3)
    assert stored(uow, env["supplier"]) == ["S-0003", "S-0010", "S-0042"]


def test_a_store_read_empty_stores_nothing(env) -> None:
    env["sandbox"].shopify.shop(SHOP).variants.clear()  # the store sells nothing (yet)
    uow = env["uow"]
    report = suppliers.poll_supplier(uow, env["box"], env["supplier"], clients=supplier_client,
                                     catalogue=env["catalogue"])
    assert (report.status, report.rows_changed, report.rows_not_sold) == ("ok", 0, 100)
    assert stored(uow, env["supplier"]) == []
    with uow:
        assert uow.session.get(CatalogRead, env["shop"]).skus == 0


# -- the first load's write path against the general one -----------------------------------------

def feed_lines(rows: int) -> list[str]:
    """Several chunks of SKUs, some listed twice (in the same chunk and chunks apart, the later line
    different or the same), some in three chunks (the third line different, or back to the first's), a bad
    line, dates and empty cells."""
    lines = [f"F-{n:06d},{n % 40 - 2},{'' if n % 3 else f'2027-01-{1 + n % 28:02d}'},{n % 30}" for n in range(rows)]
    lines += [f"F-{n:06d},{n % 40 + 5},2027-03-01,4" for n in range(0, rows, 997)]  # later and different
    lines += [lines[n] for n in range(5, rows, 1999)]  # later and the same
    thrice = range(11, rows // 3, 97)  # SKUs of the first third, again in the middle and at the end: 3 chunks
    lines[rows // 2:rows // 2] = [f"F-{n:06d},{n % 40 + 7},2027-02-01,2" for n in thrice]  # the middle: different
    lines += [f"F-{n:06d},{n % 40 + 9},2027-04-01,6" if k % 2 else lines[n]  # the third: different, or back
              for k, n in enumerate(thrice)]
    lines.insert(rows // 2, "F-BAD,x,,1")
    lines.insert(7, "F-000007,99,,1")  # in the same chunk as its first line
    return lines


def snapshot_of(uow: UnitOfWork, supplier_id: int) -> dict[str, Any]:
    with uow:
        mine = select(SupplierStock).where(SupplierStock.supplier_id == supplier_id, SupplierStock.sku != "OLD")
        stock = sorted((s.sku, s.quantity, s.restock_date, s.lead_time_days, s.dropship, s.unit_cost, s.line_hash)
                       for s in uow.session.scalars(mine))
        changes = sorted((c.sku, c.quantity, c.restock_date, c.previous_quantity, c.previous_restock_date)
                         for c in supplier_history(uow.session, supplier_id) if c.sku != "OLD")
        hashes = uow.repo(FeedRepository).line_hashes(supplier_id).known
    return {"stock": stock, "changes": changes, "hashes": hashes}


def test_a_first_load_stores_the_same_rows_history_and_fingerprints_as_the_general_path(database_url, tmp_path):
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    try:
        shop_id = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token=TOKEN)).id
        rows = 2 * FeedRepository.CHUNK_ROWS["postgresql" if database_url.startswith("postgresql") else "sqlite"] + 99
        lines = feed_lines(rows)
        with uow:
            sold = {line.split(",")[0] for line in lines[::2]} | {"OLD"}  # about half the SKUs
            uow.session.add_all([StoreSku(shop_id=shop_id, sku=sku, product_id="p", variant_id="v") for sku in sold])
            uow.commit()
        reports, ids = [], []
        for name in ("first-load", "general"):
            feed = tmp_path / f"{name}.csv"
            feed.write_text(HEADER + "\n".join(lines) + "\n")
            supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": name, "kind": "feed",
                                                                     "settings": {"source": str(feed)}},
                                                 clients=supplier_client)
            if name == "general":  # one row stored already: the poll compares every chunk with the database
                with uow:
                    uow.session.add(SupplierStock(shop_id=shop_id, supplier_id=supplier_id, sku="OLD", quantity=1))
                    uow.commit()
            reports.append(suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client))
            ids.append(supplier_id)
        first, general = reports
        assert first.status == general.status == "ok"
        assert (first.rows_total, first.rows_bad, first.rows_changed, first.rows_not_sold) == (
            general.rows_total, general.rows_bad, general.rows_changed, general.rows_not_sold)
        ours, theirs = snapshot_of(uow, ids[0]), snapshot_of(uow, ids[1])
        assert ours["stock"] == theirs["stock"] and len(ours["stock"]) > rows // 2 - 1
        assert first.rows_changed == len(ours["stock"])  # every sold SKU once, those listed twice too
        assert ours["changes"] == theirs["changes"]
        assert ours["hashes"] == theirs["hashes"] == {row[-1] for row in ours["stock"]}
        last = {cells[0]: cells for cells in (line.split(",") for line in lines)}  # a SKU's last line is stored
        assert {(sku, quantity, lead) for sku, quantity, _, lead, *_ in ours["stock"]} == {
            (sku, int(last[sku][1]), int(last[sku][3])) for sku, *_ in ours["stock"]}
    finally:
        engine.dispose()


def test_migration_0035_adds_catalogue_reads_and_drops_the_redundant_keys_and_goes_back(database_url) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0035")  # 0039 drops the supplier key too (test_supplier_stock_writes_migration.py)

        def keys(table: str) -> set[str]:
            return {fk["constrained_columns"][0] for fk in inspect(engine).get_foreign_keys(table)}

        assert (keys("supplier_stock"), keys("supplier_changes")) == ({"supplier_id"}, {"snapshot_id"})
        assert "catalog_reads" in inspect(engine).get_table_names()
        command.downgrade(alembic_config(engine), "0034")
        assert keys("supplier_stock") == {"shop_id", "supplier_id"}
        assert keys("supplier_changes") == {"shop_id", "supplier_id", "snapshot_id"}
        assert "catalog_reads" not in inspect(engine).get_table_names()
        upgrade(engine, "0035")
        assert (keys("supplier_stock"), keys("supplier_changes")) == ({"supplier_id"}, {"snapshot_id"})
    finally:
        engine.dispose()


def test_deleting_a_shop_still_deletes_its_supplier_stock_and_history(env) -> None:
    uow = env["uow"]
    suppliers.poll_supplier(uow, env["box"], env["supplier"], clients=supplier_client, catalogue=env["catalogue"])
    with uow:
        uow.session.execute(delete(Shop).where(Shop.id == env["shop"]))
        uow.commit()
    with uow:
        assert uow.session.scalars(select(SupplierStock)).all() == []
        assert uow.session.scalars(select(SupplierChange)).all() == []
        assert uow.session.scalars(select(CatalogRead)).all() == []
