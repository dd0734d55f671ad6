"""What an evaluation of a shop's open backorders reads: every backorder's facts and notify state as columns,
entities only for those with something due (connector/notify/evaluate.py ``_reserve_due``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time

import pytest

from connector.db.models import Backorder, Order, OrderLine
from connector.notify.models import DiscountCode, Message, NotifyState
from tests.support.notify_support import TODAY, Harness, days, loads_recorded


@pytest.fixture
def loaded() -> Iterator[list[int]]:
    """Ids of the Backorder entities loaded from the database while the test runs."""
    with loads_recorded(Backorder, key=lambda b: b.id) as ids:
        yield ids


@pytest.fixture
def loaded_states() -> Iterator[list[int]]:
    """Backorder ids of the NotifyState entities loaded from the database while the test runs."""
    with loads_recorded(NotifyState, key=lambda s: s.backorder_id) as ids:
        yield ids


def test_an_evaluation_with_nothing_new_to_say_loads_no_backorder(h: Harness, sink, loaded: list[int]) -> None:
    far, near, undated = h.backorder(expected=days(20)), h.backorder(expected=days(3)), h.backorder(expected=None)
    loaded.clear()
    report = h.evaluate()
    assert report.reserved == {"capture_notice": 1, "capture_silence": 1} and len(sink.messages) == 1
    assert {far, near} <= set(loaded) and undated not in loaded  # the undated one has nothing due: not loaded
    assert {s.backorder_id for s in h.rows(NotifyState)} == {far, near, undated}  # but it has its state
    loaded.clear()
    assert h.evaluate().reserved == {}
    assert loaded == [] and len(sink.messages) == 1


def test_a_date_that_moves_is_acted_on_and_only_its_backorder_is_loaded(h: Harness, sink, loaded: list[int]) -> None:
    h.backorder(expected=days(10))
    second = h.backorder(expected=days(10))
    h.evaluate()
    h.move(second, days(21))
    loaded.clear()
    report = h.evaluate()
    assert report.reserved == {"apology": 1} and set(loaded) == {second}
    assert [m.backorder_id for m in h.rows(Message, kind="apology")] == [second]


def test_two_lines_of_one_order_that_slip_together_get_one_code(h: Harness, sink) -> None:
    h.set("notify.consolation", {"min_slip_days": 10, "type": "percentage", "amount": 15, "valid_days": 60})
    placed = datetime.combine(TODAY, time(10), tzinfo=UTC)
    with h.container.uow() as uow:
        order = Order(shop_id=h.shop_id, platform_order_id="2001", name="#2001", customer_email="ada@example.com",
                      ordered_at=placed, platform_updated_at=placed)
        for n in (1, 2):
            order.lines.append(OrderLine(shop_id=h.shop_id, platform_line_id=f"L{n}", sku=f"TEA-{n}",
                                         variant_id=f"V{n}", stock_key=f"V{n}", title=f"Tea {n}", quantity=1))
        uow.session.add(order)
        uow.session.flush()
        backorders = [Backorder(shop_id=h.shop_id, order_line_id=line.id, sku=line.sku, stock_key=line.stock_key,
                                quantity_backordered=1, status="open", expected_date=days(10), created_at=placed,
                                updated_at=placed) for line in order.lines]
        uow.session.add_all(backorders)
        uow.commit()
        ids = [b.id for b in backorders]
    h.evaluate()
    for backorder_id in ids:
        h.move(backorder_id, days(25))
    h.evaluate()
    assert len(h.admin.discounts) == 1 and len(h.rows(DiscountCode)) == 1
    assert sorted(m.backorder_id for m in h.rows(Message, kind="apology")) == ids


def test_states_are_loaded_only_where_a_decision_acts_or_the_promise_follows_a_corrected_date(
        h: Harness, sink, loaded_states: list[int]) -> None:
    quiet, slipping = h.backorder(expected=days(20)), h.backorder(expected=days(10))
    undated = h.backorder(expected=None)
    h.evaluate()
    loaded_states.clear()
    assert h.evaluate().reserved == {} and loaded_states == []
    h.move(slipping, days(25))
    with h.container.uow() as uow:  # the store corrects the date stated at checkout (capture records it)
        order = uow.session.get(Backorder, undated).line.order
        order.promised_delivery_on, order.promised_delivery_source = days(12), "note_attributes:Delivery Date"
        uow.commit()
    loaded_states.clear()
    assert h.evaluate().reserved == {"apology": 1}
    assert sorted(loaded_states) == sorted([slipping, undated]) and quiet not in loaded_states
    [state] = h.rows(NotifyState, backorder_id=undated)
    assert (state.checkout_stated, state.shipping_promise, state.initial_decided) == (True, days(12), False)
