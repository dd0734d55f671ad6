"""Capture's set-based writes of order columns, on SQLite and the real PostgreSQL server: a batch's orders
flagged for their store mark in one UPDATE (not one an order at the flush), and orders given the same
columns by the marks sharing one UPDATE; what the rows and the loaded entities hold afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from connector.capture.batch import capture_orders
from connector.capture.repository import CaptureRepository
from connector.db.models import Order
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform
from tests.support.statements import Sent, sent_statements


@pytest.fixture
def statements(engine):  # type: ignore[no-untyped-def]
    """Every statement the engine sends."""
    with sent_statements(engine) as seen:
        yield seen


def order_updates(seen: list[Sent]) -> list[Sent]:
    return [entry for entry in seen if entry.sql.lstrip().upper().startswith("UPDATE ORDERS")]


def columns(uow: UnitOfWork, shop_id: int, *names: str) -> dict[str, tuple[Any, ...]]:
    with uow.single() as u:
        assert u.session is not None
        rows = u.session.execute(select(Order.platform_order_id, *(getattr(Order, n) for n in names))
                                 .where(Order.shop_id == shop_id)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_a_batch_of_backordered_orders_is_flagged_for_marks_in_one_update(uow, shop_id, statements):
    store = FakePlatform({"V1": -100})
    snapshots = [OrderBuilder(str(n), placed=n).line("V1", 1 + n % 2).build() for n in range(1, 13)]

    results = capture_orders(uow, store, shop_id, snapshots)

    assert [r.outcome for r in results] == ["created"] * 12
    flagging = [entry for entry in order_updates(statements) if "needs_mark" in entry.sql]
    # one statement, not twelve rows
    assert len(flagging) == 1 and (flagging[0].executemany, flagging[0].rows) == (False, 1)
    assert columns(uow, shop_id, "needs_mark") == {str(n): (True,) for n in range(1, 13)}


def test_an_order_flagged_in_one_update_is_not_written_again_by_the_flush(uow, shop_id, statements):
    store = FakePlatform({"V1": 5})
    capture_orders(uow, store, shop_id, [OrderBuilder("1").line("V1", 1).build(),
                                         OrderBuilder("2").line("V1", 1).build()])
    assert columns(uow, shop_id, "needs_mark") == {"1": (False,), "2": (False,)}  # in stock: nothing to mark
    with uow:
        assert uow.session is not None
        loaded = list(uow.session.scalars(select(Order).where(Order.shop_id == shop_id).order_by(Order.id)))
        statements.clear()
        uow.repo(CaptureRepository).flag_for_marks(loaded)

        assert all(order.needs_mark for order in loaded)  # the entities say what the rows say
        assert not uow.session.dirty  # so the commit's flush has nothing of theirs to write
        uow.commit()
    assert [(entry.executemany, entry.rows) for entry in order_updates(statements)] == [(False, 1)]
    assert columns(uow, shop_id, "needs_mark") == {"1": (True,), "2": (True,)}


def test_an_order_not_yet_stored_is_flagged_by_its_insert(uow, shop_id, statements):
    with uow:
        assert uow.session is not None
        order = Order(shop_id=shop_id, platform_order_id="9", name="#9", status="open", needs_mark=False,
                      ordered_at=utcnow(), platform_updated_at=utcnow(), lines=[])
        uow.orders.stage(order)
        uow.repo(CaptureRepository).flag_for_marks([order])
        uow.commit()
    assert not order_updates(statements)
    assert columns(uow, shop_id, "needs_mark") == {"9": (True,)}


def test_orders_given_the_same_columns_share_one_update_and_the_rest_go_as_one_executemany(uow, shop_id,
                                                                                        statements):
    store = FakePlatform({"V1": -100})
    capture_orders(uow, store, shop_id, [OrderBuilder(str(n)).line("V1", 1).build() for n in range(1, 6)])
    cleared = {"mark_operation": None, "mark_line": None}
    statements.clear()
    with uow.single():
        uow.repo(CaptureRepository).set_order_columns(shop_id, [
            ("1", cleared), ("2", cleared), ("3", cleared),
            ("4", {"mark_operation": "gid://shopify/BulkOperation/1", "mark_line": 0}),
            ("5", {"mark_operation": "gid://shopify/BulkOperation/1", "mark_line": 1}),
            ("3", {"mark_operation": "gid://shopify/BulkOperation/2", "mark_line": 7}),  # listed twice: the last
        ])
        uow.commit()

    shapes = sorted((entry.executemany, entry.rows) for entry in order_updates(statements))
    assert shapes == [(False, 1), (True, 3)]  # "1" and "2" together; "3", "4" and "5" a row each
    assert columns(uow, shop_id, "mark_operation", "mark_line") == {
        "1": (None, None), "2": (None, None), "3": ("gid://shopify/BulkOperation/2", 7),
        "4": ("gid://shopify/BulkOperation/1", 0), "5": ("gid://shopify/BulkOperation/1", 1)}
