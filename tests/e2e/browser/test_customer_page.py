"""The customer's order page in Chromium (issue 14 item 4): opened from the link in a real e-mail in the
SMTP sink, with JavaScript off, at 360 px; one item cancelled through the confirmation step and seen
cancelled (and refunded once) in the Shopify simulator. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.db.models import Backorder
from jobs.notify import evaluate_backorders
from sandbox.shopify_sim.ext_payments import money
from tests.e2e.browser.conftest import SHOP, App

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_LINK = re.compile(r"(http://\S+/orders/o[0-9]+-[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+)")


def test_a_customer_opens_the_page_from_the_email_and_cancels_one_item_in_the_store(customer: Any, app: App):
    stack = app.stack
    sim, shop_id = stack.sandbox.shopify, stack.shops[SHOP].id
    order = sim.create_order(SHOP, [{"sku": "LANTERN", "quantity": 1}, {"sku": "MUG-TRAIL", "quantity": 2}],
                             email="dee@example.com")
    stack.wait_for_capture()
    with stack.container.uow() as uow:
        for backorder in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id)):
            backorder.expected_date = datetime.now(UTC).date() + timedelta(days=14)
            backorder.dates_updated_at = datetime.now(UTC)
        uow.commit()
    evaluate_backorders(shop_id)
    mail = stack.sandbox.smtp.to("dee@example.com")[0]
    link = PAGE_LINK.search(mail.part("plain")).group(1)

    assert customer.goto(link).status == 200
    app.shot(customer, "customer-page")
    assert customer.get_by_role("heading", level=1).inner_text() == f"Your order {order['name']}"
    assert customer.get_by_role("heading", name="Lantern").count() == 1
    assert customer.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    assert customer.get_by_role("radio", name="Every change of date").is_checked()

    customer.get_by_role("link", name=re.compile("Cancel this item.*lantern", re.I)).click()
    app.shot(customer, "customer-confirm")
    assert customer.get_by_role("heading", name="Cancel these items?").count() == 1
    customer.get_by_role("button", name="Yes, cancel them").focus()
    customer.keyboard.press("Enter")  # keyboard alone
    customer.wait_for_url(re.compile(r"\?done=cancel$"))
    assert "We are cancelling the items you chose" in customer.get_by_role("status").inner_text()
    stack.container.queue.wait_idle(30)

    customer.goto(link)
    app.shot(customer, "customer-cancelled")
    lantern = customer.locator("section", has=customer.get_by_role("heading", name="Lantern"))
    assert "Cancelled" in lantern.inner_text()
    assert customer.get_by_role("link", name=re.compile("Cancel this item.*lantern", re.I)).count() == 0
    lantern_line = next(line for line in sim.order(SHOP, order["id"])["line_items"] if line["sku"] == "LANTERN")
    assert [r["amount"] for r in money(sim, SHOP, order["id"])["refunds"]] == [lantern_line["price"]]
    assert any("cancelled" in m.subject for m in stack.sandbox.smtp.to("dee@example.com"))
