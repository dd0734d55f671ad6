"""The Messages page over HTTP (Flask's client, a real database on SQLite and PostgreSQL, a real SMTP server
on loopback): a template edit changes the next message the customer gets, a bad template is refused with
its error and nothing saved, a Dutch customer gets Dutch text with a Dutch date, the preview renders on a
real backorder and sends nothing, the log filters, pages and opens each message's full text."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from connector.db.models import Backorder, Order, OrderLine
from connector.domain.clock import utcnow
from connector.notify.evaluate import evaluate_backorders
from connector.notify.models import Message, MessageTemplate
from connector.shop_settings import set_setting
from jobs.notify import build_notifier
from sandbox.smtp_sink import SmtpSink
from tests.support.merchant import API_KEY, app_path, bearer, csrf_token, session_token
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp

DUTCH_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
DUTCH_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december")


def dutch(day: date) -> str:
    return f"{DUTCH_DAYS[day.weekday()]} {day.day} {DUTCH_MONTHS[day.month - 1]} {day.year}"


def english(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture
def web(database_url: str, sink: SmtpSink) -> Iterator[WebApp]:
    app = make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example",
                      smtp_host=sink.host, smtp_port=sink.port, smtp_from="orders@tea.example",
                      notify_public_base_url="https://connector.example")
    yield app
    app.container.close()


class Shop:
    """Backorders of the web app's Shopify shop, and the notify run that tells their customers."""

    def __init__(self, web: WebApp) -> None:
        self.web = web
        self.orders = 0

    def backorder(self, *, days_out: int = 20, locale: str | None = None, email: str = "ada@example.com",
                  title: str = "Darjeeling 100 g", sku: str = "TEA-1", shop_id: int | None = None) -> int:
        self.orders += 1
        number = self.orders
        today = utcnow().date()
        placed = datetime.combine(today, time(0), tzinfo=UTC)
        with self.web.container.uow() as uow:
            order = Order(shop_id=shop_id or self.web.shop_id, platform_order_id=str(5000 + number),
                          name=f"#{5000 + number}", customer_email=email, ordered_at=placed,
                          platform_updated_at=placed, locale=locale)
            line = OrderLine(shop_id=order.shop_id, platform_line_id=f"L{number}", sku=sku, variant_id=f"V{number}",
                             stock_key=f"V{number}", title=title, quantity=2)
            order.lines.append(line)
            uow.session.add(order)
            uow.session.flush()
            backorder = Backorder(shop_id=order.shop_id, order_line_id=line.id, sku=sku, stock_key=line.stock_key,
                                  quantity_backordered=2, status="open",
                                  expected_date=today + timedelta(days=days_out), created_at=placed,
                                  updated_at=placed)
            uow.session.add(backorder)
            uow.commit()
            return backorder.id

    def tell(self) -> Any:
        return evaluate_backorders(build_notifier(self.web.container), self.web.shop_id)


@pytest.fixture
def shop(web: WebApp) -> Shop:
    return Shop(web)


def token() -> str:
    return session_token(SHOP, SHOPIFY_SECRET)


def page(web: WebApp, path: str, **params: Any) -> tuple[int, str]:
    answer = web.client.get(app_path(path, SHOP, token(), **params))
    return answer.status_code, answer.get_data(as_text=True)


def post(web: WebApp, path: str, data: dict[str, Any]) -> Any:
    first = token()
    html = web.client.get(app_path("/app/messages", SHOP, first)).get_data(as_text=True)
    return web.client.post(app_path(path, SHOP, first), data={"csrf_token": csrf_token(html), **data})


