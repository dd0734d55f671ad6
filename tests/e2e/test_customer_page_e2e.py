"""The customer's order page over HTTP against the sandbox (issue 14 item 4): the link in the e-mail
opens it; forged, expired and other orders' tokens get a plain refusal; a cancellation asked twice
reaches the Shopify simulator once; a message choice is saved and the next evaluation respects it.
On SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from connector.db.models import Backorder
from connector.notify.links import LinkSigner, order_token
from connector.notify.models import DelayDecision, Message
from jobs.notify import evaluate_backorders
from sandbox.shopify_sim.ext_payments import money

SHOP = "page-outdoors.myshopify.com"
SEED = {"shopify": {"api_secret": "page-secret", "api_version": "2026-04", "shops": [{
    "domain": SHOP, "access_token": "shpat_page",
    "products": [{"title": "Lamp", "variants": [{"sku": "LAMP", "price": "30.00", "inventory_quantity": 0,
                                                 "inventory_policy": "CONTINUE"}]},
                 {"title": "Tent", "variants": [{"sku": "TENT", "price": "120.00", "inventory_quantity": 0,
                                                 "inventory_policy": "CONTINUE"}]},
                 {"title": "Rope", "variants": [{"sku": "ROPE", "price": "5.00", "inventory_quantity": 50}]}]}]}}
pytestmark = pytest.mark.slow

PAGE_LINK = re.compile(r"(http://\S+/orders/o[0-9]+-[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+)")


@pytest.fixture
def stack(seeded_stack):
    return seeded_stack(SEED)


def set_expected(stack, shop_id: int, days: int) -> None:
    with stack.container.uow() as uow:
        for backorder in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id)):
            backorder.expected_date = datetime.now(UTC).date() + timedelta(days=days)
            backorder.dates_updated_at = datetime.now(UTC)
        uow.commit()


def page_link_from_mail(stack, address: str) -> str:
    """The order page's link, the same in every message to ``address`` (one per backordered line)."""
    links = set()
    for mail in stack.sandbox.smtp.to(address):
        found = PAGE_LINK.search(mail.part("plain"))
        assert found, mail.part("plain")
        assert found.group(1) in mail.part("html")
        links.add(found.group(1))
    [link] = links
    return link


def signer(stack) -> LinkSigner:
    settings = stack.container.settings
    return LinkSigner(settings.notify_link_secret or settings.secret_key, stack.url)


def backorder_ids(stack, shop_id: int) -> dict[str, int]:
    with stack.container.uow() as uow:
        return {b.sku: b.id for b in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id))}


def test_the_link_in_the_backorder_email_opens_the_order_page_and_bad_links_are_refused_plainly(stack):
    sim, shop_id = stack.sandbox.shopify, stack.shops[SHOP].id
    lines = [{"sku": "LAMP", "quantity": 1}, {"sku": "TENT", "quantity": 2}, {"sku": "ROPE", "quantity": 1}]
    sim.create_order(SHOP, lines, email="ann@example.com")
    stack.wait_for_capture()
    set_expected(stack, shop_id, 12)
    evaluate_backorders(shop_id)
    link = page_link_from_mail(stack, "ann@example.com")

    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer" and "frame-ancestors 'none'" in \
        page.headers["Content-Security-Policy"]
    assert "Lamp" in page.text and "Tent" in page.text and "Rope" not in page.text  # only what is backordered
    expected = datetime.now(UTC).date() + timedelta(days=12)
    assert f"{expected:%A} {expected.day} {expected:%B %Y}" in page.text
    assert "<script" not in page.text

    token = link.rsplit("/", 1)[1]
    payload, days, signature = token.split(".")
    forged = f"{payload}.{days}.{'A' * len(signature)}"
    other_order = f"o{shop_id}-{int(payload.split('-')[1]) + 1}.{days}.{signature}"  # signed for another
    order_id, today = int(payload.split("-")[1]), datetime.now(UTC).date()
    expired = order_token(signer(stack), shop_id, order_id, today - timedelta(days=1))
    other_shop = order_token(signer(stack), shop_id + 1000, order_id, today + timedelta(days=9))
    for bad, status in ((forged, 400), (other_order, 400), ("o1-2.3", 400), (expired, 410), (other_shop, 404)):
        for path in ("", "/items/cancel"):
            answer = requests.get(f"{stack.url}/orders/{bad}{path}", timeout=5)
            assert answer.status_code == status, (bad, path)
            assert "This link" in answer.text and "Lamp" not in answer.text and "Traceback" not in answer.text
        refused = requests.post(f"{stack.url}/orders/{bad}/items/cancel", data={"item": "all"}, timeout=5,
                                allow_redirects=False)
        assert refused.status_code == status
    with stack.container.uow() as uow:
        assert list(uow.session.scalars(select(DelayDecision))) == []  # nothing was asked


