"""The message gallery's data (issue 18 "Tests"): every message kind and customer page produced through the
product's own code paths on realistic, awkward data, collected as ``Shot``s for the words to be asserted and
the HTML photographed (tests/e2e/browser/test_message_gallery.py).

Customer e-mails come out of a real SQLite database, the notify evaluation and a real SMTP server (aiosmtpd);
the customer's pages out of the Flask app (test client) answering the links those e-mails carry; merchant
alerts out of their senders (pile-up check, drop-ship alert delivery, a purchase order's and a failing feed's
alert) into the same SMTP server. The data: a long shop name and product titles with ``&`` and ``<``, one
order of three short lines, no logo, no customer first name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from connector.app import create_app
from connector.db.models import Backorder, Order, OrderLine
from connector.domain.clock import utcnow
from connector.notify.links import order_token
from sandbox.smtp_sink import Received, SmtpSink
from tests.support.notify_support import BASE_URL, Harness

LONG_SHOP = "The Very Long Named Tea & Leaf <Company> of Upper Wickhamshire-on-the-Marsh Limited"
SUPPORT = "help@tea-leaf.example"
ALERTS = "ops@tea-leaf.example"
THREE = (("TEA-DJ-100", "Darjeeling First Flush & Second Flush <Limited> Single-Estate Castleton Selection 100 g", 2),
         ("TEA-SEN-50", "Sencha", 1),
         ("MUG-WHT", "Mug <white>", 3))
"""One order's three short lines: a long title with & and <, a one-word title, a title with <."""
TEAPOT = ("POT-CAST", "Cast-iron teapot & <warmer> set", 1)
LOCALES = {"en": None, "nl": "nl-NL"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGE_LINK = re.compile(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+)(?=[\s\"<]|$)")
CHOICE_LINK = re.compile(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/(?:cancel|wait))")


@dataclass
class Shot:
    """One e-mail or page as the customer (or merchant) gets it."""

    name: str
    """``<kind>-<lang>``: the screenshot's file name without the width."""
    html: str
    subject: str = ""
    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    email: bool = False
    customer: bool = True


def mail_shot(name: str, mail: Received, *, customer: bool = True) -> Shot:
    return Shot(name, mail.part("html"), subject=mail.subject, text=mail.part("plain"), email=True, customer=customer)


def page_shot(name: str, answer: Any) -> Shot:
    return Shot(name, answer.get_data(as_text=True), status=answer.status_code,
                headers={k: v for k, v in answer.headers.items() if k.lower() != "content-length"})


@dataclass
class Story:
    """A shop's harness and app client, the day it runs on, and what came out."""

    h: Harness
    client: FlaskClient
    language: str
    today: date
    shots: dict[str, Shot] = field(default_factory=dict)
    seen: int = 0

    def day(self, n: int) -> date:
        return self.today + timedelta(days=n)

    def new_mail(self) -> list[Received]:
        found = self.h.sink.messages[self.seen:]
        self.seen += len(found)
        return found

    def keep(self, shot: Shot) -> Shot:
        assert shot.name not in self.shots, shot.name
        self.shots[shot.name] = shot
        return shot

    def get(self, name: str, path: str, method: str = "GET", **kwargs: Any) -> Shot:
        headers = {"Accept": BROWSER, "Accept-Language": self.language}
        answer = self.client.open(path, method=method, headers=headers, **kwargs)
        return self.keep(page_shot(f"{name}-{self.language}", answer))

    def order(self, lines: tuple[tuple[str, str, int], ...], *, expected: date | None = None,
              financial_status: str | None = "paid", unit_price: Decimal | None = None) -> list[int]:
        """One order with a waiting backorder per line (dates by hand, or None for the supplier's); the
        customer's locale is the story's language, no first name, an order page in the store."""
        h = self.h
        h._orders += 1
        number = h._orders
        placed = datetime.combine(self.today, time(10), tzinfo=UTC)
        with h.container.uow() as uow:
            order = Order(shop_id=h.shop_id, platform_order_id=str(1000 + number), name=f"#{1000 + number}",
                          customer_email="ada@example.com", ordered_at=placed, platform_updated_at=placed,
                          financial_status=financial_status, locale=LOCALES[self.language], currency="EUR",
                          status_url=f"https://tea-leaf.example/orders/{number}?key=a&b=c")
            uow.session.add(order)
            for index, (sku, title, quantity) in enumerate(lines):
                order.lines.append(OrderLine(shop_id=h.shop_id, platform_line_id=f"L{number}-{index}", sku=sku,
                                             variant_id=f"V-{sku}", stock_key=f"V-{sku}", title=title,
                                             quantity=quantity, unit_price=unit_price))
            uow.session.flush()
            ids = []
            for line in order.lines:
                backorder = Backorder(shop_id=h.shop_id, order_line_id=line.id, sku=line.sku,
                                      stock_key=line.stock_key, quantity_backordered=line.quantity, status="open",
                                      expected_date=expected, created_at=placed, updated_at=placed)
                uow.session.add(backorder)
                uow.session.flush()
                ids.append(backorder.id)
            uow.commit()
            return ids


def open_story(database_url: str, sink: SmtpSink, language: str) -> Story:
    h = Harness(database_url, sink)
    h.today = utcnow().date()  # the links are checked against the real clock
    h.set("notify.sender_name", LONG_SHOP)
    h.set("notify.support_email", SUPPORT)  # no logo: the shop's name is the header
    return Story(h, create_app(container=h.container).test_client(), language, h.today)


def only(found: list[Received], what: str) -> Received:
    assert len(found) == 1, (what, [m.subject for m in found])
    return found[0]


def choices(text: str) -> dict[str, str]:
    """A delay notice's links by choice: {"cancel": "/orders/<token>/cancel", "wait": ...}."""
    found = {path.rsplit("/", 1)[1]: path for path in CHOICE_LINK.findall(text)}
    assert set(found) == {"cancel", "wait"}, text
    return found


def customer_messages(story: Story) -> None:
    """Every customer e-mail kind and the pages their links open, in the story's language."""
    s, lang = story, story.language
    # capture notice and apology: one e-mail for the order's three lines, dated by the supplier
    s.order(THREE)
    skus = [sku for sku, *_ in THREE]
    s.h.restock(skus, s.day(10))
    s.h.evaluate()
    capture = s.keep(mail_shot(f"capture_notice-{lang}", only(s.new_mail(), "capture notice")))
    s.h.restock(skus, s.day(20))
    s.h.evaluate()
    s.keep(mail_shot(f"apology-{lang}", only(s.new_mail(), "apology")))
    # the order page the e-mails link, and its cancel confirmation
    page = PAGE_LINK.search(capture.text)
    assert page is not None, capture.text
    s.get("order_page", page.group(1))
    s.get("order_page_cancel_confirm", f"{page.group(1)}/items/cancel?item=all")

    # a delay notice (no answer needed), its link pages, keep waiting and its confirmation
    s.order((TEAPOT,), expected=s.day(45), unit_price=Decimal("1016.25"))
    s.h.evaluate()
    notice = s.keep(mail_shot(f"delay_notice-{lang}", only(s.new_mail(), "delay notice")))
    links = choices(notice.text)
    s.get("link_wait", links["wait"])
    s.get("link_cancel", links["cancel"])
    s.get("link_wait_done", links["wait"], "POST")
    s.get("link_used", links["wait"], "POST")
    s.h.evaluate()
    s.keep(mail_shot(f"wait_confirmed-{lang}", only(s.new_mail(), "wait confirmed")))

    # a delay notice that needs an answer by a deadline (its page shows the deadline above the choices)
    s.order((("LAMP-OIL", "Oil lamp & <chimney>", 1),), expected=s.day(75))
    s.h.evaluate()
    consent = s.keep(mail_shot(f"delay_notice_consent-{lang}", only(s.new_mail(), "consent notice")))
    consent_links = choices(consent.text)
    s.get("link_wait_consent", consent_links["wait"])

    # cancelled from the link, refunded by the store, confirmed by e-mail
    s.order((("CUP-SET", "Tasting cups & <saucers>", 2),), expected=s.day(45), unit_price=Decimal("12.50"))
    s.h.evaluate()
    cancel = choices(only(s.new_mail(), "notice").part("plain"))
    s.get("link_cancel_done", cancel["cancel"], "POST")
    s.h.evaluate()
    s.h.evaluate()
    s.keep(mail_shot(f"cancelled-{lang}", only(s.new_mail(), "cancellation")))

    # links that do not work: forged, expired, malformed; an order page for an order that is gone
    token = links["wait"].split("/")[2]
    nonce = token.split(".")[0]
    s.get("link_forged", f"/orders/{nonce}.{token.split('.')[1]}.{'A' * 43}/wait")
    s.get("link_expired", f"/orders/{s.h.links.token(nonce, s.day(-1))}/wait")
    s.get("link_malformed", "/orders/nonsense/cancel")
    page_token = page.group(1).split("/")[2]
    s.get("order_page_forged", f"/orders/{page_token[:-4]}AAAA")
    s.get("order_page_expired", f"/orders/{order_token(s.h.links, s.h.shop_id, 1, s.day(-1))}")
    s.get("order_page_gone", f"/orders/{order_token(s.h.links, s.h.shop_id, 9999, s.day(30))}")

    if lang != "en":
        return
    # the consent notice unanswered past its deadline: the merchant is asked (in the shop's language)
    s.h.today = s.day(31)
    s.h.evaluate()
    s.h.evaluate()
    decision = only([m for m in s.new_mail() if SUPPORT in m.recipients], "decision request")
    s.keep(mail_shot(f"merchant_decision-{lang}", decision, customer=False))
    s.h.today = s.today


def merchant_alerts(story: Story) -> None:
    """Every alert to the merchant, through its sender, to alerts.email over SMTP."""
    from connector.dropship.alerts import deliver_alerts
    from connector.dropship.place import alert
    from connector.notify.alerts import check_pileups
    from connector.purchasing.alerts import PROPOSED, proposed_message
    from connector.supply.models import Supplier
    from connector.supply.outage import feed_down_alert

    s, h = story, story.h
    h.set("alerts.email", ALERTS)
    h.set("alerts.thresholds", {"count": 2})
    h.today = s.today
    for _ in range(2):
        s.order((THREE[0],), expected=s.day(20))
    check_pileups(h.notifier, h.shop_id, slack_timeout=5)
    s.keep(mail_shot("pileup_alert-en", only(s.h.sink.to(ALERTS), "pile-up"), customer=False))

    with h.container.uow() as uow:
        supplier = Supplier(shop_id=h.shop_id, name="Acme & <Sons> Wholesale", kind="feed",
                            settings='{"url": "https://feed.acme.example/stock.csv"}', consecutive_failures=4,
                            last_error="503 Service Unavailable",
                            last_success_at=datetime.combine(s.day(-1), time(9, 12), tzinfo=UTC))
        uow.session.add(supplier)
        uow.commit()
        supplier_id = supplier.id
    down = feed_down_alert(h.container.uow(), supplier_id, "503 Service Unavailable", "http_status")
    assert down is not None
    alerts = (("supplier_rejected", "Acme & <Sons> Wholesale refused drop-ship order #1001: out of stock"),
              (PROPOSED, proposed_message(7, "Acme & <Sons> Wholesale", "tea-shop.myshopify.com",
                                          "12 units of 3 SKUs, EUR 480.00")),
              ("supplier_feed_down", down.message))
    for kind, message in alerts:
        assert alert(h.container.uow(), h.shop_id, kind, f"gallery-{kind}", message)
        before = len(h.sink.to(ALERTS))
        deliver_alerts(h.container.uow, h.mailer, "orders@tea.example", h.shop_id, slack=h.container.slack_webhook,
                       box=h.container.box)
        [mail] = h.sink.to(ALERTS)[before:]
        name = {"supplier_rejected": "dropship_alert", PROPOSED: "purchase_order_alert",
                "supplier_feed_down": "supplier_feed_alert"}[kind]
        s.keep(mail_shot(f"{name}-en", mail, customer=False))


def install_pages(stack: Any, client: FlaskClient, monkeypatch: Any) -> dict[str, Shot]:
    """Every install and connect page a merchant's browser sees, and the data export link's refusals, against
    the sandbox's simulators (``stack``: sandbox.stack.LocalStack, its app through ``client``)."""
    import requests
    from sqlalchemy import update

    from connector.install.models import PendingConnect
    from connector.privacy import privacy
    from tests.support.install_flows import approve, callback_params, install_query

    shots: dict[str, Shot] = {}
    headers = {"Accept": BROWSER}

    def keep(name: str, answer: Any) -> None:
        assert f"{name}-en" not in shots, name
        shots[f"{name}-en"] = page_shot(f"{name}-en", answer)

    def local(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}"

    def start_connect(store: str) -> str:
        started = client.get("/woocommerce/connect", query_string={"store_url": store}, headers=headers)
        assert started.status_code == 302, started.data[:300]
        return str(started.headers["Location"])

    def connected(user_id: str, success: str = "1") -> Any:
        return client.get("/woocommerce/connected", query_string={"success": success, "user_id": user_id},
                          headers=headers)

    keep("connect_form", client.get("/woocommerce/connect", headers=headers))
    keep("connect_refused", client.get("/woocommerce/connect", query_string={"store_url": "ftp://tea.example/<b>&"},
                                       headers=headers))
    long_store = "https://the-very-long-named-tea-and-leaf-company-of-upper-wickhamshire.example"
    authorize = start_connect(long_store)
    user_id = callback_params(authorize)["user_id"]
    keep("connect_waiting", connected(user_id))
    returned = requests.get(authorize, allow_redirects=False, timeout=70)  # wc-auth posts the keys, then returns
    assert "success=1" in returned.headers["Location"], returned.headers
    with stack.container.uow() as uow:
        shop = uow.shops.by_domain("woocommerce", long_store)
        shop.store_name = LONG_SHOP  # as the store calls itself
        uow.commit()
    keep("connected", connected(user_id))
    url, payload = stack.sandbox.woocommerce.auth_callbacks[-1]
    keep("connect_keys_replayed", client.post(local(url), json=payload, headers=headers))
    declined = callback_params(start_connect("https://declined.example"))["user_id"]
    keep("connect_not_approved", connected(declined, "0"))
    wrong = callback_params(start_connect("https://wrong-keys.example"))["user_id"]
    client.post("/woocommerce/callback", json={"key_id": 1, "user_id": wrong, "consumer_key": "ck_wrong",
                                               "consumer_secret": "cs_wrong", "key_permissions": "read_write"})
    keep("connect_keys_refused", connected(wrong))
    late = callback_params(start_connect("https://late.example"))["user_id"]
    with stack.container.uow() as uow:
        uow.session.execute(update(PendingConnect).where(PendingConnect.used_at.is_(None))  # type: ignore[union-attr]
                            .values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    keep("connect_expired", connected(late))
    keep("connect_unknown", connected("guessed"))

    shop = "fresh-shop.myshopify.com"
    keep("install_forged", client.get("/shopify/install", headers=headers,
                                      query_string=install_query(stack, shop, secret="not-the-app-secret")))
    keep("install_not_a_shop", client.get("/shopify/install", headers=headers,
                                          query_string=install_query(stack, "evil.example.com")))
    stack.sandbox.shopify.oauth.auto_approve = True

    def callback() -> str:
        started = client.get("/shopify/install", query_string=install_query(stack, shop), headers=headers)
        assert started.status_code == 302, started.data[:300]
        return local(approve(str(started.headers["Location"])))

    first = callback()  # installed: a browser goes straight into the app in its admin, no page of ours
    into_app = client.get(first, headers=headers)
    assert into_app.status_code == 302 and "/apps/" in into_app.headers["Location"]
    keep("install_used", client.get(first, headers=headers))
    shop_id = next(iter(stack.shops.values())).id
    export_id = privacy.export_customer(stack.container, shop_id, privacy.Customer("ada@example.com", (), "c-1"),
                                        "req-1")
    link = privacy.download_link(stack.container, export_id)
    keep("export_link_wrong", client.get(f"/privacy/exports/{export_id}?token=guess", headers=headers))
    later = link.expires_at + timedelta(minutes=1)
    monkeypatch.setattr(privacy, "utcnow", lambda: later)
    keep("export_link_expired", client.get(f"/privacy/exports/{export_id}?token={link.token}", headers=headers))
    monkeypatch.undo()
    return shots
