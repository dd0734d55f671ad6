"""Drop-ship alerts reach the merchant through the shop's alert channels (real SMTP sink, a Slack
incoming webhook on loopback), once each, with a transient refusal retried on the next run."""

from __future__ import annotations

import pytest
from flask import Flask, request

from connector.dropship.alerts import deliver_alerts, list_alerts
from connector.dropship.place import alert
from connector.shop_settings import set_setting
from sandbox.serve import serve_in_thread
from sandbox.stack import start_stack
from tests.support.dropship_support import MERCHANT, shop


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    app = Flask("slack")
    received: list[dict] = []

    @app.post("/hook")
    def hook():  # type: ignore[no-untyped-def]
        received.append(request.get_json())
        return "ok"

    server = serve_in_thread(app)
    yield server.url + "/hook", received
    server.stop()


def deliver(stack, shop_id: int) -> int:  # type: ignore[no-untyped-def]
    from adapters.notify.smtp import SmtpMailer

    c = stack.container
    return deliver_alerts(c.uow, SmtpMailer.from_settings(c.settings), c.settings.smtp_from, shop_id,
                          slack=c.slack_webhook, box=c.box)


def test_an_alert_goes_by_email_and_slack_once(stack, slack):
    url, received = slack
    info = shop(stack, "shopify")
    set_setting(stack.container.uow(), info.id, "alerts.email", MERCHANT)
    set_setting(stack.container.uow(), info.id, "alerts.slack_webhook_url", url, box=stack.container.box)
    assert alert(stack.container.uow(), info.id, "store_refused_fulfillment", "k-1", "Order #1001 refused: closed.")
    assert not alert(stack.container.uow(), info.id, "store_refused_fulfillment", "k-1", "again")  # recorded once

    assert deliver(stack, info.id) == 1
    assert deliver(stack, info.id) == 0
    [mail] = stack.sandbox.smtp.to(MERCHANT)
    assert "the store refused a fulfillment" in mail.subject and "Order #1001 refused" in mail.part("plain")
    [posted] = received
    assert "the store refused a fulfillment" in posted["text"] and "Order #1001 refused" in str(posted["blocks"])
    assert list_alerts(stack.container.uow(), info.id)[0]["sent"]


def test_a_mail_server_that_says_try_later_gets_the_alert_on_the_next_run(stack):
    info = shop(stack, "shopify")
    set_setting(stack.container.uow(), info.id, "alerts.email", MERCHANT)
    alert(stack.container.uow(), info.id, "supplier_unavailable", "k-2", "Supplier down for order #1002.")
    stack.sandbox.smtp.refuse_next(3)  # every attempt of this run
    assert deliver(stack, info.id) == 0 and stack.sandbox.smtp.to(MERCHANT) == []
    assert list_alerts(stack.container.uow(), info.id)[0]["sent"] == ""
    assert deliver(stack, info.id) == 1 and len(stack.sandbox.smtp.to(MERCHANT)) == 1


def test_without_any_alert_channel_nothing_is_marked_sent(stack):
    info = shop(stack, "shopify")
    alert(stack.container.uow(), info.id, "supplier_rejected", "k-3", "Refused.")
    assert deliver(stack, info.id) == 0
    assert list_alerts(stack.container.uow(), info.id)[0]["sent"] == ""


def test_the_shops_own_wording_of_a_drop_ship_alert_is_used_in_its_language(stack):
    from connector.notify import email as notify_email
    from connector.notify import templates

    info = shop(stack, "shopify")
    set_setting(stack.container.uow(), info.id, "alerts.email", MERCHANT)
    set_setting(stack.container.uow(), info.id, "notify.language", "nl")
    templates.save(stack.container.uow(), info.id, "dropship_alert", "nl", notify_email.Custom(
        subject="Dropship: {{ title }}", body="Wat er gebeurde: {{ headline }}", doing=""), actor="test")
    alert(stack.container.uow(), info.id, "store_refused_fulfillment", "k-9", "Order #1001 refused: closed.")
    assert deliver(stack, info.id) == 1
    [mail] = stack.sandbox.smtp.to(MERCHANT)
    assert mail.subject == "Dropship: the store refused a fulfillment"
    assert "Wat er gebeurde: Order #1001 refused: closed." in mail.part("plain")
