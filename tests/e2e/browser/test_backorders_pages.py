"""The Backorders page, its CSV export and the order timeline in a real headless Chromium (Debian's,
driven by Playwright) against the connector served on loopback over the sandbox: the backorders captured
from the simulators' webhooks, then a bulk of seeded ones (tests/support/merchant_backorders) so the
filters, sort links, pagination and the export have something to narrow, order and page through.

The rows a view must show are worked out in plain Python from what was seeded and compared with the
rows the browser shows (``tr[data-backorder]``). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connector.domain.clock import utcnow
from sandbox.stack import LocalStack
from tests.e2e.browser.conftest import SHOP, App
from tests.support.merchant_backorders import Seeded, SeededShop, seed_backorders

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SANDBOX_ROWS = {("#1001", "MUG-TRAIL"), ("#1001", "SOCKS-M"), ("#1002", "LANTERN")}
"""The order lines the live stack's Shopify orders left waiting (conftest's ``live``)."""
WAITING = ("open", "allocated")
SEEDED_SKUS = "SKU-*"
"""A SKU prefix every seeded backorder has and no sandbox one does."""


@pytest.fixture(scope="module")
def seeded(live: LocalStack) -> SeededShop:
    """120 waiting and 9 closed backorders of 13 SKUs for the Shopify shop, beside the sandbox's own
    (ids and order numbers far from theirs). Module-wide: the tests only read them."""
    return seed_backorders(live.container.engine, live.shops[SHOP].id, waiting=120, closed=9, skus=13,
                           now=utcnow(), first_id=100_000, order_number=50_001)


def shown(page: Any) -> list[int]:
    """The backorder ids of the table's rows, top to bottom."""
    return [int(x) for x in page.locator("tr[data-backorder]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-backorder'))")]


def heading(page: Any) -> str:
    return page.locator("#list-title").inner_text().strip()


def ids(rows: Iterable[Seeded]) -> list[int]:
    return [r.backorder_id for r in rows]


def oldest_first(rows: Iterable[Seeded]) -> list[Seeded]:
    """The page's default order: age descending (oldest first), the newest id first on a tie."""
    return sorted(rows, key=lambda r: (r.created_at, -r.backorder_id))


def where(seeded: SeededShop, test: Callable[[Seeded], bool]) -> list[Seeded]:
    return [r for r in seeded.rows if test(r)]


def apply_filters(page: Any, **fields: str) -> None:
    """Type into the filter form (by label) and submit it with its button."""
    labels = {"order": "Order", "sku": "SKU", "expected_from": "Expected from", "expected_to": "Expected to",
              "min_age": "Age from (days)", "max_age": "Age to (days)"}
    form = page.get_by_role("search")
    for name, value in fields.items():
        form.get_by_label(labels[name], exact=True).fill(value)
    follow(page, form.get_by_role("button", name="Apply filters"))
    page.wait_for_load_state()


def follow(page: Any, target: Any) -> None:
    """Click a link or button that loads another page, and wait until it has loaded."""
    with page.expect_navigation():
        target.click()


def press(page: Any, key: str) -> None:
    """Press a key that loads another page (Enter on a link or in a form), and wait until it has loaded."""
    with page.expect_navigation():
        page.keyboard.press(key)


def query_of(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_the_page_shows_the_backorders_captured_from_the_sandboxs_orders(page: Any, app: App):
    """Before anything is seeded: the Shopify shop's waiting lines, and not the WooCommerce store's."""
    answer = app.open(page, "/app/backorders")
    assert answer.status == 200
    assert page.get_by_role("heading", name="Backorders", level=1).is_visible()
    table = page.get_by_test_id("backorders")
    cells = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()])")
    assert {tuple(c) for c in cells} == SANDBOX_ROWS
    assert heading(page) == "Showing 1–3 of 3"
    assert "TEA-SENCHA" not in table.inner_text()  # the other shop's backorder
    assert table.get_by_role("cell", name="Trail mug").count() == 1
    waiting_tab = page.get_by_role("navigation", name="Status").get_by_role("link", name=re.compile(r"^Waiting \d+$"))
    assert waiting_tab.get_attribute("aria-current") == "page"
    assert waiting_tab.locator(".badge").inner_text() == "3"
    tops = {round(box["y"]) for box in (tab.bounding_box() for tab in page.get_by_role(
        "navigation", name="Status").get_by_role("link").all())}
    assert len(tops) == 1  # the status tabs are one row at 1280 px


