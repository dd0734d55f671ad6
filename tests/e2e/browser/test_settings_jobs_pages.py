"""The Settings and Jobs pages in a real headless Chromium (Debian's, driven by Playwright) against the
connector served on loopback over the sandbox: a setting saved through its group's form (shown after a
reload, the audit trail naming who changed it from what to what), a bad value refused beside its field
with the stored value untouched, the same page through a WooCommerce app link, and "run now" on the Jobs
page followed by the page's own script until the in-process workers finished the run against the
Shopify simulator. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from connector.shop_settings import get_setting, setting_changes
from sandbox.stack import LocalStack
from tests.e2e.browser.conftest import SHOP, STORE, App

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTIFY = "notify-customer-messages-and-pile-up-alerts"
DATES = "supply-expected-dates"


def follow(page: Any, target: Any) -> None:
    """Click a link or button that loads another page, and wait until it has loaded."""
    with page.expect_navigation():
        target.click()


def group(page: Any, slug: str) -> Any:
    return page.locator(f"section#{slug}")


def field(page: Any, key: str) -> Any:
    return page.get_by_label(key, exact=True)


def stored(live: LocalStack, shop: str, key: str) -> Any:
    return get_setting(live.container.uow(), live.shops[shop].id, key)


def test_a_saved_setting_is_shown_after_a_reload_with_its_audit_trail(page: Any, app: App, live: LocalStack):
    app.open(page, "/app/settings", token=app.token(user="4242"))
    assert page.get_by_role("heading", name="Settings", level=1).is_visible()
    notify = group(page, NOTIFY)
    assert field(notify, "notify.grace_days").input_value() == "7"
    assert "Default: 7" in notify.locator('[data-key="notify.grace_days"] .help').inner_text()
    field(notify, "notify.grace_days").fill("3")
    field(notify, "notify.delay_policy").select_option("cancel_and_refund")
    follow(page, notify.get_by_role("button", name=re.compile("^Save")))
    assert group(page, NOTIFY).get_by_role("status").inner_text() == "Saved."
    app.shot(page, "saved")

    page.reload()
    notify = group(page, NOTIFY)
    assert field(notify, "notify.grace_days").input_value() == "3"
    assert field(notify, "notify.delay_policy").input_value() == "cancel_and_refund"
    help_text = notify.locator('[data-key="notify.grace_days"] .help').inner_text()
    assert "Default: 7; now 3." in help_text and "shopify:4242" in help_text
    assert stored(live, SHOP, "notify.grace_days") == 3

    recent = page.get_by_test_id("recent-changes").get_by_role("listitem")
    line = recent.filter(has_text="notify.grace_days").inner_text()
    assert re.search(r"notify\.grace_days: \d{4}-\d\d-\d\d \d\d:\d\d UTC, shopify:4242: 7 \(default\) → 3$", line)
    assert recent.filter(has_text="notify.delay_policy").count() == 1
    assert recent.filter(has_text="notify.sender_name").count() == 0  # untouched fields are not pinned
    app.shot(page, "reloaded")

    follow(page, notify.get_by_role("link", name="History of notify.grace_days"))
    assert page.get_by_role("heading", level=1).inner_text() == "Changes of notify.grace_days"
    cells = page.locator("table.data tbody tr").first.locator("td").all_inner_texts()
    assert cells[1:] == ["shopify:4242", "notify.grace_days", "7 (default)", "3"]
    app.shot(page, "history")


def test_a_bad_value_is_refused_beside_its_field_and_nothing_is_stored(page: Any, app: App, live: LocalStack):
    before = stored(live, SHOP, "notify.shipping_promise_days")
    changes_before = len(setting_changes(live.container.uow(), live.shops[SHOP].id))
    app.open(page, "/app/settings")
    notify = group(page, NOTIFY)
    field(notify, "notify.shipping_promise_days").fill("a month")
    field(notify, "notify.sender_name").fill("Outdoor Shop")  # a good value in the same group
    follow(page, notify.get_by_role("button", name=re.compile("^Save")))
    notify = group(page, NOTIFY)
    box = field(notify, "notify.shipping_promise_days")
    assert box.get_attribute("aria-invalid") == "true"
    assert box.input_value() == "a month"  # what was typed is kept to correct it
    error_id = box.get_attribute("aria-describedby").split()[-1]
    error = notify.locator(f"#{error_id}")
    assert error.get_attribute("role") == "alert"
    assert error.inner_text().startswith("notify.shipping_promise_days: 'a month' is not a whole number")
    # beside its field: inside the field's own block, right under the input
    assert error.evaluate("e => e.closest('[data-key]').dataset.key") == "notify.shipping_promise_days"
    assert "Nothing in this group was saved" in notify.get_by_role("alert").first.inner_text()
    app.shot(page, "refused")

    assert stored(live, SHOP, "notify.shipping_promise_days") == before
    assert stored(live, SHOP, "notify.sender_name") != "Outdoor Shop"
    assert len(setting_changes(live.container.uow(), live.shops[SHOP].id)) == changes_before
    app.open(page, "/app/settings")
    assert field(group(page, NOTIFY), "notify.shipping_promise_days").input_value() == str(before)

    field(group(page, NOTIFY), "alerts.thresholds").fill('{"count": "many"}')  # the setting's own validator
    follow(page, group(page, NOTIFY).get_by_role("button", name=re.compile("^Save")))
    thresholds = group(page, NOTIFY).locator('[data-key="alerts.thresholds"] .error')
    assert "bad value {'count': 'many'} for shop setting 'alerts.thresholds'" in thresholds.inner_text()
    assert len(setting_changes(live.container.uow(), live.shops[SHOP].id)) == changes_before


def test_a_woocommerce_merchant_saves_a_setting_through_the_app_link(page: Any, app: App, live: LocalStack):
    answer = app.enter_woo(page)
    assert answer.status == 200 and page.get_by_role("heading", level=1).inner_text() == STORE
    follow(page, page.get_by_role("navigation", name="Sections").get_by_role("link", name="Settings"))
    assert "id_token" not in page.url  # the cookie carries the session
    dates = group(page, DATES)
    field(dates, "dates.buffer_days").fill("2")
    field(dates, "dates.holidays").fill("2026-12-25\n2027-01-01")
    follow(page, dates.get_by_role("button", name=re.compile("^Save")))
    assert group(page, DATES).get_by_role("status").inner_text() == "Saved."
    page.reload()
    assert field(group(page, DATES), "dates.buffer_days").input_value() == "2"
    assert field(group(page, DATES), "dates.holidays").input_value() == "2026-12-25\n2027-01-01"
    assert stored(live, STORE, "dates.holidays") == ["2026-12-25", "2027-01-01"]
    line = page.get_by_test_id("recent-changes").get_by_role("listitem").filter(has_text="dates.buffer_days")
    assert re.search(r"woocommerce:1:admin: 0 \(default\) → 2$", line.inner_text())
    assert stored(live, SHOP, "dates.buffer_days") == 0  # the Shopify shop's own setting is its own
    app.shot(page, "woo-settings")


def test_run_now_shows_the_progress_until_the_workers_are_done(page: Any, app: App, live: LocalStack):
    live.wait_for_capture()
    app.open(page, "/app/jobs", token=app.token(ttl=300))
    assert page.get_by_role("heading", name="Jobs", level=1).is_visible()
    titles = page.locator("section[id^=job-] h2").all_inner_texts()
    assert {"Find missed orders", "Poll suppliers", "Sync selling plans", "Check webhooks"} <= set(titles)
    section = page.locator("section#job-reconcile")
    assert section.get_by_role("table").count() == 0  # no run asked for yet

    progress: list[dict[str, Any]] = []

    def record(route: Any) -> None:  # what the page's script is told, passed on unchanged
        answer = route.fetch()
        progress.append(answer.json())
        route.fulfill(response=answer)

    page.route(re.compile(r"/app/jobs/progress\?"), record)
    live.sandbox.shopify.inject_failures(3, 503)  # the run backs off a few seconds: long enough to follow
    follow(page, section.get_by_role("button", name=re.compile(r"^Run now\W+Find missed orders$")))
    started = page.locator("section#started")
    (run_id,) = [int(x) for x in started.locator("[data-run-status]").evaluate_all(
        "els => els.map(e => e.dataset.runStatus)")]
    badge = started.locator(f'[data-run-status="{run_id}"]')
    assert badge.inner_text() in ("queued", "running")
    assert "Working on it." in started.locator("[data-live]").inner_text()
    app.shot(page, "started")

    page.locator('section#started[data-finished="1"]').wait_for(timeout=30_000)  # the script reloaded it
    assert progress and progress[0]["finished"] is False
    assert {run["status"] for answer in progress[:-1] for run in answer["runs"]} <= {"pending", "running"}
    assert progress[-1]["finished"] is True and progress[-1]["runs"][0]["status"] == "done"
    started = page.locator("section#started")
    assert started.locator(f'[data-run-status="{run_id}"]').inner_text() == "done"
    assert started.locator("[data-live]").inner_text() == "Finished."
    row = page.locator(f'section#job-reconcile tr[data-run="{run_id}"]')
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "done"
    assert float(cells[2].removesuffix(" s")) >= 0.5  # it waited out the store's errors
    assert re.search(r"seen: \d+", cells[3])
    app.shot(page, "done")


def test_a_run_waiting_for_a_worker_is_followed_in_the_pages_words_until_done(page: Any, app: App,
                                                                              live: LocalStack):
    """A run asked for with a delay (as the ledger keeps work that waits) stays pending for seconds: the
    script shows it as the page does ("queued", never the ledger's "pending"), then running and done."""
    from jobs import runtime, shops

    shop_id = live.shops[SHOP].id
    run_id = runtime.enqueue_run(live.container, shops.reconcile, shop_id, shop_id=shop_id, delay_seconds=3)
    page.add_init_script("""
        window.__seen = [];
        document.addEventListener("DOMContentLoaded", () => {
          const badge = document.querySelector("[data-run-status]");
          if (!badge) return;
          window.__seen.push(badge.textContent.trim());
          new MutationObserver(() => window.__seen.push(badge.textContent.trim()))
            .observe(badge, {childList: true, characterData: true, subtree: true});
        });""")
    seen: list[str] = []
    app.open(page, "/app/jobs", token=app.token(ttl=300), runs=str(run_id), job="reconcile")
    badge = page.locator(f'section#started [data-run-status="{run_id}"]')
    assert badge.inner_text() == "queued"
    page.wait_for_function("() => window.__seen.length >= 2", timeout=10_000)  # the script updated the badge
    seen += page.evaluate("window.__seen")
    app.shot(page, "queued")
    page.locator('section#started[data-finished="1"]').wait_for(timeout=30_000)
    assert page.locator(f'section#started [data-run-status="{run_id}"]').inner_text() == "done"
    assert "pending" not in seen and seen[0] == "queued"
    assert set(seen) <= {"queued", "running", "done"}


@pytest.mark.parametrize("path", ["/app/settings", "/app/jobs", "/app/settings/changes"])
def test_at_360_px_the_page_does_not_scroll_sideways(page: Any, app: App, path: str):
    page.set_viewport_size({"width": 360, "height": 740})
    app.open(page, path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.get_by_role("heading", level=1).is_visible()


def test_a_finished_runs_counts_by_kind_read_none_when_there_were_none(page: Any, app: App, live: LocalStack):
    live.wait_for_capture()
    app.open(page, "/app/jobs", token=app.token(ttl=300))
    section = page.locator("section#job-evaluate-messages")
    follow(page, section.get_by_role("button", name=re.compile(r"^Run now\W+Send due customer messages$")))
    page.locator('section#started[data-finished="1"]').wait_for(timeout=30_000)
    (run_id,) = [int(x) for x in page.locator("section#started [data-run-status]").evaluate_all(
        "els => els.map(e => e.dataset.runStatus)")]
    result = page.locator(f'section#job-evaluate-messages tr[data-run="{run_id}"] td').nth(3).inner_text()
    assert re.fullmatch(r"reserved: none; sent: \d+; failed: \d+; cancelled: \d+", result)
    app.shot(page, "counts")
