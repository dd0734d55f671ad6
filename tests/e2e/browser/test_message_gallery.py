"""The gallery (issue 18 "Tests"): every message kind and every customer-facing page, produced through the
product's own code paths on realistic, awkward data (tests/support/gallery.py: a long shop name and product
titles with & and <, one order of three short lines, no logo, no first name), in English and Dutch where
shipped. The words that matter are asserted per kind; each e-mail and page is loaded in headless Chromium
at 1200 and 390 px and photographed whole into <artefacts>/gallery/<kind>-<lang>-<width>.png (artefacts:
$CONNECTOR_ARTIFACTS, else test-artifacts/), and at 390 px nothing may scroll sideways and every button
must be at least 44 px high."""

from __future__ import annotations

import html as markup
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.app import create_app
from connector.domain.clock import utcnow
from connector.notify.languages import long_date
from connector.notify.templates import KINDS
from sandbox.smtp_sink import SmtpSink
from sandbox.stack import start_stack
from tests.support.gallery import (
    LONG_SHOP,
    TEAPOT,
    THREE,
    Shot,
    customer_messages,
    install_pages,
    merchant_alerts,
    open_story,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
GALLERY = Path(os.environ.get("CONNECTOR_ARTIFACTS") or ROOT / "test-artifacts") / "gallery"
ORIGIN = "https://gallery.invalid"
WIDTHS = (1200, 390)
LANGS = ("en", "nl")
CUSTOMER_KINDS = ("capture_notice", "apology", "delay_notice", "delay_notice_consent", "wait_confirmed", "cancelled")
MERCHANT_KINDS = ("merchant_decision", "pileup_alert", "dropship_alert", "purchase_order_alert", "supplier_feed_alert")
CUSTOMER_PAGES = ("order_page", "order_page_cancel_confirm", "link_wait", "link_cancel", "link_wait_done", "link_used",
                  "link_wait_consent", "link_cancel_done", "link_forged", "link_expired", "link_malformed",
                  "order_page_forged", "order_page_expired", "order_page_gone")
INSTALL_PAGES = ("connect_form", "connect_refused", "connect_waiting", "connected", "connect_keys_replayed",
                 "connect_not_approved", "connect_keys_refused", "connect_expired", "connect_unknown",
                 "install_forged", "install_not_a_shop", "install_used", "export_link_wrong", "export_link_expired")
NAMES = ([f"{kind}-{lang}" for kind in CUSTOMER_KINDS + CUSTOMER_PAGES for lang in LANGS]
         + [f"{kind}-en" for kind in MERCHANT_KINDS + INSTALL_PAGES])
SKUS = [sku for sku, *_ in THREE] + [TEAPOT[0], "LAMP-OIL", "CUP-SET"]
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
BUTTONS = "button, .button, input[type=submit], td[style*='border-radius:6px'] > a"
"""The pages' buttons, and the e-mails' (connector/templates/email/_button.html: a link in a rounded cell)."""
MARKED = re.compile(r'<button\b|<input[^>]*type="submit"|<a [^>]*class="(?:[^"]* )?button[ "]'
                    r'|<td style="border-radius:6px')
"""The same buttons found in the HTML: each one must have been measured."""


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Shot]:
    shots: dict[str, Shot] = {}
    for language in LANGS:
        with SmtpSink() as sink:
            story = open_story(f"sqlite:///{tmp_path_factory.mktemp(language)}/connector.db", sink, language)
            try:
                customer_messages(story)
                if language == "en":
                    merchant_alerts(story)
            finally:
                story.h.close()
            shots.update(story.shots)
    with start_stack(worker_threads=0, app_support_email="help@connector.example") as stack, \
            pytest.MonkeyPatch.context() as patch:
        shots.update(install_pages(stack, create_app(container=stack.container).test_client(), patch))
    return shots


