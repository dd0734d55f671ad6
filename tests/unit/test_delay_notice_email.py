"""The delay notice and the keep-waiting confirmation through the real templates (issue 18 item 3): the
subject by case, the greeting by first name, the items by title, "ships by", the deadline above two large
accent buttons when an answer is needed and "no action needed" first otherwise; English and Dutch, with a
long shop name, `&` and `<` in names, three lines and no logo."""

from __future__ import annotations

import re
from typing import Any

import pytest

from connector.notify import brand, email, templates

LONG = "The Very Long Named Tea & Leaf <Company> of Upper Wickhamshire-on-the-Marsh Limited"
ITEMS = [{"title": "Earl Grey & <Lavender> 250 g", "sku": "TEA-EG", "quantity": 3, "date_text": ""},
         {"title": "Darjeeling First Flush", "sku": "TEA-DJ", "quantity": 1, "date_text": ""},
         {"title": "Sencha", "sku": "TEA-SE", "quantity": 2, "date_text": ""}]
WORDS = {
    "en": {"hello": "Hello Anna,", "hello_plain": "Hello,", "wait": "Keep waiting",
           "cancel": "Cancel for a full refund",
           "uncharged": "Cancel, you will not be charged", "choose": "Please choose by Friday 1 January 2027.",
           "no_action": "No action needed.", "ships": "They now ship by Friday 15 January 2027.",
           "unknown": "Ships by: not known yet.",
           "consent": "Action needed by Friday 1 January: your order #1003",
           "calm": "Your order #1003 is delayed, no action needed"},
    "nl": {"hello": "Hallo Anna,", "hello_plain": "Hallo,", "wait": "Blijven wachten",
           "cancel": "Annuleren, volledig terugbetaald", "uncharged": "Annuleren, je betaalt niets",
           "choose": "Kies uiterlijk vrijdag 1 januari 2027.", "no_action": "Je hoeft niets te doen.",
           "ships": "Ze worden nu uiterlijk vrijdag 15 januari 2027 verzonden.",
           "unknown": "Verzonden uiterlijk: nog niet bekend.",
           "consent": "Actie nodig, uiterlijk vrijdag 1 januari: je bestelling #1003",
           "calm": "Je bestelling #1003 is vertraagd, je hoeft niets te doen"},
}
DATES = {"en": ("Friday 15 January 2027", "Thursday 31 December 2026", "Friday 1 January 2027", "Friday 1 January"),
         "nl": ("vrijdag 15 januari 2027", "donderdag 31 december 2026", "vrijdag 1 januari 2027",
                "vrijdag 1 januari")}


