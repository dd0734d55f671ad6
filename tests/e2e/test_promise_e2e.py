"""The delivery date stated at checkout, end to end: orders placed in the simulators reach the app as
signed webhooks (or through reconciliation), capture records the stated date, and the customer
message goes over real SMTP to the sandbox's sink (aiosmtpd). SQLite and PostgreSQL.

Issue #3: an expected date beyond the shipping promise (the checkout date, or 30 days after the order
where none was stated) means an FTC delay notice at once. The expected date is set directly here, as
in test_notify_e2e.py (the know-when side's contract: it writes backorders.expected_date).
"""

from __future__ import annotations

import time as time_module
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from connector.db.models import Backorder, Order, OrderLine
from connector.domain.clock import utcnow
from connector.notify.email import long_date
from connector.notify.models import NotifyState
from jobs.notify import evaluate_backorders
from jobs.shops import reconcile
from sandbox.stack import LocalStack

SHOP = "promise-outdoors.myshopify.com"
STORE = "https://promise-tea.example"
SEED = {
    "shopify": {"api_secret": "promise-secret", "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": "shpat_promise",
        "products": [
            {"title": "Lamp", "variants": [{"sku": "LAMP", "price": "30.00", "inventory_quantity": 0,
                                            "inventory_policy": "CONTINUE"}]},
            {"title": "Rope", "variants": [{"sku": "ROPE", "price": "8.00", "inventory_quantity": 50,
                                            "inventory_policy": "CONTINUE"}]}]}]},
    "woocommerce": {"stores": [{
        "store_url": STORE, "consumer_key": "ck_promise", "consumer_secret": "cs_promise",
        "webhook_secret": "promisewebhooksecret", "webhook_id": 14,
        "products": [
            {"name": "Teapot", "sku": "TEAPOT", "price": "40.00", "manage_stock": True, "stock_quantity": 0,
             "backorders": "notify"}]}]},
}
DELAYED = "is delayed, no action needed"  # within 30 days of the promise: no answer needed
DATED = "expected in stock on"


@pytest.fixture
def stack(seeded_stack):
    return seeded_stack(SEED)


def day(days: int):
    """``days`` after today, read when called: a module-level date goes stale when a run passes midnight UTC."""
    return utcnow().date() + timedelta(days=days)


def set_expected(stack: LocalStack, shop_id: int, days: int) -> None:
    with stack.container.uow() as uow:
        for backorder in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id,
                                                                     Backorder.status == "open")):
            backorder.expected_date = day(days)
            backorder.dates_updated_at = datetime.now(UTC)
        uow.commit()


def order_row(stack: LocalStack, shop_id: int, order_id: int | str) -> Order:
    with stack.container.uow() as uow:
        row = uow.session.scalar(select(Order).where(Order.shop_id == shop_id,
                                                     Order.platform_order_id == str(order_id)))
        uow.session.expunge_all()
        return row


def pinned(stack: LocalStack, shop_id: int, order_id: int | str) -> tuple[bool, object]:
    with stack.container.uow() as uow:
        state = uow.session.scalar(
            select(NotifyState).join(Backorder, NotifyState.backorder_id == Backorder.id)
            .join(OrderLine, Backorder.order_line_id == OrderLine.id).join(Order, OrderLine.order_id == Order.id)
            .where(Order.shop_id == shop_id, Order.platform_order_id == str(order_id)))
        return state.checkout_stated, state.shipping_promise


def subjects(stack: LocalStack, email: str) -> list[str]:
    return [m.subject for m in stack.sandbox.smtp.to(email)]


def test_a_shopify_checkout_date_before_the_expected_date_brings_the_delay_notice_at_once(stack):
    shop_id = stack.shops[SHOP].id
    sim = stack.sandbox.shopify
    stated = sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}], email="ada@example.com",
                              note_attributes=[{"name": "Delivery Date", "value": day(10).isoformat()}])
    plain = sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}], email="bo@example.com",
                             note_attributes=[{"name": "gift wrap", "value": "yes"}])
    stack.wait_for_capture()
    assert order_row(stack, shop_id, stated["id"]).promised_delivery_on == day(10)
    assert order_row(stack, shop_id, plain["id"]).promised_delivery_on is None
    set_expected(stack, shop_id, 20)
    evaluate_backorders(shop_id)
    [notice] = stack.sandbox.smtp.to("ada@example.com")
    assert DELAYED in notice.subject
    assert f"by {long_date(day(10))}, the date we promised" in notice.part("plain")
    assert long_date(day(20)) in notice.part("plain")
    assert subjects(stack, "bo@example.com") == [f"Order {plain['name']}: {DATED} {long_date(day(20))}"]
    assert pinned(stack, shop_id, stated["id"]) == (True, day(10))
    assert pinned(stack, shop_id, plain["id"]) == (False, day(30))