def words(shot: Shot) -> str:
    """What a reader sees: the body's text, tags removed, entities decoded, spaces collapsed."""
    body = shot.html.split("<body", 1)[-1].split(">", 1)[-1]
    body = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def day(n: int, language: str = "en", year: bool = True) -> str:
    return long_date(utcnow().date() + timedelta(days=n), language, year=year)


def test_the_gallery_holds_every_kind_the_connector_sends_and_every_page(gallery: dict[str, Shot]) -> None:
    assert sorted(gallery) == sorted(NAMES)
    sent = {name.rsplit("-", 1)[0].removesuffix("_consent") for name, shot in gallery.items() if shot.email}
    assert sent == set(KINDS), set(KINDS) ^ sent  # the Messages page's kinds, each produced by its sender


@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith(MERCHANT_KINDS + INSTALL_PAGES)])
def test_customers_read_titles_escaped_no_sku_supplier_raw_date_or_empty_order_line(
        gallery: dict[str, Shot], name: str) -> None:
    shot = gallery[name]
    seen = words(shot)
    for said in (shot.subject, shot.text, seen):
        assert not any(sku in said for sku in SKUS), (name, said)
        assert "supplier" not in said.lower() and "leverancier" not in said.lower(), name
        assert not re.search(r"(Order|Bestelling) -|Order +·|Order +&middot;", said), name
        assert not ISO_DATE.search(said), (name, ISO_DATE.search(said))
    for raw in ("<Limited>", "<white>", "<warmer>", "<chimney>", "<saucers>", "<Company>"):
        assert raw not in shot.html, (name, raw)  # every name escaped
    assert "<img" not in shot.html  # no logo anywhere
    if shot.email or shot.status in (200, 409, 410) and "forged" not in name:
        assert LONG_SHOP in seen, name  # the shop is named (escaped, whole)
    if shot.email:
        hello = {"en": "Hello,", "nl": "Hallo,"}[name.rsplit("-", 1)[1]]
        assert shot.text.startswith(hello) and f"{hello} " in seen, name  # no first name: a plain greeting
        assert f"{hello} None" not in seen


EMAILS = {
    "capture_notice-en": (lambda: f"Order #1001: ships by {day(15)}",
                          lambda: [f"They ship by {day(15)} .", "These items are not in stock yet",
                                   "See your order"]),
    "capture_notice-nl": (lambda: f"Bestelling #1001: verzonden uiterlijk {day(15, 'nl')}",
                          lambda: [f"Ze worden uiterlijk {day(15, 'nl')} verzonden.", "Bekijk je bestelling"]),
    "apology-en": (lambda: f"Order #1001: sorry, a new date: ships by {day(25)}",
                   lambda: [f"The date we gave you was {day(15)}. They now ship by {day(25)} .",
                            "We are sorry: the items below from your order #1001 will ship later than we told you."]),
    "apology-nl": (lambda: f"Bestelling #1001: sorry, een nieuwe datum: verzonden uiterlijk {day(25, 'nl')}",
                   lambda: [f"De datum die we je gaven was {day(15, 'nl')}. Ze worden nu uiterlijk {day(25, 'nl')} "
                            "verzonden."]),
    "delay_notice-en": (lambda: "Your order #1002 is delayed, no action needed",
                        lambda: ["No action needed.", f"will not ship by {day(30)}, the date we promised",
                                 f"They now ship by {day(45)} .", "Keep waiting Cancel for a full refund"]),
    "delay_notice-nl": (lambda: "Je bestelling #1002 is vertraagd, je hoeft niets te doen",
                        lambda: [f"Ze worden nu uiterlijk {day(45, 'nl')} verzonden.",
                                 "Blijven wachten Annuleren, volledig terugbetaald"]),
    "delay_notice_consent-en": (lambda: f"Action needed by {day(30, year=False)}: your order #1003",
                                lambda: [f"Please choose by {day(30)}.", f"They now ship by {day(75)} .",
                                         "Keep waiting Cancel for a full refund"]),
    "delay_notice_consent-nl": (lambda: f"Actie nodig, uiterlijk {day(30, 'nl', year=False)}: je bestelling #1003",
                                lambda: [f"Kies uiterlijk {day(30, 'nl')}.",
                                         "Blijven wachten Annuleren, volledig terugbetaald"]),
    "wait_confirmed-en": (lambda: "Thank you for waiting: your order #1002",
                          lambda: [f"They ship by {day(45)} .", "You chose to keep waiting"]),
    "wait_confirmed-nl": (lambda: "Bedankt voor je geduld: je bestelling #1002",
                          lambda: [f"Ze worden uiterlijk {day(45, 'nl')} verzonden."]),
    "cancelled-en": (lambda: "Order #1004: items cancelled and refunded",
                     lambda: ["As you asked us to, we have cancelled the items below from your order #1004"]),
    "cancelled-nl": (lambda: "Bestelling #1004: artikelen geannuleerd en terugbetaald",
                     lambda: ["hebben we de onderstaande artikelen uit je bestelling #1004 geannuleerd"]),
}
LINES = {"capture_notice": THREE, "apology": THREE, "delay_notice": (TEAPOT,), "wait_confirmed": (TEAPOT,),
         "delay_notice_consent": (("", "Oil lamp & <chimney>", 1),),
         "cancelled": (("", "Tasting cups & <saucers>", 2),)}


