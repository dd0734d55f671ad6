"""How a batch of arrivals is written (connector/restock/repository.py): a batch longer than one write
chunk, with a SKU arriving again in a later chunk, leaves every backorder with exactly the units it was
given; on PostgreSQL the chunks' writes are pipelined, and a write the database refuses still fails the
transaction with SQLAlchemy's IntegrityError. SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from connector.crypto import CredentialBox
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.restock.allocation import ARRIVALS_PER_WRITE, Arrival, allocate_arrivals
from connector.restock.models import Allocation, StockArrival
from connector.restock.repository import RestockRepository
from connector.shops import add_shop
from tests.support.statements import sent_statements

START = datetime(2026, 11, 1, tzinfo=UTC)


def shop_with_backorders(url: str, skus: int, per_sku: int, quantity: int) -> tuple[UnitOfWork, int]:
    """A shop whose every SKU has ``per_sku`` open backorders of ``quantity`` units, oldest first by id."""
    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    shop_id = add_shop(uow, CredentialBox(Fernet.generate_key().decode()), Platform.SHOPIFY,
                       "writes.myshopify.com", ShopCredentials(access_token="t")).id
    orders, lines, rows = [], [], []
    for n in range(skus * per_sku):
        sku, placed = f"SKU-{n % skus:03d}", START + timedelta(minutes=n)
        orders.append({"shop_id": shop_id, "platform_order_id": str(1000 + n), "name": f"#{n}", "status": "open",
                       "ordered_at": placed, "platform_updated_at": placed, "needs_mark": False,
                       "captured_at": placed})
        lines.append({"shop_id": shop_id, "platform_line_id": str(n), "sku": sku, "variant_id": sku,
                      "stock_key": sku, "title": sku, "quantity": quantity})
        rows.append({"shop_id": shop_id, "sku": sku, "stock_key": sku, "quantity_backordered": quantity,
                     "status": "open", "created_at": placed, "updated_at": placed, "quantity_allocated": 0})
    with engine.begin() as conn:
        for order, line, row in zip(orders, lines, rows, strict=True):
            order_id = conn.execute(insert(Order).returning(Order.id), order).scalar_one()
            line_id = conn.execute(insert(OrderLine).returning(OrderLine.id),
                                   {**line, "order_id": order_id}).scalar_one()
            conn.execute(insert(Backorder), {**row, "order_line_id": line_id})
    return uow, shop_id


def test_a_sku_arriving_again_in_a_later_chunk_leaves_each_backorder_with_what_it_was_given(database_url):
    skus = ARRIVALS_PER_WRITE + 5
    uow, shop_id = shop_with_backorders(database_url, skus, per_sku=2, quantity=3)
    first = [Arrival(f"SKU-{n:03d}", 4, "purchase_order", f"po:1:{n}") for n in range(skus)]
    # SKU-000 and SKU-001 again, in the second chunk: 2 more units each, to the backorder left partial
    again = [Arrival("SKU-000", 2, "purchase_order", "po:2:0"), Arrival("SKU-001", 1, "supplier_stock", "s:1")]
    with uow.shop_lock(shop_id), uow:
        reports = allocate_arrivals(uow, shop_id, first + again)
        uow.commit()
    assert [r.units_allocated for r in reports] == [4] * skus + [2, 1]
    with uow:
        backorders = {(b.sku, b.id): (b.quantity_allocated, b.status, b.expected_date is not None)
                      for b in uow.session.scalars(select(Backorder).order_by(Backorder.id))}
        allocations = uow.session.execute(select(func.count(), func.sum(Allocation.quantity))).one()
        arrivals = uow.session.scalar(select(func.count()).select_from(StockArrival))
    by_sku: dict[str, list[tuple[int, str, bool]]] = {}
    for (sku, _), value in sorted(backorders.items(), key=lambda item: item[0][1]):
        by_sku.setdefault(sku, []).append(value)
    assert by_sku["SKU-000"] == [(3, "allocated", True), (3, "allocated", True)]  # 3 + 1, then 2 more
    assert by_sku["SKU-001"] == [(3, "allocated", True), (2, "open", True)]
    assert by_sku["SKU-050"] == [(3, "allocated", True), (1, "open", True)]
    assert tuple(allocations) == (2 * skus + 2, 4 * skus + 3)
    assert arrivals == skus + 2


def one_allocation(uow):  # type: ignore[no-untyped-def]
    """The repository, one allocation of a unit to the shop's one backorder and that backorder's new state."""
    [backorder_id] = uow.session.scalars(select(Backorder.id))
    return (uow.repo(RestockRepository), [(backorder_id, 1, "purchase_order", "po:1:1")],
            [(backorder_id, 1, "open")])


def test_a_write_the_database_refuses_fails_the_transaction_with_sqlalchemys_integrity_error(database_url):
    uow, shop_id = shop_with_backorders(database_url, skus=1, per_sku=1, quantity=2)
    now = datetime.now(UTC)
    with uow:
        repo, given, backorder = one_allocation(uow)
        with pytest.raises(IntegrityError), repo.writes_in_flight():
            repo.write_allocations(shop_id, given, backorder, now, now.date())
            repo.write_allocations(shop_id, given, backorder, now, now.date())  # same key
        uow.rollback()
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Allocation)) == 0


def test_allocation_leaves_the_garbage_collector_as_it_found_it(database_url):
    uow, shop_id = shop_with_backorders(database_url, skus=2, per_sku=2, quantity=1)
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            with uow.shop_lock(shop_id), uow:
                allocate_arrivals(uow, shop_id, [Arrival("SKU-000", 1, "purchase_order", f"po:{enabled}")])
                uow.commit()
            assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_on_sqlite_the_chunks_are_written_by_another_thread_while_the_caller_ranks(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL pipelines the writes on the server instead")
    skus = 2 * ARRIVALS_PER_WRITE
    uow, shop_id = shop_with_backorders(database_url, skus, per_sku=1, quantity=1)
    with sent_statements(uow.engine) as seen, uow.shop_lock(shop_id), uow:
        reports = allocate_arrivals(uow, shop_id, [Arrival(f"SKU-{n:03d}", 1, "purchase_order", f"po:{n}")
                                                   for n in range(skus)])
        uow.commit()
    writers = {sent.thread for sent in seen if sent.sql.startswith(("UPDATE backorders", "INSERT INTO allocations"))}
    assert writers and threading.get_ident() not in writers
    assert sum(r.units_allocated for r in reports) == skus
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Allocation)) == skus
        assert set(uow.session.scalars(select(Backorder.status))) == {"allocated"}


def test_an_error_in_the_callers_block_waits_for_the_writes_and_is_the_one_raised(database_url):
    uow, shop_id = shop_with_backorders(database_url, skus=1, per_sku=1, quantity=2)
    now = datetime.now(UTC)
    with uow:
        repo, given, backorder = one_allocation(uow)
        with pytest.raises(ZeroDivisionError), repo.writes_in_flight():
            repo.write_allocations(shop_id, given, backorder, now, now.date())
            repo.write_allocations(shop_id, given, backorder, now, now.date())  # refused: same key
            1 / 0  # noqa: B018 - the ranking failing while the writes are in flight
        uow.rollback()  # nothing else uses the connection any more
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Allocation)) == 0
