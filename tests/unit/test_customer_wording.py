"""The words of every message kind (issue 18 items 4-5), rendered through the real templates and layout:
customers read product titles (never SKUs), a greeting by first name, the shop owning a delay (no "our
supplier"), one term for the date ("ships by" where it is the ship day, else "expected in stock on"), the
order's page in the store in the footer; the merchant's e-mails end with a merchant footer (the shop, where
to change who gets them), never a customer's "Order - ·" line."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

import connector.dropship.alerts  # noqa: F401 - registers the drop-ship and supplier feed subjects
import connector.purchasing.alerts  # noqa: F401 - registers the purchase order subject
from connector.notify import brand, email, templates
from connector.notify.languages import LANGUAGES, long_date

LONG_SHOP = "The Very Long Named Tea & Leaf <Company> of Upper Wickhamshire-on-the-Marsh Limited"
LINES = (("TEA-DJ-100", "Darjeeling First Flush & Second Flush <Limited> Estate Selection 100 g", 2, date(2027, 1, 15)),
         ("TEA-SEN-50", "Sencha Uji", 1, date(2027, 1, 29)),
         ("MUG-WHT", "Café mug <white>", 3, date(2027, 1, 15)))
SKUS = [sku for sku, *_ in LINES]
OWNED = ("capture_notice", "apology", "cancelled")
HELLO = {"en": "Hello", "nl": "Hallo"}
SHIPS_BY = {"en": "ships by", "nl": "verzonden uiterlijk"}
IN_STOCK = {"en": ("in stock on", "in stock by"), "nl": ("op voorraad op", "op voorraad te hebben")}
"""How an expected in-stock date is said (not "not in stock yet", which is no date)."""
STATUS = "https://tea-leaf.example/orders/abc?key=1&x=2"


def items(language: str, ships_by: bool) -> list[dict[str, Any]]:
    return [{"title": title, "sku": sku, "quantity": quantity, "text": f"{quantity} × {title}",
             "date_text": long_date(day, language), "ships_by": ships_by,
             "date_phrase": email.date_phrase(day, ships_by, language)} for sku, title, quantity, day in LINES]


def customer_context(kind: str, language: str, *, ships_by: bool, first_name: str = "",
                     status_url: str = STATUS) -> dict[str, Any]:
    shop = brand.make(domain="tea-leaf.myshopify.com", platform="shopify", sender_name=LONG_SHOP,
                      support_email="help@tea.example")  # no logo: the name is the header
    when = max(day for *_, day in LINES)
    found = templates.sample(templates.KINDS[kind], language)
    found.update({"brand": shop.as_context(), "shop_name": shop.shop_name, "support_email": shop.support_email,
                  "status_url": status_url, "customer_first_name": first_name, "items": items(language, ships_by),
                  "dates_differ": True, "has_rest": False, "ships_by": ships_by,
                  "date_text": long_date(when, language), "date_phrase": email.date_phrase(when, ships_by, language),
                  "previous_text": long_date(date(2026, 12, 21), language)})
    return found


@pytest.mark.parametrize("ships_by", [True, False], ids=["ships-by", "in-stock"])
@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("kind", OWNED)
def test_customers_read_titles_a_greeting_and_no_sku_supplier_or_empty_order_line(kind, language, ships_by):
    subject, text, html = email.render(kind, customer_context(kind, language, ships_by=ships_by, first_name="Anna"),
                                       language=language)
    assert text.startswith(f"{HELLO[language]} Anna,\n") and f"<p>{HELLO[language]} Anna,</p>" in html
    for _, title, quantity, _ in LINES:
        assert f"{quantity} × {title}" in text
        assert f"{quantity} × {title.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}" in html
    assert "<Limited>" not in html and "<white>" not in html  # escaped
    for said in (subject, text, html):
        assert not any(sku in said for sku in SKUS), said
        assert "supplier" not in said.lower() and "leverancier" not in said.lower()
        assert not re.search(r"(Order|Bestelling) -", said) and "Order  &middot;" not in said
    assert "<img" not in html and "Upper Wickhamshire" in html  # no logo: the shop's name is the header
    assert STATUS in text and 'href="https://tea-leaf.example/orders/abc?key=1&amp;x=2"' in html


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("kind", ["capture_notice", "apology"])
def test_one_term_for_the_date_in_subject_and_body(kind, language):
    ships = customer_context(kind, language, ships_by=True)
    subject, text, html = email.render(kind, ships, language=language)
    assert f"{SHIPS_BY[language]} {ships['date_text']}" in subject
    assert f"{SHIPS_BY[language]} {long_date(date(2027, 1, 29), language)}" in text  # the line's own date
    assert not any(words in subject + text + html for words in IN_STOCK[language])
    stock = customer_context(kind, language, ships_by=False)
    subject, text, html = email.render(kind, stock, language=language)
    assert IN_STOCK[language][0] in subject and any(words in text for words in IN_STOCK[language])
    assert SHIPS_BY[language] not in subject + text + html and "ship by" not in text


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("kind", OWNED)
def test_without_a_first_name_the_greeting_is_plain_and_without_a_status_page_there_is_no_link(kind, language):
    _, text, html = email.render(kind, customer_context(kind, language, ships_by=True, status_url=""),
                                 language=language)
    assert text.startswith(f"{HELLO[language]},\n") and f"<p>{HELLO[language]},</p>" in html
    assert "tea-leaf.example/orders" not in text + html
    assert "Your order in our store" not in text and "Je bestelling in onze winkel" not in text


def test_the_apology_is_the_shops_own_without_blaming_anyone():
    _, text, _ = email.render("apology", customer_context("apology", "en", ships_by=True))
    assert "We are sorry: the items below from your order #1001 will ship later than we told you." in text
    _, text, _ = email.render("apology", customer_context("apology", "nl", ships_by=True), language="nl")
    assert "worden later verzonden dan we je hadden gezegd" in text


MERCHANT_KINDS = sorted(k for k, spec in templates.KINDS.items() if spec.audience == templates.MERCHANT)


@pytest.mark.parametrize("kind", MERCHANT_KINDS)
def test_every_merchant_email_ends_with_the_merchant_footer_not_a_customers_order_line(kind):
    context = {**templates.sample(templates.KINDS[kind], "en"), "shop_name": "Tea & Leaf <Co.>",
               "shop_domain": "tea.myshopify.com"}
    subject, text, html = email.render(kind, context)
    footer = html.split('border-top:1px solid #e3e5e8;')[-1]
    assert "Tea &amp; Leaf &lt;Co.&gt; (tea.myshopify.com)" in footer and "Settings page" in footer
    assert email.MERCHANT_SETTINGS[kind].split(" ")[0] in footer
    tail = text.split("\n--\n")[-1]
    assert tail.startswith("Tea & Leaf <Co.> (tea.myshopify.com) - sent to the shop") and "Settings page" in tail
    for said in (text, html):
        assert not re.search(r"Order -|Order SKU|Order  ", said), said
        assert "&middot; Tea &amp; Leaf" not in said  # the customer footer's "Order X · shop" line


@pytest.mark.parametrize("kind", ["merchant_decision", "pileup_alert"])
def test_the_merchant_still_reads_the_sku(kind):
    context = templates.sample(templates.KINDS[kind], "en")
    _, text, html = email.render(kind, context)
    assert "TEA-DJ-100" in text and "TEA-DJ-100" in html


def test_the_pileup_alert_names_the_product_and_the_value_in_its_currency():
    subject, text, _ = email.render("pileup_alert", templates.sample(templates.KINDS["pileup_alert"], "en"))
    assert subject == "Backorders piling up: Darjeeling 100 g (SKU TEA-DJ-100), 25 open backorders"
    assert "Value waiting: EUR 480.00" in text


def test_a_merchants_own_wording_of_an_alert_gets_the_merchant_footer_too():
    custom = email.Custom(subject="Reorder {{ sku }}", body="{{ sku }} is short.")
    _, text, html = email.render("pileup_alert", templates.sample(templates.KINDS["pileup_alert"], "en"),
                                 custom=custom)
    assert text.startswith("TEA-DJ-100 is short.\n") and "alerts.thresholds" in text.split("\n--\n")[1]
    assert "alerts.thresholds" in html and "Order SKU" not in html