@pytest.mark.parametrize("name", sorted(EMAILS))
def test_each_customer_email_names_its_order_items_date_and_buttons(gallery: dict[str, Shot], name: str) -> None:
    shot, (subject, phrases) = gallery[name], EMAILS[name]
    assert shot.subject == subject()
    seen = words(shot)
    for phrase in phrases():
        assert phrase in seen, (name, phrase, seen)
    for _, title, quantity in LINES[name.rsplit("-", 1)[0]]:  # every line, by title and quantity, in both parts
        assert f"{quantity} × {title}" in seen, (name, title)
        assert re.search(rf"{quantity} [×x] {re.escape(title)}\r?\n", shot.text), (name, title)  # text: "×" or "x"
        assert re.search(rf"{quantity} (×|&times;) {re.escape(markup.escape(title, quote=False))}<", shot.html)
    assert "tea-leaf.example/orders/" in shot.text  # the order's page in the store, in the footer


MERCHANT = {
    "merchant_decision-en": ("Decision needed: order #1003, delay notice unanswered",
                             ["1 × Oil lamp & <chimney> (SKU LAMP-OIL)", f"deadline was {day(30)}",
                              "ada@example.com", "notify.delay_policy"]),
    "pileup_alert-en": (f"Backorders piling up: {THREE[0][1]} (SKU TEA-DJ-100), 3 open backorders",
                        ["Open backorders 3 (6 units short) , over your alert at 2", "alerts.thresholds"]),
    "dropship_alert-en": ("Drop-ship needs your attention: a supplier refused a drop-ship order",
                          ["Acme & <Sons> Wholesale refused drop-ship order #1001: out of stock"]),
    "purchase_order_alert-en": ("A purchase order for Acme & <Sons> Wholesale is waiting for your approval",
                                ["connector purchase-orders approve 7 --shop tea-shop.myshopify.com"]),
    "supplier_feed_alert-en": ("Acme & <Sons> Wholesale stock feed is not answering",
                               ["https://feed.acme.example/stock.csv", f"09:12 UTC on {day(-1)}"]),
}


@pytest.mark.parametrize("name", sorted(MERCHANT))
def test_each_merchant_email_says_what_happened_escaped_with_the_merchant_footer(
        gallery: dict[str, Shot], name: str) -> None:
    shot, (subject, phrases) = gallery[name], MERCHANT[name]
    assert shot.subject.strip() == subject
    seen = words(shot)
    for phrase in phrases:
        assert phrase in seen, (name, phrase, seen)
    assert f"{LONG_SHOP} (tea-shop.myshopify.com) · sent to the shop by the backorder connector" in seen
    assert "<Sons>" not in shot.html and "<Company>" not in shot.html and "<Limited>" not in shot.html
    assert "See your order" not in seen and not re.search(r"Order (-|SKU) ", seen)