def test_a_cancellation_posted_twice_reaches_the_store_once_and_is_confirmed_once(stack):
    sim, shop_id = stack.sandbox.shopify, stack.shops[SHOP].id
    order = sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}, {"sku": "TENT", "quantity": 2}],
                             email="bo@example.com")
    stack.wait_for_capture()
    set_expected(stack, shop_id, 12)
    evaluate_backorders(shop_id)
    link = page_link_from_mail(stack, "bo@example.com")
    lamp = backorder_ids(stack, shop_id)["LAMP"]

    confirm = requests.get(f"{link}/items/cancel", params={"item": lamp}, timeout=5)
    assert confirm.status_code == 200 and "Cancel these items?" in confirm.text and "Lamp" in confirm.text
    with stack.container.uow() as uow:
        assert list(uow.session.scalars(select(DelayDecision))) == []  # the confirmation step changes nothing
    first = requests.post(f"{link}/items/cancel", data={"item": str(lamp)}, timeout=5, allow_redirects=False)
    second = requests.post(f"{link}/items/cancel", data={"item": str(lamp)}, timeout=5, allow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].endswith("?done=cancel") and second.headers["Location"].endswith("?done=already")
    stack.container.queue.wait_idle(30)
    evaluate_backorders(shop_id)  # a later run does nothing more

    refunds = money(sim, SHOP, order["id"])["refunds"]
    assert [r["amount"] for r in refunds] == ["30.00"]
    with stack.container.uow() as uow:
        statuses = {b.sku: b.status for b in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id))}
        outcomes = [d.outcome for d in uow.session.scalars(select(DelayDecision))]
    assert statuses == {"LAMP": "cancelled", "TENT": "open"} and outcomes == ["cancelled"]
    cancelled = [m for m in stack.sandbox.smtp.to("bo@example.com") if "cancelled" in m.subject]
    assert len(cancelled) == 1 and "Lamp" in cancelled[0].part("plain")
    after = requests.get(link, timeout=5).text
    assert "Cancelled" in after and "You asked us to cancel" in after
    assert f'href="/orders/{link.rsplit("/", 1)[1]}/items/cancel?item={lamp}"' not in after


def test_a_message_choice_is_saved_and_the_next_evaluation_withholds_what_it_excludes(stack):
    sim, shop_id = stack.sandbox.shopify, stack.shops[SHOP].id
    sim.create_order(SHOP, [{"sku": "TENT", "quantity": 1}], email="cy@example.com")
    stack.wait_for_capture()
    set_expected(stack, shop_id, 10)
    evaluate_backorders(shop_id)
    link = page_link_from_mail(stack, "cy@example.com")

    bad = requests.post(f"{link}/emails", data={"frequency": "hourly"}, timeout=5, allow_redirects=False)
    assert bad.status_code == 400 and "Please choose one of the options." in bad.text
    saved = requests.post(f"{link}/emails", data={"frequency": "required_only"}, timeout=5)
    assert saved.status_code == 200 and "Saved." in saved.text
    assert re.search(r'value="required_only" checked', saved.text)

    set_expected(stack, shop_id, 20)  # a new date inside the promise: an apology would be due
    evaluate_backorders(shop_id)
    with stack.container.uow() as uow:
        [(status, outcome)] = uow.session.execute(select(Message.status, Message.outcome)
                                                  .where(Message.kind == "apology")).all()
    assert status == "suppressed" and "the customer chose no e-mails except what the law requires" in outcome
    assert len(stack.sandbox.smtp.to("cy@example.com")) == 1  # still only the first message

    set_expected(stack, shop_id, 60)  # beyond the shipping promise: the delay notice the law requires
    evaluate_backorders(shop_id)
    inbox = stack.sandbox.smtp.to("cy@example.com")
    assert len(inbox) == 2 and "delayed" in inbox[-1].subject