def test_shopifys_delivery_method_promise_is_read_for_backordered_orders_only(stack):
    shop_id = stack.shops[SHOP].id
    sim = stack.sandbox.shopify
    promised_at = datetime.combine(day(10), time(18), tzinfo=UTC)
    short = sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 2}], email="cy@example.com",
                             max_delivery_at=promised_at)
    stocked = sim.create_order(SHOP, [{"sku": "ROPE", "quantity": 1}], email="di@example.com",
                               max_delivery_at=promised_at)
    stack.wait_for_capture()
    row = order_row(stack, shop_id, short["id"])
    assert (row.promised_delivery_on, row.promised_delivery_source) == (day(10), "shopify:deliveryMethod")
    assert row.store_promise_checked_at is not None
    untouched = order_row(stack, shop_id, stocked["id"])
    assert (untouched.promised_delivery_on, untouched.store_promise_checked_at) == (None, None)
    set_expected(stack, shop_id, 20)
    evaluate_backorders(shop_id)
    assert [DELAYED in s for s in subjects(stack, "cy@example.com")] == [True]
    assert subjects(stack, "di@example.com") == []


def test_reconciliation_reads_the_stated_date_of_an_order_whose_webhook_was_lost(stack):
    shop_id = stack.shops[SHOP].id
    lost = stack.sandbox.shopify.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}], deliver_webhook=False,
                                              note_attributes=[{"name": "delivery_date", "value": day(12).isoformat()}])
    reconcile(shop_id)
    stack.wait_for_capture()
    row = order_row(stack, shop_id, lost["id"])
    assert (row.promised_delivery_on, row.promised_delivery_source) == (day(12), "note_attributes:delivery_date")


def test_a_woocommerce_checkout_date_in_order_meta_brings_the_delay_notice_at_once(stack):
    shop_id = stack.shops[STORE].id
    sim = stack.sandbox.woocommerce
    stamp = int(datetime.combine(day(10), time(12), tzinfo=UTC).timestamp())
    stated = sim.create_order(STORE, [{"sku": "TEAPOT", "quantity": 1}], email="ed@example.com",
                              meta_data=[{"key": "_orddd_timestamp", "value": str(stamp)},
                                         {"key": "Delivery Date", "value": day(10).strftime("%B %d, %Y")}])
    plain = sim.create_order(STORE, [{"sku": "TEAPOT", "quantity": 1}], email="fa@example.com")
    stack.wait_for_capture()
    assert order_row(stack, shop_id, stated["id"]).promised_delivery_on == day(10)
    set_expected(stack, shop_id, 20)
    evaluate_backorders(shop_id)
    [notice] = stack.sandbox.smtp.to("ed@example.com")
    assert DELAYED in notice.subject and f"by {long_date(day(10))}" in notice.part("plain")
    assert subjects(stack, "fa@example.com") == [f"Order #{plain['number']}: {DATED} {long_date(day(20))}"]
    assert pinned(stack, shop_id, stated["id"]) == (True, day(10))


def test_a_woocommerce_date_changed_before_the_first_notice_moves_the_promise_and_after_it_does_not(stack):
    shop_id = stack.shops[STORE].id
    sim = stack.sandbox.woocommerce
    order = sim.create_order(STORE, [{"sku": "TEAPOT", "quantity": 1}], email="gu@example.com",
                             meta_data=[{"key": "_delivery_date", "value": day(10).isoformat()}])
    stack.wait_for_capture()
    time_module.sleep(1.1)  # WooCommerce keeps whole seconds: an edit in the same second reads as no news
    sim.update_order(STORE, order["id"], {"meta_data": [{"key": "_delivery_date", "value": day(25).isoformat()}]})
    stack.wait_for_capture()
    assert order_row(stack, shop_id, order["id"]).promised_delivery_on == day(25)
    set_expected(stack, shop_id, 20)
    evaluate_backorders(shop_id)
    assert subjects(stack, "gu@example.com") == [f"Order #{order['number']}: {DATED} {long_date(day(20))}"]
    time_module.sleep(1.1)
    sim.update_order(STORE, order["id"], {"meta_data": [{"key": "_delivery_date", "value": day(5).isoformat()}]})
    stack.wait_for_capture()
    assert order_row(stack, shop_id, order["id"]).promised_delivery_on == day(25)
    evaluate_backorders(shop_id)
    assert pinned(stack, shop_id, order["id"]) == (True, day(25))
    assert len(subjects(stack, "gu@example.com")) == 1
