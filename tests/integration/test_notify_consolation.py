"""Consolation codes by rule: created once per order before the apology that shows them."""

from __future__ import annotations

import pytest

from connector.domain.errors import PlatformRejected, PlatformUnavailable
from connector.notify.models import DiscountCode, Message
from tests.support.notify_support import Harness, days


@pytest.fixture
def h(database_url, sink):
    harness = Harness(database_url, sink)
    harness.set("notify.consolation", {"min_slip_days": 10, "type": "percentage", "amount": 15, "valid_days": 60})
    yield harness
    harness.close()


def test_a_long_slip_creates_one_code_for_that_customer_and_shows_it_in_the_apology(h, sink):
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(21))
    h.evaluate()
    [created] = h.admin.discounts
    assert created["customer_email"] == "ada@example.com" and created["kind"] == "percentage"
    assert created["amount"] == 15.0 and created["code"].startswith("SORRY-")
    apology = sink.messages[-1]
    assert created["code"] in apology.part("plain") and "15% off" in apology.part("plain")
    assert f"<strong style=\"font-size: 18px;\">{created['code']}</strong>" in apology.part("html")
    [row] = h.rows(DiscountCode)
    assert row.status == "created" and row.platform_id and row.idempotency_key == f"consolation-{h.shop_id}-1"
    assert h.rows(Message, kind="apology")[0].discount_code == created["code"]


def test_a_second_slip_of_the_same_order_gets_no_second_code(h, sink):
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(21))
    h.evaluate()
    h.move(backorder, days(29))
    h.evaluate()
    assert len(h.admin.discounts) == 1 and len(h.rows(DiscountCode)) == 1
    assert h.admin.discounts[0]["code"] not in sink.messages[-1].part("plain")


def test_a_short_slip_gets_an_apology_without_a_code(h, sink):
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(19))
    h.evaluate()
    assert h.admin.discounts == [] and "code" not in sink.messages[-1].part("plain")


def test_free_shipping_codes_say_so(h, sink):
    h.set("notify.consolation", {"min_slip_days": 5, "type": "free_shipping", "valid_days": 30})
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(21))
    h.evaluate()
    assert h.admin.discounts[0]["kind"] == "free_shipping" and h.admin.discounts[0]["amount"] is None
    assert "free shipping" in sink.messages[-1].part("plain")


def test_the_apology_waits_for_a_code_the_store_could_not_create_yet(h, sink):
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(21))
    h.admin.fail_discount = PlatformUnavailable("shopify: 503")
    h.evaluate()
    assert len(sink.messages) == 1 and h.rows(Message, kind="apology")[0].status == "pending"
    h.admin.fail_discount = None
    h.evaluate()
    assert len(sink.messages) == 2 and h.admin.discounts[0]["code"] in sink.messages[-1].part("plain")


def test_a_store_that_refuses_the_code_still_gets_the_apology_sent(h, sink):
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(21))
    h.admin.fail_discount = PlatformRejected("shopify: missing write_discounts scope")
    h.evaluate()
    [row] = h.rows(DiscountCode)
    assert row.status == "failed" and "write_discounts" in row.error
    assert "sorry" in sink.messages[-1].subject and "SORRY-" not in sink.messages[-1].part("plain")


def test_reruns_create_the_code_once(h, sink):
    backorder = h.backorder(expected=days(10))
    h.evaluate()
    h.move(backorder, days(21))
    for _ in range(3):
        h.evaluate()
    assert len(h.admin.discounts) == 1 and len([m for m in sink.messages if "sorry" in m.subject]) == 1