PAGES = {
    "order_page": (200, {"en": ["Your order #1001", f"Ships by {day(25)}", "Keep waiting", "Cancel for a full refund",
                                "Cancel this item : Sencha"],
                         "nl": ["Je bestelling #1001", f"Verzonden uiterlijk {day(25, 'nl')}", "Blijven wachten"]}),
    "order_page_cancel_confirm": (200, {"en": ["Cancel these items?", "1 × Sencha", "Yes, cancel them", "No, go back"],
                                        "nl": ["Deze artikelen annuleren?", "Ja, annuleren", "Nee, terug"]}),
    "link_wait": (200, {"en": ["Keep waiting for these items?", "No action needed", f"Ships by {day(45)}",
                               "Keep waiting", "Cancel for a full refund", "You get EUR 1,016.25 back"],
                        "nl": ["Blijven wachten op deze artikelen?", f"Verzonden uiterlijk {day(45, 'nl')}",
                               "Je krijgt EUR 1.016,25 terug"]}),
    "link_cancel": (200, {"en": ["Cancel these items?", "Cancel for a full refund", "Keep waiting"],
                          "nl": ["Deze artikelen annuleren?", "Annuleren, volledig terugbetaald"]}),
    "link_wait_done": (200, {"en": ["Thank you for waiting", f"They ship by {day(45)}.",
                                    "We have sent you a confirmation by e-mail.", "See your order"],
                             "nl": ["Bedankt voor je geduld", f"Ze worden uiterlijk {day(45, 'nl')} verzonden."]}),
    "link_used": (409, {"en": ["You have already answered", "you chose to keep waiting"],
                        "nl": ["Je hebt al geantwoord"]}),
    "link_wait_consent": (200, {"en": [f"Please choose by {day(30)}.", f"Ships by {day(75)}", "Keep waiting"],
                                "nl": [f"Kies uiterlijk {day(30, 'nl')}."]}),
    "link_cancel_done": (200, {"en": ["Cancellation requested", "2 × Tasting cups & <saucers>",
                                      "Your refund: EUR 25.00."],
                               "nl": ["Annulering aangevraagd", "Je terugbetaling: EUR 25,00."]}),
    "link_forged": (400, {"en": ["This link does not work"], "nl": ["Deze link werkt niet"]}),
    "link_expired": (410, {"en": ["This link has expired", f"This link expired on {day(-1)}."],
                           "nl": ["Deze link is verlopen", f"Deze link is verlopen op {day(-1, 'nl')}."]}),
    "link_malformed": (400, {"en": ["This link does not work"], "nl": ["Deze link werkt niet"]}),
    "order_page_forged": (400, {"en": ["This link does not work"], "nl": ["Deze link werkt niet"]}),
    "order_page_expired": (410, {"en": [f"This link expired on {day(-1)}.", "your order #1001"],
                                 "nl": [f"Deze link is verlopen op {day(-1, 'nl')}."]}),
    "order_page_gone": (404, {"en": ["This link does not work"], "nl": ["Deze link werkt niet"]}),
}


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_customer_page_answers_with_its_status_words_and_headers(
        gallery: dict[str, Shot], page: str, language: str) -> None:
    shot = gallery[f"{page}-{language}"]
    status, phrases = PAGES[page]
    assert shot.status == status
    seen = words(shot)
    for phrase in phrases[language]:
        assert phrase in seen, (page, phrase, seen)
    assert f'<html lang="{language}">' in shot.html and 'name="viewport"' in shot.html
    assert shot.headers["Cache-Control"] == "no-store" and "frame-ancestors 'none'" in \
        shot.headers["Content-Security-Policy"]
    assert "Traceback" not in shot.html


