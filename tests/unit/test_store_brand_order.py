"""connector/notify/brand.py's order for the accent colour and logo: the merchant's setting, then what was
read from the store (Shopify's brand through the Storefront API), then the default."""

from __future__ import annotations

from connector.notify import brand


def make(**values: str | None) -> brand.Brand:
    return brand.make(domain="tea.myshopify.com", platform="shopify", **values)  # type: ignore[arg-type]


def test_the_merchants_accent_comes_before_the_stores_and_the_stores_before_the_default() -> None:
    assert make(accent="#222222", store_accent="#1a7f5a").accent == "#222222"
    assert make(store_accent="#1A7F5A").accent == "#1a7f5a"
    assert make().accent == brand.DEFAULT_ACCENT


def test_a_store_accent_that_is_not_a_colour_falls_back_to_the_default() -> None:
    assert make(store_accent="teal").accent == brand.DEFAULT_ACCENT


def test_text_and_links_follow_the_stores_accent_by_contrast() -> None:
    light = make(store_accent="#ffcc00")
    assert (light.accent_text, light.link) == ("#000000", brand.LINK_FALLBACK)  # yellow is unreadable on white
    dark = make(store_accent="#1a4f85")
    assert (dark.accent_text, dark.link) == ("#ffffff", "#1a4f85")


def test_the_merchants_logo_comes_before_the_stores_and_a_store_logo_must_be_https() -> None:
    assert make(logo_url="https://tea.example/own.png", store_logo_url="https://cdn.example/l.png").logo_url == \
        "https://tea.example/own.png"
    assert make(store_logo_url="https://cdn.example/l.png").logo_url == "https://cdn.example/l.png"
    assert make(store_logo_url="http://cdn.example/l.png").logo_url == ""
    assert make(store_logo_url='https://cdn.example/l.png" onload="x').logo_url == ""


def test_the_store_read_from_setting_is_a_boolean_on_by_default() -> None:
    [spec] = [s for s in brand.SHOP_SETTINGS if s.key == "brand.from_store"]
    assert spec.default is True and spec.check(False) and not spec.check("yes")
