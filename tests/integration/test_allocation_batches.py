"""A restock allocated in transactions of a few SKUs (connector/restock/batches.py): the same outcome
as one transaction, the next transaction's rows read ahead on another connection on PostgreSQL (and not
when a SKU comes twice), and every unit set aside once while other arrivals for the same SKUs race it.
SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.restock.allocation import Arrival
from connector.restock.arrivals import units_arrived
from connector.restock.batches import allocate_in_transactions
from connector.restock.models import Allocation, StockArrival
from tests.integration.test_allocation_writes import shop_with_backorders
from tests.support.statements import Sent, sent_statements

SKUS = 7


def states(uow: UnitOfWork) -> dict[str, list[tuple[int, str]]]:
    """Each SKU's backorders, oldest first: (units allocated, status)."""
    found: dict[str, list[tuple[int, str]]] = {}
    with uow:
        for backorder in uow.session.scalars(select(Backorder).order_by(Backorder.id)):
            found.setdefault(backorder.sku, []).append((backorder.quantity_allocated, backorder.status))
    return found


def waiting_reads(seen: list[Sent]) -> list[int]:
    """The threads that read waiting rows, a read each."""
    return [sent.thread for sent in seen if "FROM backorders" in sent.sql and "quantity_allocated < " in sent.sql]


def test_transactions_of_a_few_skus_allocate_first_come_first_served_as_one_transaction_does(database_url):
    uow, shop_id = shop_with_backorders(database_url, SKUS, per_sku=3, quantity=2)
    arrivals = [Arrival(f"SKU-{n:03d}", 3, "purchase_order", f"po:1:{n}") for n in range(SKUS)]
    reports = allocate_in_transactions(uow, shop_id, arrivals, per_transaction=3)
    assert [(r.reference, r.units_allocated) for r in reports] == [(f"po:1:{n}", 3) for n in range(SKUS)]
    assert states(uow) == {f"SKU-{n:03d}": [(2, "allocated"), (1, "open"), (0, "open")] for n in range(SKUS)}
    again = allocate_in_transactions(uow, shop_id, arrivals, per_transaction=3)
    assert all(r.duplicate for r in again)
    with uow:
        assert uow.session.scalar(select(func.sum(Allocation.quantity))) == 3 * SKUS


def test_on_postgresql_the_next_transactions_rows_are_read_on_another_thread(database_url):
    uow, shop_id = shop_with_backorders(database_url, SKUS, per_sku=2, quantity=1)
    with sent_statements(uow.engine) as seen:
        allocate_in_transactions(uow, shop_id, [Arrival(f"SKU-{n:03d}", 1, "purchase_order", f"po:{n}")
                                                for n in range(SKUS)], per_transaction=3)
    readers, me = waiting_reads(seen), threading.get_ident()
    if database_url.startswith("postgresql"):
        assert len(readers) == 3 and readers.count(me) == 1  # 3 transactions: the first reads, 2 read ahead
    else:
        assert readers == [me] * 3  # SQLite reads in the transaction
    assert states(uow) == {f"SKU-{n:03d}": [(1, "allocated"), (0, "open")] for n in range(SKUS)}


def test_nothing_is_read_ahead_when_a_sku_comes_twice(database_url):
    uow, shop_id = shop_with_backorders(database_url, 3, per_sku=2, quantity=2)
    arrivals = [Arrival("SKU-000", 1, "purchase_order", "po:1"), Arrival("SKU-001", 1, "purchase_order", "po:2"),
                Arrival("SKU-000", 2, "supplier_stock", "s:1"), Arrival("SKU-002", 4, "purchase_order", "po:3")]
    with sent_statements(uow.engine) as seen:
        reports = allocate_in_transactions(uow, shop_id, arrivals, per_transaction=2)
    assert waiting_reads(seen) == [threading.get_ident()] * 2
    assert [r.units_allocated for r in reports] == [1, 1, 2, 4]
    assert states(uow) == {"SKU-000": [(2, "allocated"), (1, "open")], "SKU-001": [(1, "open"), (0, "open")],
                           "SKU-002": [(2, "allocated"), (2, "allocated")]}


