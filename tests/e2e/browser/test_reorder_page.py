"""The reorder page (/app/reorder) in Chromium over the live stack: the shop's history not read yet, then
"read sales history now" followed by the progress page's script until the stack's own workers read the
Shopify simulator's order history (two months of LANTERN orders and three recent MUG-TRAIL ones); back on
the page each SKU's advice with its status and reasons, sorted by urgency, then by SKU through the
column's link (keyboard only), readable at 360 px; then the stored advice's time and "Recompute now" followed
to done by the same script; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.stack import LocalStack
from tests.e2e.browser.conftest import SHOP, App

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def skus(page: Any) -> list[str]:
    return page.locator("table[data-testid=reorder] tbody tr").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-sku'))")


def test_the_merchant_reads_the_sales_history_and_sees_each_skus_advice(page: Any, app: App, live: LocalStack):
    shopify = live.sandbox.shopify
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=60)
    for n in range(60):  # two months of lanterns, two a day
        shopify.create_order(SHOP, [{"sku": "LANTERN", "quantity": 2}], deliver_webhook=False,
                             created_at=start + timedelta(days=n))
    for n in range(3):  # three mugs in the last week: too little history
        shopify.create_order(SHOP, [{"sku": "MUG-TRAIL", "quantity": 1}], deliver_webhook=False,
                             created_at=start + timedelta(days=55 + n))

    assert app.open(page, "/app/reorder").status == 200
    assert page.get_by_role("heading", name="Reorder advice", level=1).is_visible()
    assert page.get_by_role("link", name="Reorder").get_attribute("aria-current") == "page"
    assert page.get_by_test_id("history-status").inner_text() == "none"
    assert "has not been read yet" in page.get_by_test_id("history-text").inner_text()

    page.get_by_role("button", name="Read sales history now").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/reorder/history/*")
    app.shot(page, "reading")
    state = page.get_by_test_id("read-state")
    # the script asks the JSON endpoint until the workers finish
    page.locator("[data-progress][data-state=done]").wait_for(timeout=60_000)
    app.shot(page, "read")
    assert "The store's order history was read:" in state.inner_text()
    read = int(page.get_by_test_id("orders-read").inner_text().replace(",", ""))
    assert read >= 63  # ours, and the orders the sandbox placed before
    assert page.locator("[data-reload]").is_hidden()

    page.get_by_role("link", name="Back to reorder advice").click()
    page.wait_for_url("**/app/reorder?*")
    app.shot(page, "advice")
    assert page.get_by_test_id("history-status").inner_text() == "done"
    lantern = page.locator("tr[data-sku=LANTERN]")
    assert lantern.locator("th").inner_text() == "LANTERN"
    assert lantern.get_attribute("data-status") != "too_little_history"
    assert "days of sales history" in lantern.inner_text()
    assert "units in the last 28 days" in lantern.inner_text()
    mug = page.locator("tr[data-sku=MUG-TRAIL]")
    assert mug.get_attribute("data-status") == "too_little_history"
    assert "too little history" in mug.locator(".badge").inner_text()
    assert "days of sales (at least 28 needed)" in mug.inner_text()
    urgency = skus(page)
    assert urgency.index("LANTERN") < urgency.index("MUG-TRAIL")  # a computed status before too little history

    sku_link = page.locator("a[data-sort=sku]")
    sku_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/reorder?*sort=sku*")
    app.shot(page, "by-sku")
    assert skus(page) == sorted(skus(page))
    assert page.locator("th[aria-sort=ascending] a[data-sort=sku]").count() == 1

    page.set_viewport_size({"width": 360, "height": 740})
    app.shot(page, "reorder-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.get_by_role("button", name="Read sales history now").bounding_box()["width"] <= 360

    # the advice is stored: the page says when it was computed, and "Recompute now" is followed to done
    page.set_viewport_size({"width": 1280, "height": 900})
    computed = page.get_by_test_id("advice-computed").inner_text()
    assert computed.startswith("Computed at ")
    page.get_by_role("button", name="Recompute now").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/app/reorder/advice/*")
    page.locator("[data-progress][data-state=done]").wait_for(timeout=60_000)  # the script, as for the read
    app.shot(page, "recomputed")
    assert page.get_by_test_id("recompute-state").inner_text().startswith("done")
    assert page.get_by_test_id("computed-at").inner_text()[:4].isdigit()
    assert page.locator("[data-reload]").is_hidden()
    page.get_by_role("link", name="Back to reorder advice").click()
    page.wait_for_url("**/app/reorder?*")
    assert page.get_by_test_id("advice-computed").inner_text().startswith("Computed at ")
    assert "LANTERN" in skus(page)
