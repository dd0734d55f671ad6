"""Pile-up alerts through a real SMTP server and a real Slack-like HTTP endpoint on loopback."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from flask import Flask, request

from connector.notify.alerts import check_pileups
from connector.notify.models import PileupAlert
from connector.supply.models import StoreSku
from sandbox.serve import serve_in_thread
from tests.support.notify_support import TODAY, Harness, loads_recorded


class SlackLike:
    """An incoming-webhook endpoint that records posts and can answer with an error."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.fail_with: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        app = Flask("slack-like")

        @app.post("/services/T000/B000/secret")
        def hook():
            with self.lock:
                if self.fail_with:
                    status, body = self.fail_with.pop(0)
                    return body, status
                self.posts.append(json.loads(request.data))
            return "ok"

        self.server = serve_in_thread(app)
        self.url = f"{self.server.url}/services/T000/B000/secret"


@pytest.fixture
def slack():
    endpoint = SlackLike()
    yield endpoint
    endpoint.server.stop()


@pytest.fixture
def h(database_url, sink, slack):
    harness = Harness(database_url, sink)
    harness.set("alerts.email", "ops@tea.example")
    harness.set("alerts.slack_webhook_url", slack.url)
    yield harness
    harness.close()


def check(h):
    return check_pileups(h.notifier, h.shop_id, slack_timeout=5)


def test_crossing_the_count_threshold_alerts_once_by_email_and_slack(h, sink, slack):
    h.set("alerts.thresholds", {"count": 3})
    for _ in range(2):
        h.backorder(expected=TODAY + timedelta(days=3), sku="TEA-1")
    assert check(h).crossed == []
    h.backorder(expected=TODAY + timedelta(days=3), sku="TEA-1")
    assert check(h).crossed == [("TEA-1", "count")]
    check(h)
    check(h)
    [mail] = sink.to("ops@tea.example")
    assert "TEA-1" in mail.subject and "Open backorders: 3" in mail.part("plain")
    assert len(slack.posts) == 1 and "TEA-1" in slack.posts[0]["text"]
    [row] = h.rows(PileupAlert)
    assert row.status == "sent" and row.channels == "email,slack"


def test_falling_below_clears_and_the_next_crossing_alerts_again(h, sink, slack):
    h.set("alerts.thresholds", {"count": 2})
    first = h.backorder(expected=None, sku="TEA-1")
    h.backorder(expected=None, sku="TEA-1")
    check(h)
    with h.container.uow() as uow:
        from connector.db.models import Backorder

        uow.session.get(Backorder, first).status = "fulfilled"
        uow.commit()
    assert check(h).cleared == [("TEA-1", "count")]
    h.backorder(expected=None, sku="TEA-1")
    assert check(h).crossed == [("TEA-1", "count")]
    assert len(slack.posts) == 2 and len(h.rows(PileupAlert)) == 2


def test_the_oldest_age_threshold(h, sink, slack):
    h.set("alerts.thresholds", {"age_days": 10})
    h.backorder(expected=None, sku="TEA-2", ordered=TODAY - timedelta(days=9))
    assert check(h).crossed == []
    h.today = TODAY + timedelta(days=1)
    assert check(h).crossed == [("TEA-2", "age_days")]


def test_the_value_threshold_uses_the_store_price(h, sink, slack):
    h.set("alerts.thresholds", {"value": 100})
    with h.container.uow() as uow:
        uow.session.add(StoreSku(shop_id=h.shop_id, sku="TEA-3", price=12.5))
        uow.commit()
    h.backorder(expected=None, sku="TEA-3", quantity=4)
    assert check(h).crossed == []
    h.backorder(expected=None, sku="TEA-3", quantity=4)
    assert check(h).crossed == [("TEA-3", "value")]
    assert "100.00" in sink.messages[0].part("plain")


