"""Customer messages end to end against the sandbox: orders captured from the simulators, emails in
the sandbox's SMTP sink, signed links followed over HTTP, cancellations and codes in the stores.

The Shopify simulator runs on Shopify's real 2026-04 Admin schema. Expected dates are set directly
here (the contract: the know-when side writes backorders.expected_date, then enqueues the job).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from connector.db.models import Backorder
from connector.domain.clock import utcnow
from connector.notify.log import list_messages
from connector.shop_settings import set_setting
from jobs.notify import evaluate_backorders
from sandbox.shopify_sim.ext_orders_admin import discounts
from sandbox.stack import LocalStack

SHOP = "tell-outdoors.myshopify.com"
STORE = "https://tell-tea.example"
SEED = {
    "shopify": {"api_secret": "tell-secret", "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": "shpat_tell",
        "products": [
            {"title": "Lamp", "variants": [{"sku": "LAMP", "price": "30.00", "inventory_quantity": 0,
                                            "inventory_policy": "CONTINUE"}]},
            {"title": "Mug", "variants": [{"sku": "MUG", "price": "10.00", "inventory_quantity": 0,
                                           "inventory_policy": "CONTINUE"}]}]}]},
    "woocommerce": {"stores": [{
        "store_url": STORE, "consumer_key": "ck_tell", "consumer_secret": "cs_tell",
        "webhook_secret": "tellwebhooksecret", "webhook_id": 12,
        "products": [
            {"name": "Teapot", "sku": "TEAPOT", "price": "40.00", "manage_stock": True, "stock_quantity": 0,
             "backorders": "notify"}]}]},
}


@pytest.fixture
def stack(seeded_stack):
    return seeded_stack(SEED)


def set_expected(stack: LocalStack, shop_id: int, days: int) -> None:
    with stack.container.uow() as uow:
        for backorder in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id,
                                                                     Backorder.status == "open")):
            backorder.expected_date = utcnow().date() + timedelta(days=days)
            backorder.dates_updated_at = datetime.now(UTC)
        uow.commit()


def test_a_shopify_backorder_gets_its_date_then_an_apology_with_a_code_once(stack):
    shop_id = stack.shops[SHOP].id
    set_setting(stack.container.uow(), shop_id, "notify.consolation",
                {"min_slip_days": 10, "type": "percentage", "amount": 20, "valid_days": 30})
    order = stack.sandbox.shopify.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}], email="ada@example.com")
    stack.wait_for_capture()
    set_expected(stack, shop_id, 12)
    evaluate_backorders(shop_id)
    set_expected(stack, shop_id, 25)
    evaluate_backorders(shop_id)
    evaluate_backorders(shop_id)
    inbox = stack.sandbox.smtp.to("ada@example.com")
    assert len(inbox) == 2
    assert "expected in stock on" in inbox[0].subject and "sorry, a new date" in inbox[1].subject
    [code] = discounts(stack.sandbox.shopify.graphql, SHOP)
    assert code["percentage"] == 0.2 and code["customers"] == [f"gid://shopify/Customer/{order['customer']['id']}"]
    assert code["code"] in inbox[1].part("plain")


def test_a_woocommerce_customer_cancels_through_the_delay_link_and_is_refunded(stack):
    shop_id = stack.shops[STORE].id
    order = stack.sandbox.woocommerce.create_order(STORE, [{"sku": "TEAPOT", "quantity": 1}], email="bo@example.com")
    stack.wait_for_capture()
    set_expected(stack, shop_id, 50)
    evaluate_backorders(shop_id)
    [notice] = stack.sandbox.smtp.to("bo@example.com")
    cancel = re.search(r"(http://\S+/orders/\S+/cancel)", notice.part("plain")).group(1)
    assert cancel.startswith(stack.url)
    assert requests.get(cancel, timeout=5).status_code == 200
    assert requests.post(cancel, timeout=5).status_code == 200
    stack.container.queue.wait_idle(20)  # the answer queued jobs.notify.evaluate_backorders
    refunded = stack.sandbox.woocommerce.order(STORE, order["id"])
    assert refunded["status"] == "refunded" and refunded["refunds"][0]["total"] == "-40.00"
    kinds = [(m["kind"], m["status"], m["answer"]) for m in list_messages(stack.container.uow(), shop_id)]
    assert kinds == [("delay_notice", "sent", "cancel"), ("cancelled", "sent", "cancel")]
    assert "cancelled and refunded" in stack.sandbox.smtp.to("bo@example.com")[-1].subject


def test_inside_the_grace_period_nothing_is_sent_and_the_silence_is_logged(stack):
    shop_id = stack.shops[SHOP].id
    stack.sandbox.shopify.create_order(SHOP, [{"sku": "MUG", "quantity": 2}], email="cy@example.com")
    stack.wait_for_capture()
    set_expected(stack, shop_id, 4)
    evaluate_backorders(shop_id)
    assert stack.sandbox.smtp.to("cy@example.com") == []
    [row] = list_messages(stack.container.uow(), shop_id)
    assert row["status"] == "suppressed" and "grace" in row["outcome"]


def follow_cancel_link(stack: LocalStack, notice) -> None:
    cancel = re.search(r"(http://\S+/orders/\S+/cancel)", notice.part("plain")).group(1)
    assert requests.post(cancel, timeout=5).status_code == 200
    stack.container.queue.wait_idle(20)  # the answer queued jobs.notify.evaluate_backorders


@pytest.mark.parametrize("financial_status", ["paid", "authorized"])
def test_a_shopify_customer_cancels_backordered_units_of_a_partly_backordered_order(stack, financial_status):
    from sandbox.shopify_sim.ext_payments import money

    shop_id = stack.shops[SHOP].id
    stack.sandbox.shopify.set_stock(SHOP, "MUG", 5)  # the mug ships; the lamp waits
    order = stack.sandbox.shopify.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}, {"sku": "MUG", "quantity": 1}],
                                               email="di@example.com", financial_status=financial_status)
    stack.wait_for_capture()
    set_expected(stack, shop_id, 50)
    evaluate_backorders(shop_id)
    [notice] = stack.sandbox.smtp.to("di@example.com")
    follow_cancel_link(stack, notice)
    after = stack.sandbox.shopify.order(SHOP, order["id"])
    assert after["cancelled_at"] is None
    assert [line["current_quantity"] for line in after["line_items"]] == [0, 1]  # the mug still ships
    ledger = money(stack.sandbox.shopify, SHOP, order["id"])
    assert len(ledger["refunds"]) == 1
    confirmation = stack.sandbox.smtp.to("di@example.com")[-1]
    if financial_status == "paid":
        assert ledger["refunds"][0]["amount"] == "30.00"
        assert confirmation.subject.endswith("items cancelled and refunded")
    else:
        assert ledger["refunds"][0]["amount"] == "0" and after["financial_status"] == "authorized"
        assert confirmation.subject.endswith("items cancelled, you will not be charged")
    kinds = [(m["kind"], m["status"]) for m in list_messages(stack.container.uow(), shop_id)]
    assert kinds == [("delay_notice", "sent"), ("cancelled", "sent")]