def test_the_status_tabs_and_the_filter_form_narrow_the_rows(page: Any, app: App, seeded: SeededShop):
    app.open(page, "/app/backorders")
    tabs = page.get_by_role("navigation", name="Status")
    follow(page, tabs.get_by_role("link", name=re.compile(r"^Fulfilled \d+$")))
    fulfilled = where(seeded, lambda r: r.status == "fulfilled")
    assert sorted(shown(page)) == sorted(ids(fulfilled)) and len(fulfilled) == 3
    assert query_of(page)["status"] == ["fulfilled"]
    app.shot(page, "fulfilled")

    follow(page, tabs.get_by_role("link", name=re.compile(r"^All \d+$")))
    apply_filters(page, sku="SKU-00003")
    of_sku = oldest_first(where(seeded, lambda r: r.sku == "SKU-00003"))
    assert shown(page) == ids(of_sku)
    assert heading(page) == f"Showing 1–{len(of_sku)} of {len(of_sku)}"
    assert {r.status for r in of_sku} > {"open"}  # "All": closed ones too
    assert page.get_by_label("SKU", exact=True).input_value() == "SKU-00003"  # the form shows the filter
    app.shot(page, "sku")

    target = seeded.rows[41]
    apply_filters(page, sku="", order=target.order_name.lstrip("#"))
    assert shown(page) == [target.backorder_id]
    assert page.get_by_test_id("backorders").get_by_role("link", name=target.order_name).is_visible()

    start, end = utcnow().date() + timedelta(days=5), utcnow().date() + timedelta(days=20)
    apply_filters(page, order="", sku=SEEDED_SKUS, expected_from=start.isoformat(), expected_to=end.isoformat())
    in_range = oldest_first(where(seeded, lambda r: r.expected_date is not None and start <= r.expected_date <= end))
    assert 0 < len(in_range) < 50
    assert shown(page) == ids(in_range)
    dates = page.locator("tr[data-backorder] time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert all(start.isoformat() <= d <= end.isoformat() for d in dates) and len(dates) == len(in_range)
    app.shot(page, "expected-range")

    follow(page, page.get_by_role("link", name="Clear"))
    assert query_of(page).keys() == {"shop", "host", "id_token"}
    assert heading(page) == f"Showing 1–50 of {120 + len(SANDBOX_ROWS)}"


def test_sort_links_change_the_order_of_the_rows(page: Any, app: App, seeded: SeededShop):
    app.open(page, "/app/backorders", status="all", sku=SEEDED_SKUS, expected_to=utcnow().date().isoformat())
    view = where(seeded, lambda r: r.expected_date is not None and r.expected_date <= utcnow().date())
    assert 0 < len(view) <= 50  # one page: the whole order is visible
    assert shown(page) == ids(oldest_first(view))

    header = page.get_by_test_id("backorders").locator("thead")
    follow(page, header.get_by_role("link", name="Expected"))
    by_date = sorted(view, key=lambda r: (r.expected_date, r.backorder_id))
    assert shown(page) == ids(by_date)
    assert header.get_by_role("columnheader", name=re.compile("Expected")).get_attribute("aria-sort") == "ascending"
    app.shot(page, "expected-asc")

    follow(page, header.get_by_role("link", name=re.compile("Expected")))
    assert shown(page) == ids(sorted(view, key=lambda r: (r.expected_date, r.backorder_id), reverse=True))
    assert header.get_by_role("columnheader", name=re.compile("Expected")).get_attribute("aria-sort") == "descending"

    follow(page, header.get_by_role("link", name="SKU"))
    assert shown(page) == ids(sorted(view, key=lambda r: (r.sku, r.backorder_id)))
    follow(page, header.get_by_role("link", name="Status"))
    order = ("open", "allocated", "fulfilled", "cancelled", "withdrawn")
    assert shown(page) == ids(sorted(view, key=lambda r: (order.index(r.status), r.backorder_id)))
    follow(page, header.get_by_role("link", name="Age"))  # age from another column: oldest first again
    assert shown(page) == ids(oldest_first(view))
    assert query_of(page)["sku"] == [SEEDED_SKUS] and query_of(page)["status"] == ["all"]  # filters kept


def test_pagination_moves_through_the_pages_and_keeps_the_filters(page: Any, app: App, seeded: SeededShop):
    app.open(page, "/app/backorders")
    apply_filters(page, sku=SEEDED_SKUS)
    waiting = ids(oldest_first(where(seeded, lambda r: r.status in WAITING)))
    assert len(waiting) == 120
    pages = page.get_by_role("navigation", name="Pages")
    assert heading(page) == "Showing 1–50 of 120" and shown(page) == waiting[:50]
    assert "Page 1 of 3" in pages.inner_text()

    follow(page, pages.get_by_role("link", name="Next"))
    assert heading(page) == "Showing 51–100 of 120" and shown(page) == waiting[50:100]
    assert page.get_by_label("SKU", exact=True).input_value() == SEEDED_SKUS
    app.shot(page, "page-2")
    follow(page, pages.get_by_role("link", name="Last"))
    assert heading(page) == "Showing 101–120 of 120" and shown(page) == waiting[100:]
    assert pages.get_by_role("link", name="Next").count() == 0
    follow(page, pages.get_by_role("link", name="Previous"))
    assert shown(page) == waiting[50:100]
    follow(page, pages.get_by_role("link", name="First"))
    assert shown(page) == waiting[:50] and query_of(page)["sku"] == [SEEDED_SKUS]

    follow(page, page.get_by_test_id("backorders").locator("thead").get_by_role("link", name="SKU"))
    follow(page, pages.get_by_role("link", name="Next"))  # a sorted view pages in its own order
    by_sku = ids(sorted(where(seeded, lambda r: r.status in WAITING), key=lambda r: (r.sku, r.backorder_id)))
    assert shown(page) == by_sku[50:100]
    assert query_of(page)["sort"] == ["sku"] and query_of(page)["page"] == ["2"]


def download(page: Any, tmp_path: Path) -> tuple[str, list[list[str]]]:
    with page.expect_download() as started:
        page.get_by_test_id("export").click()
    got = started.value
    target = tmp_path / got.suggested_filename
    got.save_as(target)
    return got.suggested_filename, list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))


