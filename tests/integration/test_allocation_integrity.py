"""Allocations without a foreign key to their backorder (migration 0036): the write refuses a backorder
that is not the shop's or is gone, as the key did, and every way a backorder is deleted (itself, its
order's cascade, the shop's erasure, a deletion racing an allocation on PostgreSQL) leaves no allocation
behind. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from connector.db.models import Backorder, Order
from connector.privacy.repository import PrivacyRepository
from connector.restock.allocation import Arrival, allocate_arrivals
from connector.restock.models import Allocation
from connector.restock.repository import RestockRepository
from tests.integration.test_allocation_writes import shop_with_backorders

NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)


def orphans(uow) -> int:  # type: ignore[no-untyped-def]
    """Allocations whose backorder is not there."""
    with uow:
        return uow.session.scalar(select(func.count()).select_from(Allocation).where(
            ~select(Backorder.id).where(Backorder.id == Allocation.backorder_id).exists()))


def allocations(uow) -> int:  # type: ignore[no-untyped-def]
    with uow:
        return uow.session.scalar(select(func.count()).select_from(Allocation))


def allocate_all(uow, shop_id: int, skus: int) -> None:  # type: ignore[no-untyped-def]
    with uow.shop_lock(shop_id), uow:
        allocate_arrivals(uow, shop_id, [Arrival(f"SKU-{n:03d}", 3, "purchase_order", f"po:{n}") for n in range(skus)])
        uow.commit()


@pytest.mark.parametrize("who", ["missing", "other shop"])
def test_an_allocation_of_a_backorder_that_is_not_the_shops_is_refused_and_nothing_is_written(database_url, who):
    uow, shop_id = shop_with_backorders(database_url, skus=1, per_sku=2, quantity=2)
    with uow:
        first, second = uow.session.scalars(select(Backorder.id).order_by(Backorder.id)).all()
    stranger = second + 100 if who == "missing" else second
    wrong_shop = shop_id if who == "missing" else shop_id + 100
    given = [(first, 2, "purchase_order", "po:1"), (stranger, 1, "purchase_order", "po:1")]
    with uow:
        repo = uow.repo(RestockRepository)
        with pytest.raises(IntegrityError), repo.writes_in_flight():
            repo.write_allocations(wrong_shop if who == "other shop" else shop_id, given,
                                   [(first, 2, "allocated"), (stranger, 1, "open")], NOW, NOW.date())
        uow.rollback()
    assert allocations(uow) == 0
    with uow:
        assert uow.session.scalars(select(Backorder.quantity_allocated)).all() == [0, 0]


def test_the_write_allocates_the_shops_backorders_in_the_order_given(database_url):
    uow, shop_id = shop_with_backorders(database_url, skus=1, per_sku=3, quantity=2)
    with uow:
        ids = uow.session.scalars(select(Backorder.id).order_by(Backorder.id)).all()
        repo = uow.repo(RestockRepository)
        with repo.writes_in_flight():
            repo.write_allocations(shop_id, [(ids[2], 2, "purchase_order", "po:1"), (ids[0], 1, "store_stock", "s:1"),
                                             (ids[0], 1, "purchase_order", "po:1")],
                                   [(ids[0], 2, "allocated"), (ids[2], 2, "allocated")], NOW, NOW.date())
        uow.commit()
    with uow:
        rows = uow.session.execute(select(Allocation.backorder_id, Allocation.quantity, Allocation.source,
                                          Allocation.reference).order_by(Allocation.id)).all()
        states = uow.session.execute(select(Backorder.quantity_allocated, Backorder.status, Backorder.expected_date)
                                     .order_by(Backorder.id)).all()
    assert [tuple(row) for row in rows] == [(ids[2], 2, "purchase_order", "po:1"), (ids[0], 1, "store_stock", "s:1"),
                                            (ids[0], 1, "purchase_order", "po:1")]
    assert [tuple(state) for state in states] == [(2, "allocated", NOW.date()), (0, "open", None),
                                                  (2, "allocated", NOW.date())]


def test_deleting_a_backorder_its_order_or_the_shop_leaves_no_allocation_behind(database_url):
    uow, shop_id = shop_with_backorders(database_url, skus=2, per_sku=3, quantity=1)
    allocate_all(uow, shop_id, skus=2)
    assert allocations(uow) == 6
    with uow:
        first = uow.session.scalar(select(Backorder.id).order_by(Backorder.id).limit(1))
        uow.session.execute(delete(Backorder).where(Backorder.id == first))
        uow.commit()
    assert (allocations(uow), orphans(uow)) == (5, 0)
    with uow:  # an order's deletion cascades to its lines and backorders
        order = uow.session.scalar(select(Order.id).order_by(Order.id.desc()).limit(1))
        uow.session.execute(delete(Order).where(Order.id == order))
        uow.commit()
    assert (allocations(uow), orphans(uow)) == (4, 0)
    with uow:  # shop/redact
        uow.repo(PrivacyRepository).erase_shop(shop_id)
        uow.commit()
    assert (allocations(uow), orphans(uow)) == (0, 0)
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(Backorder)) == 0


def test_a_deletion_racing_an_allocation_waits_for_it_and_leaves_no_allocation_behind(postgres_url):
    uow, shop_id = shop_with_backorders(postgres_url, skus=1, per_sku=2, quantity=1)
    deleted = threading.Event()

    def delete_the_orders() -> None:
        with uow.engine.begin() as conn:
            conn.execute(text("SET lock_timeout = '20s'"))
            conn.execute(delete(Order).where(Order.shop_id == shop_id))
        deleted.set()

    with uow.shop_lock(shop_id), uow:
        allocate_arrivals(uow, shop_id, [Arrival("SKU-000", 2, "purchase_order", "po:1")])
        uow.session.flush()
        deleter = threading.Thread(target=delete_the_orders)
        deleter.start()
        assert not deleted.wait(1.0)  # the backorders are locked by the allocation's UPDATE
        uow.commit()
    deleter.join(30)
    assert deleted.is_set()
    assert (allocations(uow), orphans(uow)) == (0, 0)
