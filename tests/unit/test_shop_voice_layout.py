"""The one layout of customer e-mails (issue 18): every customer kind, in every language, shipped and in
a merchant's own wording, rendered through the real templates with the shop's brand (connector/notify/brand.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from connector.domain import contrast
from connector.notify import brand, email, templates
from connector.notify.languages import LANGUAGES

CUSTOMER_KINDS = sorted(k for k, spec in templates.KINDS.items() if spec.audience == templates.CUSTOMER)
MERCHANT_KINDS = sorted(k for k, spec in templates.KINDS.items() if spec.audience == templates.MERCHANT)
LONG = "The Very Long Named Tea & Leaf <Company> of Upper Wickhamshire-on-the-Marsh Limited"


def voice(**overrides: Any) -> brand.Brand:
    values: dict[str, Any] = {"domain": "tea-leaf.myshopify.com", "platform": "shopify", "sender_name": LONG,
                              "support_email": "help@tea.example", "logo_url": "", "accent": "#1a1a1a"}
    values.update(overrides)
    return brand.make(**values)


def context(kind: str, language: str, shop: brand.Brand, **extra: Any) -> dict[str, Any]:
    found = templates.sample(templates.KINDS[kind], language)
    found.update({"brand": shop.as_context(), "shop_name": shop.shop_name, "support_email": shop.support_email,
                  "status_url": "https://tea-leaf.example/orders/abc?key=1&x=2", "customer_first_name": "Ada",
                  "items": [{"title": "Earl Grey & <Lavender> 250 g", "sku": "TEA-EG", "quantity": 3,
                             "text": "3 × Earl Grey & <Lavender> 250 g", "date_text": "", "date_phrase": ""}],
                  **extra})
    return found


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
def test_every_customer_kind_carries_the_shops_name_colour_footer_and_links(kind: str, language: str) -> None:
    shop = voice()
    subject, text, html = email.render(kind, context(kind, language, shop), language=language)
    escaped = "The Very Long Named Tea &amp; Leaf &lt;Company&gt; of Upper Wickhamshire-on-the-Marsh Limited"
    assert LONG not in html and escaped in html  # the shop's name, escaped, in the header
    assert "Earl Grey &amp; &lt;Lavender&gt; 250 g" in html and "<Lavender>" not in html
    assert 'name="viewport"' in html and f'<html lang="{language}">' in html
    assert "<style" not in html  # inline styles only: clients drop style blocks
    assert "border-top:4px solid #1a1a1a" in html
    # the order page button in the accent colour with white text (21:1 on #1a1a1a is white's side)
    button = re.search(r'background:#1a1a1a;">\s*<a href="https://preview.invalid/order" style="([^"]+)"', html)
    assert button is not None and "color:#ffffff" in button.group(1) and "padding:12px 20px" in button.group(1)
    assert 'href="https://tea-leaf.example/orders/abc?key=1&amp;x=2"' in html  # the order in the store
    assert 'href="https://tea-leaf.myshopify.com/"' in html  # back to the store
    assert 'href="mailto:help@tea.example"' in html
    # the text part says the same
    assert "https://tea-leaf.example/orders/abc?key=1&x=2" in text
    assert f"{LONG}: https://tea-leaf.myshopify.com/" in text
    assert "Earl Grey & <Lavender> 250 g" in text
    assert subject


@pytest.mark.parametrize("kind", CUSTOMER_KINDS)
def test_a_light_accent_gets_black_button_text_and_links_in_a_readable_colour(kind: str) -> None:
    shop = voice(accent="#FFCC00")
    _, _, html = email.render(kind, context(kind, "en", shop))
    assert "background:#ffcc00;" in html
    assert "color:#000000;\">See your order</a>" in html
    assert "color:#ffcc00" not in html  # yellow on white would fail AA: links use the fallback
    assert f"color:{brand.LINK_FALLBACK}" in html
    assert contrast.ratio(brand.LINK_FALLBACK, "#ffffff") >= contrast.AA_TEXT


def test_without_a_logo_the_name_is_the_header_and_with_one_it_is_the_image_named_by_the_shop() -> None:
    _, _, html = email.render("capture_notice", context("capture_notice", "en", voice()))
    assert "<img" not in html
    assert re.search(r'<span style="font-size:20px[^"]*">The Very Long Named Tea &amp; Leaf', html)
    shop = voice(logo_url="https://cdn.tea.example/logo.png")
    _, _, html = email.render("capture_notice", context("capture_notice", "en", shop))
    assert '<img src="https://cdn.tea.example/logo.png" alt="The Very Long Named Tea &amp; Leaf' in html


def test_a_merchants_own_wording_sits_in_the_same_layout_with_the_same_footer() -> None:
    shop = voice()
    own = email.Custom(subject="About {{ order_name }}", body="Hi {{ customer_first_name }},\n\nYour tea is late.")
    subject, text, html = email.render("capture_notice", context("capture_notice", "en", shop), custom=own)
    assert subject == "About #1001"
    assert text.startswith("Hi Ada,\n\nYour tea is late.")
    assert "https://tea-leaf.example/orders/abc?key=1&x=2" in text
    assert "<p>Hi Ada,</p>" in html and "border-top:4px solid #1a1a1a" in html
    assert html.count("https://tea-leaf.example/orders/abc") == 1  # footer only, not again in the body


@pytest.mark.parametrize("kind", MERCHANT_KINDS)
def test_messages_to_the_shop_keep_the_neutral_layout_without_a_brand(kind: str) -> None:
    _, text, html = email.render(kind, templates.sample(templates.KINDS[kind], "en"))
    assert "border-top:4px solid #1f5c99" in html
    assert "<img" not in html and "Your order in our store" not in html and "Your order in our store" not in text


def test_brand_sources_the_merchants_settings_first_then_the_store_then_asks_for_what_is_missing() -> None:
    read = brand.make(domain="https://woo.example", platform="woocommerce", store_name="Woo & Co",
                      store_url="https://woo.example/shop", store_logo_url="https://woo.example/icon.png",
                      contact_email="admin@woo.example")
    assert (read.shop_name, read.support_email, read.store_url, read.logo_url, read.missing) == (
        "Woo & Co", "admin@woo.example", "https://woo.example/shop/", "https://woo.example/icon.png", ())
    assert read.accent == brand.DEFAULT_ACCENT and read.accent_text == contrast.WHITE
    chosen = brand.make(domain="https://woo.example", platform="woocommerce", sender_name="Woo Tea",
                        support_email="care@woo.example", logo_url="https://cdn.example/l.svg", accent="#ABC",
                        store_name="Woo & Co", contact_email="admin@woo.example")
    assert (chosen.shop_name, chosen.support_email, chosen.logo_url, chosen.accent, chosen.accent_text) == (
        "Woo Tea", "care@woo.example", "https://cdn.example/l.svg", "#aabbcc", contrast.BLACK)
    bare = brand.make(domain="tea.myshopify.com", platform="shopify")
    assert (bare.shop_name, bare.support_email, bare.missing) == (
        "tea.myshopify.com", "", ("shop name", "support e-mail"))


@pytest.mark.parametrize(("key", "value", "ok"), [
    ("brand.accent_color", "#1f5c99", True), ("brand.accent_color", "blue", False),
    ("brand.accent_color", "#1f5c99; background:url(x)", False), ("brand.logo_url", "https://x.example/l.png", True),
    ("brand.logo_url", "http://x.example/l.png", False), ("brand.logo_url", 'https://x.example/"onerror=', False),
    ("brand.logo_url", "", True)])
def test_brand_settings_accept_only_a_hex_colour_and_an_https_logo(key: str, value: str, ok: bool) -> None:
    spec = next(s for s in brand.SHOP_SETTINGS if s.key == key)
    assert spec.check(value) is ok