def test_a_slack_outage_is_retried_later_without_emailing_twice(h, sink, slack):
    h.set("alerts.thresholds", {"count": 1})
    h.backorder(expected=None)
    slack.fail_with = [(503, "down")] * 3
    check(h)
    [row] = h.rows(PileupAlert)
    assert row.status == "pending" and row.channels == "email" and "503" in row.error
    assert slack.url not in row.error
    check(h)
    assert len(slack.posts) == 1 and len(sink.messages) == 1 and h.rows(PileupAlert)[0].status == "sent"


def test_a_revoked_slack_webhook_is_recorded_as_failed(h, sink, slack):
    h.set("alerts.thresholds", {"count": 1})
    h.backorder(expected=None)
    slack.fail_with = [(404, "no_service")]
    check(h)
    [row] = h.rows(PileupAlert)
    assert row.status == "failed" and "404" in row.error and row.channels == "email"


def test_the_shops_own_wording_of_the_pileup_alert_is_sent_by_email_and_slack(h, sink, slack):
    from connector.notify import email as notify_email
    from connector.notify import templates

    templates.save(h.container.uow(), h.shop_id, "pileup_alert", "en", notify_email.Custom(
        subject="Reorder {{ sku }} now: {{ count }} waiting",
        body="{{ sku }} has {{ units }} units short.\n{{ doing_text }}",
        doing="Call Acme on 020 123 4567."), actor="test")
    h.set("alerts.thresholds", {"count": 2})
    h.backorder(expected=None, sku="TEA-1")
    h.backorder(expected=None, sku="TEA-1")
    check(h)
    [mail] = sink.to("ops@tea.example")
    assert mail.subject == "Reorder TEA-1 now: 2 waiting"
    own, _, footer = mail.part("plain").partition("\r\n--\r\n")
    assert own.split() == "TEA-1 has 4 units short. Call Acme on 020 123 4567.".split()
    assert "alerts.thresholds" in footer and "Order" not in footer  # the merchant's footer follows their text
    assert slack.posts[0]["text"].endswith("Reorder TEA-1 now: 2 waiting")


def _priced(h, backorder_id, *, currency, unit_price, title=None):
    from decimal import Decimal

    from connector.db.models import Backorder

    with h.container.uow() as uow:
        line = uow.session.get(Backorder, backorder_id).line
        line.unit_price = Decimal(unit_price)
        line.order.currency = currency
        if title is not None:
            line.title = title
        uow.commit()


def test_the_pileup_email_names_the_product_and_counts_once_with_the_value_in_its_currency(h, sink, slack):
    h.set("notify.sender_name", "Tea & Leaf <Co.>")
    h.set("alerts.thresholds", {"count": 3})
    title = "First Flush Darjeeling <Castleton> & Margaret's Hope, 100 g caddy"
    for quantity in (2, 3, 5):
        backorder = h.backorder(expected=None, sku="TEA-DJ-100", quantity=quantity, title="old title")
        _priced(h, backorder, currency="EUR", unit_price="12.40", title=title)
    check(h)
    [mail] = sink.to("ops@tea.example")
    text, html = mail.part("plain"), mail.part("html")
    assert mail.subject == f"Backorders piling up: {title} (SKU TEA-DJ-100), 3 open backorders"
    assert "at Tea & Leaf <Co.> for " + title in text
    assert ".." not in text and ".." not in html
    assert "Open backorders: 3 (10 units short), over your alert at 3" in text
    assert text.count("3 (10 units short)") == 1 and "Open backorders" not in text.split("units short")[1]
    assert "Value waiting: EUR 124.00" in text and "EUR 124.00" in html
    assert "First Flush Darjeeling &lt;Castleton&gt; &amp; Margaret&#39;s Hope" in html
    assert "Order SKU" not in text and "Order SKU" not in html and "Order " not in html.split("</table>")[-2]
    assert "Tea &amp; Leaf &lt;Co.&gt;" in html and "sent to the shop by the backorder connector" in text
    assert slack.posts[0]["text"].endswith(mail.subject)
    assert "EUR 124.00" in json.dumps(slack.posts[0])


