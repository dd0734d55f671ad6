"""A SKU listed twice in one feed, its two lines in different chunks (SQLite and PostgreSQL): the later line
wins, and the poll's history holds what the poll changed, not the earlier line's values. The chunks here
hold 2 rows, so any two lines of a SKU fall in different ones, as lines more than a chunk apart do in a
big feed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.feed_repository import FeedRepository
from connector.supply.models import StoreSku, SupplierChange, SupplierStock

HEADER = "sku,quantity,restock_date,lead_time_days\n"
FILLER = "".join(f"F-{n},{n},,3\n" for n in range(7))
"""Seven SKUs as the first poll stores them."""
MOVED = "".join(f"F-{n},{n + 100},,3\n" for n in range(7))
"""The seven changed: lines read (not skipped as stored) between a SKU's two, more than a chunk."""
STORED = "X,5,2027-01-10,3\n"


def shop_and_supplier(uow: UnitOfWork, box: CredentialBox, domain: str, skus: list[str], source: Path) -> int:
    """A shop selling ``skus`` with a feed supplier reading ``source``; the supplier's id."""
    shop_id = add_shop(uow, box, Platform.SHOPIFY, domain, ShopCredentials(access_token="t")).id
    with uow:
        uow.session.add_all([StoreSku(shop_id=shop_id, sku=sku, product_id="p", variant_id="v") for sku in skus])
        uow.commit()
    settings = {"name": "acme", "kind": "feed", "settings": {"source": str(source)}}
    return suppliers.add_supplier(uow, box, shop_id, settings, clients=supplier_client)


@pytest.fixture
def poll(database_url, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Poll a feed text for a shop selling X, Y and the filler SKUs; X stored from a first poll of ``STORED``."""
    monkeypatch.setattr(FeedRepository, "CHUNK_ROWS", {"postgresql": 2, "sqlite": 2})
    monkeypatch.setattr(FeedRepository, "FIRST_LOAD_CHUNK_ROWS", 2)
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    source = Path(tmp_path) / "feed.csv"
    supplier_id = shop_and_supplier(uow, box, "twice.myshopify.com", ["X", "Y", *(f"F-{n}" for n in range(7))], source)

    def run(text: str) -> tuple[int, dict[str, tuple[object, ...]], list[tuple[object, ...]]]:
        """(rows changed, stock by SKU, this poll's change rows of X and Y)."""
        source.write_text(HEADER + text)
        report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
        assert report.status == "ok", report.error
        with uow:
            rows = uow.session.scalars(select(SupplierStock).where(SupplierStock.supplier_id == supplier_id))
            stock = {row.sku: (row.quantity, row.restock_date, row.lead_time_days) for row in rows}
            changes = [(c.sku, c.quantity, c.restock_date, c.previous_quantity, c.previous_restock_date)
                       for c in uow.session.scalars(select(SupplierChange).where(
                           SupplierChange.snapshot_id == report.snapshot_id, SupplierChange.sku.in_(["X", "Y"]))
                           .order_by(SupplierChange.id))]
        return report.rows_changed, stock, changes

    run(STORED + FILLER)
    yield run
    engine.dispose()


def test_a_first_load_keeps_the_later_line_and_writes_no_change_row(database_url, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(FeedRepository, "FIRST_LOAD_CHUNK_ROWS", 2)
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    try:
        source = Path(tmp_path) / "feed.csv"
        source.write_text(HEADER + "X,1,2027-02-01,3\n" + FILLER + STORED)
        supplier_id = shop_and_supplier(uow, box, "first.myshopify.com", ["X", *(f"F-{n}" for n in range(7))], source)
        report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
        assert report.status == "ok" and report.rows_changed == 8  # X once, the 7 filler SKUs
        with uow:
            x = uow.session.scalars(select(SupplierStock).where(SupplierStock.sku == "X")).one()
            assert (x.quantity, x.restock_date, x.first_load_snapshot_id) == (5, date(2027, 1, 10), report.snapshot_id)
            assert uow.session.scalars(select(SupplierChange)).all() == []
    finally:
        engine.dispose()


def test_two_changes_of_a_stored_sku_make_one_change_row(poll) -> None:  # type: ignore[no-untyped-def]
    changed, stock, changes = poll("X,1,2027-02-01,3\n" + MOVED + "X,2,2027-03-01,4\n")
    assert stock["X"] == (2, date(2027, 3, 1), 4)
    assert changes == [("X", 2, date(2027, 3, 1), 5, date(2027, 1, 10))]
    assert changed == 1 + 7


def test_a_change_undone_by_the_later_line_leaves_no_change_row(poll) -> None:  # type: ignore[no-untyped-def]
    # the later line's text is not the stored line's (a space): it is read, and puts the values back
    changed, stock, changes = poll("X,1,2027-02-01,3\n" + MOVED + "X,5,2027-01-10, 3\n")
    assert stock["X"] == (5, date(2027, 1, 10), 3)
    assert changes == [] and changed == 7


def test_the_later_line_being_the_stored_line_wins_over_an_earlier_change(poll) -> None:  # type: ignore[no-untyped-def]
    # byte for byte the stored line: found among the stored lines when its block was read, before the
    # earlier line's chunk was stored; it must still win
    changed, stock, changes = poll("X,1,2027-02-01,3\n" + MOVED + STORED)
    assert stock["X"] == (5, date(2027, 1, 10), 3)
    assert changes == [] and changed == 7


def test_a_new_sku_listed_twice_makes_one_change_row_with_the_later_values(poll) -> None:  # type: ignore[no-untyped-def]
    changed, stock, changes = poll(STORED + "Y,1,,3\n" + MOVED + "Y,4,2027-05-01,3\n")
    assert stock["Y"] == (4, date(2027, 5, 1), 3)
    assert changes == [("Y", 4, date(2027, 5, 1), None, None)]
    assert changed == 1 + 7


def test_a_lead_time_changed_twice_keeps_one_change_row(poll) -> None:  # type: ignore[no-untyped-def]
    changed, stock, changes = poll("X,5,2027-01-10,9\n" + MOVED + "X,5,2027-01-10,8\n")
    assert stock["X"] == (5, date(2027, 1, 10), 8)
    assert changes == [("X", 5, date(2027, 1, 10), 5, date(2027, 1, 10))] and changed == 1 + 7