def test_arrivals_racing_a_restock_for_the_same_skus_set_every_unit_aside_once(database_url):
    skus = 12
    uow, shop_id = shop_with_backorders(database_url, skus, per_sku=3, quantity=2)
    other = UnitOfWork(uow.engine)  # its own in-process locks: only the database's advisory lock (or
    # SQLite's write lock) stands between the two, as between two worker processes
    restock = [Arrival(f"SKU-{n:03d}", 3, "purchase_order", f"po:1:{n}") for n in range(skus)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def racing() -> None:
        try:
            start.wait()
            # supplier stock for the SKUs of the restock's later transactions, whose rows it reads ahead: each
            # waits for the shop lock, which the restock holds until its last commit
            for n in range(4, skus):
                units_arrived(other, shop_id, f"SKU-{n:03d}", 2, source="supplier_stock", reference=f"s:{n}")
            for n in range(4):  # and the same receipt handed over again
                units_arrived(other, shop_id, f"SKU-{n:03d}", 3, source="purchase_order", reference=f"po:1:{n}")
                units_arrived(other, shop_id, f"SKU-{n:03d}", 2, source="supplier_stock", reference=f"s:{n}")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=racing)
    thread.start()
    start.wait()
    allocate_in_transactions(uow, shop_id, restock, per_transaction=4)
    thread.join(60)
    assert not errors
    with uow:
        per_backorder = dict(uow.session.execute(select(Allocation.backorder_id, func.sum(Allocation.quantity))
                                                 .group_by(Allocation.backorder_id)).all())
        allocated = dict(uow.session.execute(select(Backorder.id, Backorder.quantity_allocated)).all())
        assert uow.session.scalar(select(func.count()).select_from(StockArrival)) == 2 * skus
    assert allocated == {backorder_id: per_backorder.get(backorder_id, 0) for backorder_id in allocated}
    # 3 + 2 units per SKU, first come first served whichever arrived first: 2, 2, 1
    assert states(uow) == {f"SKU-{n:03d}": [(2, "allocated"), (2, "allocated"), (1, "open")] for n in range(skus)}


def test_per_transaction_must_be_positive(database_url):
    uow, shop_id = shop_with_backorders(database_url, 1, per_sku=1, quantity=1)
    with pytest.raises(ValueError, match="per_transaction"):
        allocate_in_transactions(uow, shop_id, [], per_transaction=0)


def test_a_supplier_snapshot_of_many_skus_is_allocated_in_transactions_once_per_snapshot(database_url, monkeypatch):
    """supplier_stock_arrived (a shop that ships from its supplier's warehouse) allocates a big snapshot
    through allocate_in_transactions: a few SKUs a transaction, the next ones read ahead on PostgreSQL."""
    from connector.restock import batches
    from connector.restock.arrivals import supplier_stock_arrived
    from connector.settings_registry import build_registry
    from connector.shop_settings import set_setting, use

    monkeypatch.setattr(batches, "PER_TRANSACTION", 3)
    uow, shop_id = shop_with_backorders(database_url, SKUS, per_sku=2, quantity=1)
    use(build_registry())
    set_setting(uow, shop_id, "restock.ship_from_supplier_stock", True)
    quantities = {f"SKU-{n:03d}": 1 for n in range(SKUS)}

    with sent_statements(uow.engine) as seen:
        reports = supplier_stock_arrived(uow, shop_id, quantities, "supplier:1:snapshot:1")
    readers = waiting_reads(seen)

    assert [(r.reference, r.units_allocated) for r in reports] == [
        (f"supplier:1:snapshot:1:SKU-{n:03d}", 1) for n in range(SKUS)]
    if database_url.startswith("postgresql"):
        assert len(readers) == 3 and readers.count(threading.get_ident()) == 1  # 3 transactions, 2 read ahead
    assert states(uow) == {f"SKU-{n:03d}": [(1, "allocated"), (0, "open")] for n in range(SKUS)}
    # the next poll reports the same stock: it is set aside already
    assert supplier_stock_arrived(uow, shop_id, quantities, "supplier:1:snapshot:2") == []