def test_a_shop_name_ending_in_a_full_stop_is_not_followed_by_another(h, sink, slack):
    h.set("notify.sender_name", "Tea & Leaf Co.")
    h.set("alerts.thresholds", {"value": 20})
    backorder = h.backorder(expected=None, sku="TEA-1", quantity=2)
    _priced(h, backorder, currency="GBP", unit_price="10.50")
    check(h)
    [mail] = sink.to("ops@tea.example")
    text = mail.part("plain")
    assert "Tea & Leaf Co.." not in text and "Tea & Leaf Co.." not in mail.part("html")
    assert mail.subject.endswith("GBP 21.00 waiting")
    assert "Value waiting: GBP 21.00, over your alert at GBP 20.00" in text
    assert "Darjeeling 100 g (SKU TEA-1)" in text


def test_without_any_price_the_value_is_not_known_and_an_order_of_today_waits_less_than_a_day(h, sink, slack):
    h.set("alerts.thresholds", {"count": 2})
    for _ in range(2):
        h.backorder(expected=None, sku="TEA-NP", quantity=1)  # no line price, no store price, ordered today
    check(h)
    [mail] = sink.to("ops@tea.example")
    text, html = mail.part("plain"), mail.part("html")
    assert "Value waiting: not known (no price from the store)" in text
    assert "not known (no price from the store)" in html
    assert "Oldest backorder: less than a day" in text and "0 days" not in text + html
    assert "0.00" not in text + html
    fields = json.dumps(slack.posts[0])
    assert "not known (no price from the store)" in fields and "less than a day" in fields and "0.00" not in fields


def test_units_without_a_price_are_said_to_be_left_out_of_the_value(h, sink, slack):
    h.set("alerts.thresholds", {"count": 2})
    priced = h.backorder(expected=None, sku="TEA-HALF", quantity=2, ordered=TODAY - timedelta(days=1))
    _priced(h, priced, currency="EUR", unit_price="12.40")
    h.backorder(expected=None, sku="TEA-HALF", quantity=3)
    check(h)
    text = sink.to("ops@tea.example")[0].part("plain")
    assert "Value waiting: EUR 24.80 (3 units without a price not counted)" in text
    assert "Oldest backorder: 1 day\n" in text or "Oldest backorder: 1 day\r\n" in text


def test_an_age_alert_names_the_days_in_its_subject_and_figures(h, sink, slack):
    h.set("alerts.thresholds", {"age_days": 1})
    h.backorder(expected=None, sku="TEA-OLD", ordered=TODAY - timedelta(days=1))
    check(h)
    [mail] = sink.to("ops@tea.example")
    assert mail.subject.endswith("oldest waiting 1 day")
    assert "Oldest backorder: 1 day, over your alert at 1 day" in mail.part("plain")


def test_a_check_reads_the_waiting_backorders_as_columns_and_loads_none(h, sink, slack):
    """Every scheduled check reads all of a shop's waiting backorders: as columns (one query), not as entities
    with their lines and orders. The figures are the same either way (the tests above)."""
    from connector.db.models import Backorder, Order, OrderLine

    h.set("alerts.thresholds", {"count": 2})
    for quantity in (1, 4):
        _priced(h, h.backorder(expected=None, sku="TEA-OOLONG", quantity=quantity), currency="EUR",
                unit_price="5.00", title="Oolong")
    with loads_recorded(Backorder, OrderLine, Order, key=lambda target: type(target).__name__) as loaded:
        report = check(h)
    assert report.crossed == [("TEA-OOLONG", "count")] and loaded == []
    [mail] = sink.to("ops@tea.example")
    assert "Open backorders: 2 (5 units short)" in mail.part("plain") and "EUR 25.00" in mail.part("plain")
