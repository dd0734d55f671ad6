"""The KPI page (/app/kpis) in Chromium over the live stack: the sandbox's captured backorders waiting now,
then a shop history (tests/support/kpi_data.py) picked through the period form; each chart an image named
by its title, its numbers in the table beside it; readable at 360 px without scrolling sideways; a
screenshot of each state in test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from connector.capture.reporting import list_backorders
from sandbox.stack import LocalStack
from tests.e2e.browser.conftest import SHOP, App
from tests.support.kpi_data import FROM, TO, add_history

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def table(page: Any, testid: str) -> list[list[str]]:
    return page.locator(f"[data-testid={testid}] table tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_the_kpi_page_shows_the_live_backorders_then_a_chosen_period(page: Any, app: App, live: LocalStack):
    shop_id = live.shops[SHOP].id
    waiting = [r for r in list_backorders(live.container.uow(), shop_id) if r["status"] in ("open", "allocated")]
    assert waiting  # the sandbox's orders left backorders

    assert app.open(page, "/app/kpis").status == 200
    assert page.get_by_role("heading", name="Backorder KPIs", level=1).is_visible()
    assert page.get_by_role("link", name="KPIs").get_attribute("aria-current") == "page"
    open_now = dict((row[0], row[1]) for row in table(page, "kpi-open"))
    assert open_now["Backorders"] == str(len(waiting))
    assert open_now["Units"] == str(sum(r["quantity_backordered"] for r in waiting))
    assert table(page, "kpi-ages")[1] == ["0-7", str(len(waiting))]  # captured just now
    assert page.get_by_role("img", name="Age of waiting backorders").is_visible()

    add_history(live.container.uow(), shop_id)
    page.get_by_label("From").fill(FROM.isoformat())
    page.get_by_label("To", exact=True).fill(TO.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/app/kpis?*from=2026-11-02*")
    app.shot(page, "kpis-november")
    assert page.get_by_text("2026-11-02 to 2026-11-29 (28 days, UTC)").is_visible()
    assert table(page, "kpi-weekly")[1:] == [["2026-W45", "2", "1"], ["2026-W46", "1", "2"],
                                             ["2026-W47", "2", "0"], ["2026-W48", "1", "1"]]
    assert table(page, "kpi-fill")[1:3] == [["Median (days)", "3.0"], ["90th percentile (days)", "10.0"]]
    for name in ("Backorders opened and closed per week", "Median time to fill per week",
                 "Supplier dates: mean days late", "SKUs backordered most often", "Messages sent per kind"):
        chart = page.get_by_role("img", name=name)
        assert chart.is_visible() and chart.bounding_box()["height"] > 40
    assert page.locator("#chart-weekly circle").count() == 8
    assert page.get_by_text("review ordering").first.is_visible()

    page.set_viewport_size({"width": 360, "height": 740})
    app.shot(page, "kpis-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.get_by_role("img", name="Age of waiting backorders").bounding_box()["width"] <= 360