def shown(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no {testid} on the page"
    return html_lib.unescape(found.group(1))


def templates_of(web: WebApp) -> list[MessageTemplate]:
    from sqlalchemy import select

    with web.container.uow() as uow:
        rows = list(uow.session.scalars(select(MessageTemplate)))
        uow.session.expunge_all()
        return rows


CAPTURE = "/app/messages/templates/capture_notice/en"


def test_a_template_edit_changes_the_next_message_the_customer_gets(web: WebApp, shop: Shop, sink: SmtpSink):
    status, html = page(web, CAPTURE)
    assert status == 200 and "{{ date_text }}" in html_lib.unescape(html)  # the shipped wording, editable
    answer = post(web, CAPTURE, {
        "action": "save", "subject": "Good news about {{ order_name }}: {{ date_text }}",
        "doing": "We reordered from the roaster today.",
        "body": "Dear customer,\n\n{% for item in items %}{{ item.title }} arrives on {{ date_text }}.\n{% endfor %}"
                "\n{{ doing_text }}\n\nSee https://tea.example/orders & more\n{{ shop_name }}"})
    assert answer.status_code == 303
    [row] = templates_of(web)
    assert (row.kind, row.language, row.actor) == ("capture_notice", "en", "shopify:73")

    shop.backorder(days_out=20, title="Tea <b>& co</b>")
    report = shop.tell()
    assert report.sent == 1
    [mail] = sink.to("ada@example.com")
    expected = utcnow().date() + timedelta(days=20)
    assert mail.subject == f"Good news about #5001: {english(expected)}"
    text = mail.part("plain")
    assert f"Tea <b>& co</b> arrives on {english(expected)}." in text
    assert "We reordered from the roaster today." in text
    html = mail.part("html")
    assert "Tea &lt;b&gt;&amp; co&lt;/b&gt; arrives on" in html and "<b>" not in html
    assert '<a href="https://tea.example/orders">https://tea.example/orders</a> &amp; more' in html

    status, log = page(web, "/app/messages")
    assert status == 200 and f"Good news about #5001: {english(expected)}" in html_lib.unescape(log)
    message_id = int(re.search(r'data-message="(\d+)"', log).group(1))
    status, detail = page(web, f"/app/messages/{message_id}")
    assert status == 200 and "We reordered from the roaster today." in shown(detail, "message-text")


def test_going_back_to_the_shipped_wording_sends_the_shipped_message_again(web: WebApp, shop: Shop, sink: SmtpSink):
    post(web, CAPTURE, {"action": "save", "subject": "Custom {{ order_name }}", "body": "Custom body", "doing": ""})
    assert post(web, CAPTURE, {"action": "reset"}).status_code == 303
    assert templates_of(web) == []
    shop.backorder(days_out=20)
    shop.tell()
    [mail] = sink.messages
    assert mail.subject.startswith("Order #5001: expected in stock on ")


@pytest.mark.parametrize("body, field, error", [
    ("Hello {{ nonsense }}", "body", "unknown variable nonsense"),
    ("Hello {% if date_text %}", "body", "line 1: Unexpected end of template"),
    ("{{ items.__class__.__mro__ }}", "body", "not allowed: access to attribute &#39;__class__&#39;"),
    ("{{ items[7].title }}", "body", "does not render: UndefinedError"),
])
def test_a_bad_template_is_refused_with_its_error_and_nothing_is_saved(web: WebApp, body: str, field: str, error: str):
    answer = post(web, CAPTURE, {"action": "save", "subject": "Order {{ order_name }}", "body": body, "doing": ""})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert error in re.search(rf'data-testid="problem-{field}">(.*?)</p>', html, re.S).group(1)
    assert "Not saved" in html and html_lib.escape(body, quote=False) in html  # what was typed is kept
    assert templates_of(web) == []


def test_a_subject_naming_a_variable_of_another_kind_is_refused(web: WebApp):
    answer = post(web, CAPTURE, {"action": "save", "subject": "{{ cancel_url }}", "body": "x", "doing": ""})
    assert answer.status_code == 422
    assert "unknown variable cancel_url" in answer.get_data(as_text=True)


def test_a_dutch_customer_gets_dutch_text_with_a_dutch_date(web: WebApp, shop: Shop, sink: SmtpSink):
    shop.backorder(days_out=20, locale="nl-NL", email="bram@example.nl")
    shop.backorder(days_out=20, locale="en-US", email="ada@example.com")
    shop.tell()
    expected = utcnow().date() + timedelta(days=20)
    [dutch_mail] = sink.to("bram@example.nl")
    assert dutch_mail.subject == f"Bestelling #5001: verwacht op voorraad op {dutch(expected)}"
    assert f"We verwachten het op {dutch(expected)} weer op voorraad" in dutch_mail.part("plain")
    assert '<html lang="nl">' in dutch_mail.part("html") and dutch_mail.message["Content-Language"] == "nl"
    [english_mail] = sink.to("ada@example.com")
    assert english_mail.subject == f"Order #5002: expected in stock on {english(expected)}"


def test_the_shops_language_applies_when_the_order_names_none_we_ship(web: WebApp, shop: Shop, sink: SmtpSink):
    set_setting(web.container.uow(), web.shop_id, "notify.language", "nl")
    shop.backorder(days_out=20, locale=None, email="a@example.nl")
    shop.backorder(days_out=20, locale="fr-FR", email="b@example.fr")
    shop.backorder(days_out=20, locale="en", email="c@example.com")
    shop.tell()
    assert sink.to("a@example.nl")[0].subject.startswith("Bestelling #5001")
    assert sink.to("b@example.fr")[0].subject.startswith("Bestelling #5002")
    assert sink.to("c@example.com")[0].subject.startswith("Order #5003")


def test_a_dutch_template_edit_reaches_only_dutch_customers(web: WebApp, shop: Shop, sink: SmtpSink):
    answer = post(web, "/app/messages/templates/capture_notice/nl", {
        "action": "save", "subject": "Goed nieuws over {{ order_name }}",
        "body": "Beste klant,\n\nJe pakket komt op {{ date_text }}.", "doing": ""})
    assert answer.status_code == 303
    shop.backorder(days_out=20, locale="nl", email="bram@example.nl")
    shop.backorder(days_out=20, locale=None, email="ada@example.com")
    shop.tell()
    expected = utcnow().date() + timedelta(days=20)
    [mail] = sink.to("bram@example.nl")
    assert mail.subject == "Goed nieuws over #5001"
    assert f"Je pakket komt op {dutch(expected)}." in mail.part("plain")
    assert sink.to("ada@example.com")[0].subject.startswith("Order #5002: expected in stock")


def test_the_preview_renders_a_draft_on_a_real_backorder_and_sends_nothing(web: WebApp, shop: Shop, sink: SmtpSink):
    first = shop.backorder(days_out=20, title="Assam 250 g", sku="TEA-AS")
    shop.backorder(days_out=30, title="Sencha 50 g", sku="TEA-SE")
    answer = post(web, CAPTURE, {"action": "preview", "backorder": str(first), "subject": "About {{ order_name }}",
                                 "body": "{% for item in items %}{{ item.quantity }} x {{ item.title }}{% endfor %}",
                                 "doing": ""})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert shown(html, "preview-subject") == "About #5001"
    # the text part as sent: the body, then the layout's footer (the store; the order's page only when known)
    assert shown(html, "preview-text") == "2 x Assam 250 g\n\nsigned-shop.myshopify.com: https://signed-shop.myshopify.com/"
    assert "On order #5001, TEA-AS (open)" in html
    assert templates_of(web) == [] and sink.messages == []

    live = web.client.post("/app/messages/templates/delay_notice/nl/preview", headers=bearer(token()),
                           data={"subject": "{{ order_name }} {{ deadline_text }}", "body": "{{ cancel_url }}",
                                 "doing": "", "backorder": str(first)})
    assert live.status_code == 200
    data = live.get_json()
    assert data["subject"].startswith("#5001 ") and data["text"] == (
        "https://preview.invalid/cancel\n\nsigned-shop.myshopify.com: https://signed-shop.myshopify.com/")
    assert any(day in data["subject"] for day in DUTCH_DAYS)
    refused = web.client.post("/app/messages/templates/delay_notice/nl/preview", headers=bearer(token()),
                              data={"subject": "{{ oops }}", "body": "x", "doing": ""})
    assert refused.status_code == 422 and "oops" in refused.get_json()["problems"]["subject"]
    assert sink.messages == []


def test_the_shipped_wording_previews_in_each_language(web: WebApp, shop: Shop):
    shop.backorder(days_out=20)
    status, html = page(web, "/app/messages/templates/apology/nl")
    assert status == 200 and "Het spijt ons" in shown(html, "preview-text")
    assert "doing_text" in html and "previous_text" in html  # the variables are listed
    status, html = page(web, "/app/messages/templates/pileup_alert/en")
    assert status == 200 and "Backorders are piling up" in shown(html, "preview-text")


def _messages(web: WebApp, shop: Shop, count: int) -> None:
    ids = [shop.backorder() for _ in range(count)]
    with web.container.uow() as uow:
        for n, backorder_id in enumerate(ids):
            backorder = uow.session.get(Backorder, backorder_id)
            uow.session.add(Message(shop_id=web.shop_id, backorder_id=backorder_id, order_id=backorder.line.order_id,
                                    kind="apology" if n % 2 else "capture_notice", date_key="2026-12-21",
                                    recipient="ada@example.com", subject=f"Subject {n}",
                                    status="failed" if n == 3 else "sent", attempts=1, body_text=f"Text {n}"))
        uow.commit()


def test_the_log_filters_by_kind_status_and_order_and_pages_newest_first(web: WebApp, shop: Shop):
    _messages(web, shop, 53)
    status, html = page(web, "/app/messages")
    assert "Showing 1–50 of 53" in html and len(re.findall(r'data-message="', html)) == 50
    assert html.index("Subject 52") < html.index("Subject 51")
    status, html = page(web, "/app/messages", page=2)
    assert len(re.findall(r'data-message="', html)) == 3 and "Subject 0<" in html
    status, html = page(web, "/app/messages", kind="apology")
    assert "of 26" in html and "Subject 2<" not in html
    status, html = page(web, "/app/messages", status="failed")
    assert len(re.findall(r'data-message="', html)) == 1 and "Subject 3<" in html
    status, html = page(web, "/app/messages", order="5005")
    assert len(re.findall(r'data-message="', html)) == 1 and "Subject 4<" in html
    status, html = page(web, "/app/messages", status="lost", page="x")
    assert status == 200 and "status &#39;lost&#39; is not one of" in html
    assert "page &#39;x&#39; is not a number" in html


def test_another_shops_message_is_not_found(web: WebApp, shop: Shop):
    backorder = shop.backorder(shop_id=web.store_id)
    with web.container.uow() as uow:
        row = uow.session.get(Backorder, backorder)
        message = Message(shop_id=web.store_id, backorder_id=backorder, order_id=row.line.order_id,
                          kind="capture_notice", date_key="unknown", status="sent", attempts=1, body_text="secret")
        uow.session.add(message)
        uow.commit()
        message_id = message.id
    status, html = page(web, f"/app/messages/{message_id}")
    assert status == 404 and "secret" not in html
    status, html = page(web, "/app/messages")
    assert 'data-message="' not in html
    assert page(web, "/app/messages/templates/nope/en")[0] == 404
    assert page(web, "/app/messages/templates/capture_notice/fr")[0] == 404


def test_capture_keeps_the_customers_language_from_the_store(web: WebApp):
    from dataclasses import replace

    from sqlalchemy import select

    from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
    from connector.capture.capture import capture_order
    from tests.conftest import load_json_fixture

    payload = load_json_fixture("shopify/rest/api_js_2024-04__order_create_pending.json")
    payload = {**payload.get("order", payload), "customer_locale": "nl-BE"}
    snapshot = ShopifyPlatform(ShopifyGraphQL(SHOP, "shpat_unit")).parse_order(payload)
    capture_order(web.container.uow(), web.platform, web.shop_id, snapshot)
    later = replace(snapshot, locale=None, name="#renamed", updated_at=snapshot.updated_at + timedelta(hours=1))
    capture_order(web.container.uow(), web.platform, web.shop_id, later)  # an update that does not say
    with web.container.uow() as uow:
        order = uow.session.scalar(select(Order).where(Order.platform_order_id == snapshot.order_id))
        assert (order.locale, order.name) == ("nl-BE", "#renamed")