INSTALL = {
    "connect_form": (200, ["Continue to WooCommerce"]),
    "connect_refused": (400, ["This address cannot be connected"]),
    "connect_waiting": (202, ["We are still waiting for WooCommerce's keys", "Check again"]),
    "connected": (200, [f"{LONG_SHOP} is connected", "Open the connector's settings in WordPress"]),
    "connect_keys_replayed": (409, ["These keys were already delivered"]),
    "connect_not_approved": (200, ["The keys were not approved", "Start connecting again"]),
    "connect_keys_refused": (200, ["The keys from WooCommerce did not work"]),
    "connect_expired": (200, ["This connection expired"]),
    "connect_unknown": (404, ["We do not recognise this connection"]),
    "install_forged": (401, ["This install link could not be checked", "Go to the apps in your Shopify admin"]),
    "install_not_a_shop": (400, ["does not name a Shopify store"]),
    "install_used": (401, ["This approval link has already been used or has expired"]),
    "export_link_wrong": (404, ["This download link does not work"]),
    "export_link_expired": (410, ["This download link has expired", "stopped working on"]),
}


@pytest.mark.parametrize("page", sorted(INSTALL))
def test_each_install_and_connect_page_says_what_happened_and_where_to_go(
        gallery: dict[str, Shot], page: str) -> None:
    shot = gallery[f"{page}-en"]
    status, phrases = INSTALL[page]
    assert shot.status == status
    seen = words(shot)
    for phrase in phrases:
        assert phrase in seen, (page, phrase, seen)
    assert "help@connector.example" in seen and "<Company>" not in shot.html and "<b>" not in shot.html
    assert not re.search(r"hmac|Traceback|\{\"error\"", shot.html, re.I)


# -- in Chromium ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def viewer(browser: Any, gallery: dict[str, Shot]) -> Iterator[Any]:
    """One page for the whole gallery: https://gallery.invalid/<name> answers the shot as it was served (its
    status and headers: CSP included); anything else the HTML asks for is refused (nothing leaves the machine)."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})

    def serve(route: Any) -> None:
        name = route.request.url.removeprefix(f"{ORIGIN}/")
        shot = gallery.get(name) if route.request.url.startswith(ORIGIN) else None
        if shot is None:
            route.abort()
            return
        headers = shot.headers or {"Content-Type": "text/html; charset=utf-8"}
        route.fulfill(status=shot.status, headers=headers, body=shot.html)

    context.route("**/*", serve)
    page = context.new_page()
    page.blocked = []  # type: ignore[attr-defined]
    page.on("console", lambda message: page.blocked.append(message.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()


@pytest.mark.parametrize("name", NAMES)
def test_each_email_and_page_fits_a_phone_with_44_px_buttons_and_is_photographed(
        viewer: Any, name: str) -> None:
    GALLERY.mkdir(parents=True, exist_ok=True)
    viewer.blocked.clear()
    for width in WIDTHS:
        viewer.set_viewport_size({"width": width, "height": 900})
        viewer.goto(f"{ORIGIN}/{name}")
        viewer.screenshot(path=str(GALLERY / f"{name}-{width}.png"), full_page=True)
    assert viewer.evaluate("document.documentElement.scrollWidth") <= 390, name
    heights = viewer.evaluate(f"[...document.querySelectorAll({BUTTONS!r})].map(e => e.getBoundingClientRect().height)")
    html = viewer.content()
    marked = len(MARKED.findall(html))
    assert len(heights) == marked, (name, heights, marked)  # every button measured
    assert all(height >= 44 for height in heights), (name, heights)
    assert viewer.blocked == [], viewer.blocked  # the page's own stylesheet was allowed by its CSP
    assert (GALLERY / f"{name}-390.png").stat().st_size > 1000