def test_the_csv_export_downloads_exactly_the_filtered_rows(page: Any, app: App, seeded: SeededShop,
                                                            tmp_path: Path):
    app.open(page, "/app/backorders", status="all")
    apply_filters(page, sku="SKU-00005")
    name, rows = download(page, tmp_path)
    assert re.fullmatch(r"backorders-sandbox-outdoors-myshopify-com-\d{8}\.csv", name)
    assert rows[0][:4] == ["Order", "Order id", "Ordered at", "SKU"]
    expected = oldest_first(where(seeded, lambda r: r.sku == "SKU-00005"))
    assert [(r[0], r[1], r[3], r[8]) for r in rows[1:]] == [
        (s.order_name, s.platform_order_id, s.sku, s.status) for s in expected]
    assert page.get_by_test_id("export").inner_text() == f"Download CSV ({len(expected)} rows)"

    app.open(page, "/app/backorders", sku=SEEDED_SKUS)
    follow(page, page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next"))  # the export: all pages
    assert heading(page) == "Showing 51–100 of 120"
    _, rows = download(page, tmp_path)
    assert [r[1] for r in rows[1:]] == [s.platform_order_id for s in
                                        oldest_first(where(seeded, lambda r: r.status in WAITING))]


def test_a_row_opens_the_orders_timeline_with_its_entries(page: Any, app: App):
    app.open(page, "/app/backorders", sku="MUG-TRAIL")
    table = page.get_by_test_id("backorders")
    follow(page, table.get_by_role("link", name="#1001"))
    assert page.get_by_role("heading", name="Order #1001", level=1).is_visible()
    app.shot(page, "timeline")
    lines = page.get_by_role("region", name="Backordered lines")
    assert lines.get_by_role("cell", name="MUG-TRAIL", exact=True).count() == 1
    assert lines.get_by_role("cell", name="SOCKS-M", exact=True).count() == 1
    entries = page.get_by_test_id("timeline").locator(".timeline-entry")
    kinds = entries.evaluate_all("es => es.map(e => e.getAttribute('data-kind'))")
    assert kinds[:2] == ["captured", "captured"] and "promise" in kinds
    text = page.get_by_test_id("timeline").inner_text()
    assert "Order #1001 placed" in text and "Captured as a backorder: 2 lines" in text
    assert "2 × Trail mug (MUG-TRAIL) could not be covered by stock" in text
    assert re.search(r"MUG-TRAIL: to ship by \w{3} \d{1,2} \w{3} \d{4}", text)

    follow(page, page.get_by_role("link", name="← Backorders"))  # back to the view it came from
    assert page.get_by_role("heading", name="Backorders", level=1).is_visible()
    assert page.get_by_label("SKU", exact=True).input_value() == "MUG-TRAIL"


def focus_on(page: Any, test: str, limit: int = 60) -> str:
    """Press Tab until ``test`` (a JS expression over ``el``) holds for the focused element."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => Boolean({test}))(document.activeElement)"):
            return str(page.evaluate("document.activeElement.outerHTML.slice(0, 120)"))
    raise AssertionError(f"Tab never reached an element where {test}")


def test_the_keyboard_filters_sorts_pages_and_opens_an_order(page: Any, app: App, seeded: SeededShop):
    app.open(page, "/app/backorders")
    focus_on(page, "el.dataset.status === 'all'")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    press(page, "Enter")
    assert query_of(page)["status"] == ["all"]
    focus_on(page, "el.id === 'f-sku'")
    page.keyboard.type("SKU-00002")
    press(page, "Enter")  # submits the GET form
    assert query_of(page)["sku"] == ["SKU-00002"]
    of_sku = where(seeded, lambda r: r.sku == "SKU-00002")
    assert shown(page) == ids(oldest_first(of_sku))
    focus_on(page, "el.dataset.sort === 'order'")
    press(page, "Enter")
    assert query_of(page)["sort"] == ["order"]
    oldest_order_first = sorted(of_sku, key=lambda r: (r.created_at, r.backorder_id))
    assert shown(page) == ids(oldest_order_first)
    focus_on(page, "el.closest('tr[data-backorder]') !== null")
    first = oldest_order_first[0]
    assert page.evaluate("document.activeElement.textContent") == first.order_name
    press(page, "Enter")
    assert page.get_by_role("heading", name=f"Order {first.order_name}", level=1).is_visible()
    app.shot(page, "keyboard-timeline")


def test_at_360_px_neither_page_scrolls_sideways(page: Any, app: App, seeded: SeededShop):
    page.set_viewport_size({"width": 360, "height": 740})
    app.open(page, "/app/backorders", status="all", sku=SEEDED_SKUS)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.get_by_role("button", name="Apply filters").is_visible()
    wrap = page.locator(".table-wrap").first  # the table scrolls inside its own box
    assert wrap.evaluate("w => getComputedStyle(w).overflowX") in ("auto", "scroll")
    follow(page, page.get_by_test_id("backorders").locator("tbody tr a").first)
    assert page.get_by_role("heading", name=re.compile("^Order #"), level=1).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    app.shot(page, "timeline-360")
