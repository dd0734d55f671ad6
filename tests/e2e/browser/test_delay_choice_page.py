"""The delay notice's link page in Chromium (issue 18 item 3): opened from the "Keep waiting" link of a real
delay notice in the SMTP sink, JavaScript off, at 360 px: both choices shown as buttons at least 44 px high
with the items and the ships-by date, no sideways scrolling; keeping waiting from the keyboard confirms it on
the page and by exactly one e-mail. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.db.models import Backorder
from jobs.notify import evaluate_backorders
from tests.e2e.browser.conftest import SHOP, App

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_LINK = re.compile(r"(http://\S+/orders/[A-Za-z0-9._-]+/wait)")


def test_keep_waiting_from_the_delay_notice_at_360_px_is_confirmed_once(customer: Any, app: App):
    stack = app.stack
    sim, shop_id = stack.sandbox.shopify, stack.shops[SHOP].id
    order = sim.create_order(SHOP, [{"sku": "LANTERN", "quantity": 1}], email="fay@example.com")
    stack.wait_for_capture()
    ships = datetime.now(UTC).date() + timedelta(days=45)  # past the 30-day shipping promise: a delay notice
    with stack.container.uow() as uow:
        for backorder in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id,
                                                                     Backorder.status == "open")):
            backorder.expected_date = ships
            backorder.dates_updated_at = datetime.now(UTC)
        uow.commit()
    evaluate_backorders(shop_id)
    [notice] = stack.sandbox.smtp.to("fay@example.com")
    assert notice.subject == f"Your order {order['name']} is delayed, no action needed"
    link = WAIT_LINK.search(notice.part("plain")).group(1)

    assert customer.goto(link).status == 200
    app.shot(customer, "delay-choice")
    assert customer.get_by_role("heading", level=1).inner_text() == "Keep waiting for these items?"
    assert customer.locator("ul.items").inner_text() == "1 × Camp lantern"
    assert f"{ships:%A} {ships.day} {ships:%B %Y}" in customer.locator("dl").inner_text()
    assert customer.evaluate("document.documentElement.scrollWidth") <= 360
    wait = customer.get_by_role("button", name="Keep waiting")
    cancel = customer.get_by_role("button", name="Cancel for a full refund")
    for button in (wait, cancel):
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 280  # full width of the card
    wait.focus()
    with customer.expect_navigation():  # Enter alone does not wait for the form post's page: a screenshot taken
        customer.keyboard.press("Enter")  # while it loads can hang (CI of 2026-12-04)
    app.shot(customer, "delay-choice-kept")
    assert customer.get_by_role("heading", level=1).inner_text() == "Thank you for waiting"
    assert "We have sent you a confirmation by e-mail." in customer.locator("main").inner_text()
    assert customer.get_by_role("link", name="See your order").count() == 1
    stack.container.queue.wait_idle(30)
    evaluate_backorders(shop_id)
    confirmations = [m for m in stack.sandbox.smtp.to("fay@example.com")
                     if m.subject == f"Thank you for waiting: your order {order['name']}"]
    assert len(confirmations) == 1 and "1 x Camp lantern" in confirmations[0].part("plain")
