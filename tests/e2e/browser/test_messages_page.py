"""The Messages page in a real headless Chromium against the app served with the sandbox's data: the log
and the templates list render, a template is edited and its preview follows the typing (live, through
app.js/messages.js) and the Preview button (without JavaScript), a bad template is refused beside its
field, the saved wording is what the next customer message says (seen in the SMTP sink), and the editor
works at 360 px. Screenshots of each page go to test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.db.models import Backorder
from connector.domain.clock import utcnow
from connector.notify.templates import KINDS
from jobs.notify import build_notifier

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EDITOR = "/app/messages/templates/capture_notice/en"


def test_the_messages_page_lists_every_kind_with_its_languages(page: Any, app: Any):
    response = app.open(page, "/app/messages")
    assert response.status == 200
    assert page.get_by_role("heading", name="Messages", exact=True).is_visible()
    rows = page.locator('[data-testid="templates"] tbody tr')
    assert rows.count() == len(KINDS)  # one row per message kind the connector sends
    assert page.locator('[data-edit="delay_notice-nl"]').count() == 1
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "status=failed" in page.url and "id_token=" in page.url  # the session rides along
    app.shot(page, "messages-filtered")


def test_a_template_is_edited_with_a_live_preview_saved_and_used_for_the_next_message(page: Any, app: Any):
    app.open(page, EDITOR)
    subject = page.get_by_label("Subject")
    subject.fill("Your {{ order_name }} from the outdoors shop: {{ date_text }}")
    page.get_by_label("What we are doing about it").fill("We asked the maker to send them by air.")
    preview = page.locator('[data-testid="preview-subject"]')
    preview.filter(has_text="from the outdoors shop").wait_for(timeout=10_000)  # live, as typed
    assert page.locator('[data-testid="preview-text"]').inner_text().count("send them by air") == 1
    app.shot(page, "template-live-preview")

    subject.fill("{{ not_a_variable }}")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    problem = page.locator('[data-testid="problem-subject"]')
    assert "unknown variable not_a_variable" in problem.inner_text()
    assert page.get_by_label("Subject").get_attribute("aria-invalid") == "true"
    app.shot(page, "template-refused")

    page.get_by_label("Subject").fill("Your {{ order_name }} from the outdoors shop: {{ date_text }}")
    page.get_by_role("button", name="Preview").click()  # the form post: no JavaScript needed
    page.wait_for_load_state()
    assert "from the outdoors shop" in page.locator('[data-testid="preview-subject"]').inner_text()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Saved").is_visible()
    app.shot(page, "template-saved")

    stack = app.stack
    shop_id = stack.shops["sandbox-outdoors.myshopify.com"].id
    with stack.container.uow() as uow:
        for backorder in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id)):
            backorder.expected_date = utcnow().date() + timedelta(days=25)
        uow.commit()
    from connector.notify.evaluate import evaluate_backorders

    evaluate_backorders(build_notifier(stack.container), shop_id)
    told = [m for m in stack.sandbox.smtp.messages if "from the outdoors shop" in m.subject]
    assert told and "We asked the maker to send them by air." in told[0].part("plain")

    app.open(page, "/app/messages")
    page.get_by_role("link", name=told[0].subject).first.click()
    page.wait_for_load_state()
    assert "send them by air" in page.locator('[data-testid="message-text"]').inner_text()
    app.shot(page, "message-detail")


def test_the_template_editor_fits_a_phone(page: Any, app: Any):
    page.set_viewport_size({"width": 360, "height": 800})
    app.open(page, "/app/messages/templates/delay_notice/nl")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert "Hallo" in page.locator('[data-testid="preview-text"]').inner_text()
    app.shot(page, "template-phone")
