"""The FTC delay notice over real SMTP and real HTTP requests: signed links, answers, lapses, cancels."""

from __future__ import annotations

import re
from datetime import date

import pytest

from connector.app import create_app
from connector.db.models import Backorder
from connector.domain.errors import PlatformRejected, PlatformUnavailable
from connector.notify.models import DelayDecision, Message
from tests.support.notify_support import BASE_URL, days


@pytest.fixture
def client(h):
    return create_app(container=h.container).test_client()


def links(mail):
    found = dict((action, path) for path, action in
                 re.findall(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/(cancel|wait))", mail.part("plain")))
    assert set(found) == {"cancel", "wait"}
    return found


def test_a_date_beyond_the_shipping_promise_sends_a_delay_notice_with_signed_links(h, sink):
    h.backorder(expected=days(45))
    h.evaluate()
    [mail] = sink.messages
    text = mail.part("plain")
    assert mail.subject == "Your order #1001 is delayed, no action needed"  # within 30 days: silence is consent
    assert text.index("No action needed.") < text.index("Darjeeling 100 g")  # said first
    assert "Thursday 31 December 2026, the date we promised" in text
    assert "They now ship by Friday 15 January 2027." in text
    assert "you do not need to do anything" in text and "Please choose by" not in text
    assert "expected shipping date" not in text and "in stock" not in text  # one term: ships by
    assert links(mail)["cancel"] in mail.part("html")


def test_a_delay_notice_for_an_order_only_authorized_offers_cancelling_without_a_charge(h, sink):
    h.backorder(expected=None, financial_status="authorized")  # payment reserved, captured at shipping
    h.today = days(24)
    h.evaluate()
    [mail] = sink.messages
    for part in (mail.part("plain"), mail.part("html")):
        assert "full refund" not in part and "refund them in full" not in part
        assert "Cancel, you will not be charged" in part
    assert links(mail)["cancel"] in mail.part("html")


def test_a_delay_notice_for_a_paid_order_offers_a_full_refund(h, sink):
    h.backorder(expected=None, financial_status="paid")
    h.today = days(24)
    h.evaluate()
    [mail] = sink.messages
    for part in (mail.part("plain"), mail.part("html")):
        assert "Cancel for a full refund" in part and "not be charged" not in part


def test_an_unknown_date_near_the_promise_says_unknown_and_asks_for_consent(h, sink):
    h.backorder(expected=None)
    h.today = days(24)
    h.evaluate()
    [mail] = sink.messages
    assert mail.subject == "Action needed by Friday 1 January: your order #1001"
    assert "Ships by: not known yet." in mail.part("plain")
    assert "Please choose by Friday 1 January 2027. If we do not hear from you by then" in mail.part("plain")
    [decision] = h.rows(DelayDecision)
    assert decision.consent_required and decision.notified_date is None


def test_the_cancel_link_shows_a_confirmation_then_cancels_through_the_store_once(h, sink, client):
    backorder = h.backorder(expected=days(45), quantity=3)
    h.evaluate()
    cancel = links(sink.messages[0])["cancel"]
    page = client.get(cancel)
    assert page.status_code == 200 and b"Cancel for a full refund</button>" in page.data
    assert h.rows(DelayDecision)[0].answer is None  # a GET (or a mail scanner) changes nothing
    assert client.post(cancel).status_code == 200
    assert client.post(cancel).status_code == 409  # single use
    h.evaluate()
    h.evaluate()
    assert h.admin.cancels == [("1001", [("L1", 3)], "delay-cancel-1")]
    assert h.get(Backorder, backorder).status == "cancelled"
    [decision] = h.rows(DelayDecision)
    assert (decision.answer, decision.outcome) == ("cancel", "cancelled") and decision.answered_at is not None
    confirmation = [m for m in sink.messages if "cancelled and refunded" in m.subject]
    assert len(confirmation) == 1 and "As you asked us to" in confirmation[0].part("plain")


def test_keep_waiting_is_recorded_and_a_further_delay_needs_express_consent(h, sink, client):
    backorder = h.backorder(expected=days(45))
    h.evaluate()
    wait = links(sink.messages[0])["wait"]
    assert client.post(wait).status_code == 200
    assert h.rows(DelayDecision)[0].outcome == "kept"
    h.move(backorder, days(50))
    h.evaluate()
    second = sink.messages[-1]
    assert second.subject == "Action needed by Friday 15 January: your order #1001"
    assert "Please choose by Friday 15 January 2027. If we do not hear from you by then" in second.part("plain")
    decisions = h.rows(DelayDecision)
    assert [d.consent_required for d in decisions] == [False, True]
    assert client.post(wait).status_code == 409  # the old link is replaced by the new notice


def test_an_unanswered_consent_notice_is_cancelled_after_its_deadline_under_that_policy(h, sink):
    h.set("notify.delay_policy", "cancel_and_refund")
    backorder = h.backorder(expected=days(75))
    h.evaluate()
    assert "we will cancel these items and refund them in full" in sink.messages[0].part("plain")
    h.today = days(30)
    h.evaluate()
    assert h.admin.cancels == []
    h.today = days(31)
    h.evaluate()
    assert len(h.admin.cancels) == 1 and h.get(Backorder, backorder).status == "cancelled"
    assert "we did not hear from you by Thursday 31 December 2026" in sink.messages[-1].part("plain")


def test_an_unanswered_consent_notice_asks_the_merchant_under_that_policy(h, sink):
    h.set("notify.support_email", "owner@tea.example")
    backorder = h.backorder(expected=days(75))
    h.evaluate()
    h.today = days(31)
    h.evaluate()
    h.evaluate()
    assert h.admin.cancels == [] and h.get(Backorder, backorder).status == "open"
    [ask] = sink.to("owner@tea.example")
    assert ask.subject.endswith("delay notice unanswered") and "ada@example.com" in ask.part("plain")
    assert "did not answer a delay notice" in ask.part("plain") and "did not carry out" not in ask.part("plain")
    assert h.rows(DelayDecision)[0].outcome == "escalated"


def test_a_store_that_refuses_the_cancellation_is_recorded_and_the_merchant_is_told(h, sink, client):
    h.set("notify.support_email", "owner@tea.example")
    backorder = h.backorder(expected=days(45))
    h.evaluate()
    client.post(links(sink.messages[0])["cancel"])
    h.admin.fail_cancel = PlatformRejected("shopify: userErrors: order already fulfilled")
    h.evaluate()
    [decision] = h.rows(DelayDecision)
    assert decision.outcome == "cancel_failed" and "already fulfilled" in decision.outcome_error
    assert h.get(Backorder, backorder).status == "open"
    assert len(sink.to("owner@tea.example")) == 1


def test_a_store_outage_retries_the_cancellation_on_the_next_run(h, sink, client):
    h.backorder(expected=days(45))
    h.evaluate()
    client.post(links(sink.messages[0])["cancel"])
    h.admin.fail_cancel = PlatformUnavailable("shopify: 503")
    h.evaluate()
    assert h.rows(DelayDecision)[0].outcome == "cancelling"
    h.admin.fail_cancel = None
    h.evaluate()
    assert h.rows(DelayDecision)[0].outcome == "cancelled" and len(h.admin.cancels) == 1


def test_a_forged_link_is_refused(h, sink, client):
    h.backorder(expected=days(45))
    h.evaluate()
    cancel = links(sink.messages[0])["cancel"]
    forged = cancel[:-len("/cancel")][:-2] + ("AA" if not cancel[:-len("/cancel")].endswith("AA") else "BB") + "/cancel"
    response = client.post(forged)
    assert response.status_code == 400 and b"This link does not work" in response.data
    assert b"Bad signature" not in response.data
    assert h.rows(DelayDecision)[0].answer is None


def test_a_malformed_link_is_refused(client):
    assert client.get("/orders/nonsense/cancel").status_code == 400
    assert client.get("/orders/a.1.b/other").status_code == 404


def test_an_expired_link_is_refused(h, sink, client):
    h.backorder(expected=days(45))
    h.evaluate()
    cancel = links(sink.messages[0])["cancel"]
    token = cancel.split("/")[2]
    nonce, _, _ = token.split(".")
    expired = h.links.token(nonce, date(2020, 1, 1))
    response = client.post(f"/orders/{expired}/cancel")
    assert response.status_code == 410 and h.rows(DelayDecision)[0].answer is None


def test_every_notice_and_outcome_is_in_the_message_log(h, sink, client):
    h.backorder(expected=days(45))
    h.evaluate()
    client.post(links(sink.messages[0])["cancel"])
    h.evaluate()
    assert [(m.kind, m.status) for m in h.rows(Message)] == [("delay_notice", "sent"), ("cancelled", "sent")]


def test_a_cancellation_the_store_did_not_refund_says_the_refund_is_being_issued(h, sink, client):
    h.admin.refunds = False  # e.g. a Shopify order edited by an earlier version leaves "refund owed"
    h.backorder(expected=days(45))
    h.evaluate()
    client.post(links(sink.messages[0])["cancel"])
    h.evaluate()
    last = sink.messages[-1]
    assert last.subject == "Order #1001: items cancelled, refund on its way"
    assert "Our team is issuing the full refund" in last.part("plain") and "refunded them" not in last.part("plain")
    assert h.rows(DelayDecision)[0].outcome == "cancelled_refund_owed"


def test_a_cancellation_of_items_never_charged_says_they_will_not_be_charged(h, sink, client, caplog):
    h.admin.charged = False  # a Shopify order only authorized: capture happens when goods ship
    h.backorder(expected=days(45))
    h.evaluate()
    client.post(links(sink.messages[0])["cancel"])
    with caplog.at_level("WARNING"):
        h.evaluate()
    last = sink.messages[-1]
    assert last.subject == "Order #1001: items cancelled, you will not be charged"
    plain, html = last.part("plain"), last.part("html")
    assert "You have not been charged for these items and you will not be" in plain and "refund" not in plain
    assert "You have not been charged" in html and "refund" not in html.split("<body")[-1]
    assert h.rows(DelayDecision)[0].outcome == "cancelled_not_charged"
    assert h.get(Backorder, h.rows(DelayDecision)[0].backorder_id).status == "cancelled"
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_a_refunded_cancellation_logs_no_warning(h, sink, client, caplog):
    h.backorder(expected=days(45))
    h.evaluate()
    client.post(links(sink.messages[0])["cancel"])
    with caplog.at_level("WARNING"):
        h.evaluate()
    assert sink.messages[-1].subject == "Order #1001: items cancelled and refunded"
    assert "refunded them in full" in sink.messages[-1].part("plain")
    assert h.rows(DelayDecision)[0].outcome == "cancelled"
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
