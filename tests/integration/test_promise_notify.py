"""The checkout promise in customer messages (real SMTP server): a stated date is the shipping
promise; it follows corrections until the first decision, then stays pinned."""

from __future__ import annotations

from connector.db.models import Backorder
from connector.notify.models import NotifyState
from tests.support.notify_support import days


def state_stated(h, backorder_id, stated):
    """What capture does when the store states (or corrects) the delivery date of the order."""
    with h.container.uow() as uow:
        order = uow.session.get(Backorder, backorder_id).line.order
        order.promised_delivery_on, order.promised_delivery_source = stated, "note_attributes:Delivery Date"
        uow.commit()


def promise(h, backorder_id):
    [state] = h.rows(NotifyState, backorder_id=backorder_id)
    return state.checkout_stated, state.shipping_promise


def test_a_stated_date_before_the_expected_date_is_a_delay_notice_at_once_and_none_is_a_date_message(h, sink):
    stated = h.backorder(expected=days(20), email="ada@example.com")
    state_stated(h, stated, days(10))
    plain = h.backorder(expected=days(20), email="bo@example.com")
    h.evaluate()
    [notice] = sink.to("ada@example.com")
    assert notice.subject == "Your order #1001 is delayed, no action needed"
    assert "by Friday 11 December 2026, the date we promised" in notice.part("plain")
    assert [m.subject for m in sink.to("bo@example.com")] == [
        "Order #1002: expected in stock on Monday 21 December 2026"]
    assert promise(h, stated) == (True, days(10))
    assert promise(h, plain) == (False, days(30))


def test_the_promise_follows_a_corrected_date_until_the_first_decision_then_stays(h, sink):
    backorder = h.backorder(expected=None)
    state_stated(h, backorder, days(12))
    h.evaluate()  # no expected date yet: nothing decided, nothing sent
    assert promise(h, backorder) == (True, days(12)) and sink.messages == []
    state_stated(h, backorder, days(25))
    h.evaluate()
    assert promise(h, backorder) == (True, days(25))
    h.move(backorder, days(20))
    h.evaluate()
    assert [m.subject for m in sink.to("ada@example.com")] == [
        "Order #1001: expected in stock on Monday 21 December 2026"]
    state_stated(h, backorder, days(15))  # capture would refuse this after the decision; notify must too
    h.evaluate()
    assert promise(h, backorder) == (True, days(25))
    assert len(sink.to("ada@example.com")) == 1


def test_a_removed_stated_date_before_the_first_decision_falls_back_to_thirty_days(h, sink):
    backorder = h.backorder(expected=None)
    state_stated(h, backorder, days(12))
    h.evaluate()
    state_stated(h, backorder, None)
    h.evaluate()
    assert promise(h, backorder) == (False, days(30))