def context(language: str, *, consent: bool, uncharged: bool = False, first_name: str = "Anna",
            known: bool = True, accent: str = "#1a1a1a") -> dict[str, Any]:
    shop = brand.make(domain="tea-leaf.myshopify.com", platform="shopify", sender_name=LONG,
                      support_email="help@tea.example", logo_url="", accent=accent)
    ships, promise, deadline, day = DATES[language]
    return {"order_name": "#1003", "shop_name": shop.shop_name, "support_email": shop.support_email,
            "brand": shop.as_context(), "items": ITEMS, "customer_first_name": first_name,
            "status_url": "", "page_url": "https://connector.example/orders/o1-3.1.x",
            "date_text": ships if known else "", "promise_text": promise, "deadline_text": deadline,
            "deadline_day": day, "consent_required": consent, "cancel_on_silence": True, "uncharged": uncharged,
            "cancel_url": "https://connector.example/orders/n.1.s/cancel",
            "wait_url": "https://connector.example/orders/n.1.s/wait",
            "code": None, "code_text": "", "code_ends": "", "customer_email": "anna@example.com"}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_notice_that_needs_an_answer_says_so_in_the_subject_and_puts_the_deadline_above_two_buttons(language):
    w = WORDS[language]
    subject, text, html = email.render("delay_notice", context(language, consent=True), language=language)
    assert subject == w["consent"]
    assert "<p>" + w["hello"] + "</p>" in html and text.startswith(w["hello"])
    body = html.split("<body")[1]
    deadline, wait, cancel = body.index(w["choose"]), body.index(f">{w['wait']}</a>"), body.index(f">{w['cancel']}</a>")
    assert deadline < wait < cancel
    assert w["no_action"] not in body
    # two table buttons in the accent colour, at least 44 px high (12 + 20 + 12), white text on the dark accent
    buttons = re.findall(r'<td style="border-radius:6px; background:#1a1a1a;">\s*<a href="([^"]+)" style="([^"]+)">'
                         r'([^<]+)</a>', html)
    assert [(url.rsplit("/", 1)[1], label) for url, _, label in buttons][:2] == [("wait", w["wait"]),
                                                                                ("cancel", w["cancel"])]
    for _, style, _ in buttons:
        assert "padding:12px 20px" in style and "line-height:20px" in style and "color:#ffffff" in style
    assert "Earl Grey &amp; &lt;Lavender&gt; 250 g" in html and "<Lavender>" not in html
    assert "The Very Long Named Tea &amp; Leaf &lt;Company&gt;" in html and "<img" not in html
    # the text part says the same, in the same order
    assert text.index(w["choose"]) < text.index(f"{w['wait']}: https://") < text.index(f"{w['cancel']}: https://")
    for line in ("3 x Earl Grey & <Lavender> 250 g", "1 x Darjeeling First Flush", "2 x Sencha"):
        assert line in text
    assert w["ships"] in text


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_notice_that_needs_no_answer_says_so_first_and_still_offers_both_buttons(language):
    w = WORDS[language]
    subject, text, html = email.render("delay_notice", context(language, consent=False), language=language)
    assert subject == w["calm"]
    body = html.split("<body")[1]
    assert body.index(w["no_action"]) < body.index("Earl Grey") < body.index(f">{w['wait']}</a>")
    assert f">{w['cancel']}</a>" in body and w["choose"] not in body
    assert text.index(w["no_action"]) < text.index("Earl Grey")
    assert f"{w['wait']}: https://connector.example/orders/n.1.s/wait" in text


@pytest.mark.parametrize("language", ["en", "nl"])
def test_without_a_first_name_or_a_date_or_a_charge_the_notice_still_reads_plainly(language):
    w = WORDS[language]
    _, text, html = email.render("delay_notice", context(language, consent=True, first_name="", known=False,
                                                         uncharged=True), language=language)
    assert text.startswith(w["hello_plain"] + "\n") and "<p>" + w["hello_plain"] + "</p>" in html
    assert w["unknown"] in text and w["unknown"].split(":")[0] in html
    assert f">{w['uncharged']}</a>" in html and w["cancel"] not in html


@pytest.mark.parametrize("kind", ["delay_notice", "wait_confirmed"])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_one_term_ships_by_and_no_sku_in_what_the_customer_reads(kind, language):
    for consent in (True, False):
        subject, text, html = email.render(kind, context(language, consent=consent), language=language)
        for part in (subject, text, html):
            assert "expected shipping date" not in part and "in stock" not in part and "op voorraad" not in part
            assert "TEA-EG" not in part
        assert ("ship by" in text) if language == "en" else ("uiterlijk" in text)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_keep_waiting_confirmation_lists_the_items_and_the_ships_by_date(language):
    subject, text, html = email.render("wait_confirmed", context(language, consent=False), language=language)
    assert subject == {"en": "Thank you for waiting: your order #1003",
                       "nl": "Bedankt voor je geduld: je bestelling #1003"}[language]
    assert text.startswith(WORDS[language]["hello"])
    assert {"en": "They ship by Friday 15 January 2027.",
            "nl": "Ze worden uiterlijk vrijdag 15 januari 2027 verzonden."}[language] in text
    assert {"en": "You can still cancel them on your order page until they ship, for a full refund.",
            "nl": "kun je ze nog annuleren op je bestelpagina en je geld volledig terugkrijgen."}[language] in text
    assert "Earl Grey &amp; &lt;Lavender&gt; 250 g" in html and "https://connector.example/orders/o1-3.1.x" in html


def test_the_editors_default_subject_keeps_both_cases():
    text = templates.default_text("delay_notice", "en")
    assert text.subject == ("{% if consent_required %}Action needed by {{ deadline_day }}: your order "
                            "{{ order_name }}{% else %}Your order {{ order_name }} is delayed, no action needed"
                            "{% endif %}")
    for consent, expected in ((True, WORDS["en"]["consent"]), (False, WORDS["en"]["calm"])):
        subject, _, _ = email.render("delay_notice", context("en", consent=consent), custom=text)
        assert subject == expected
