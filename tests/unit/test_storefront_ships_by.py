"""The "ships by" product block and the mixed-cart app embed render on python-liquid with product
and cart objects as Shopify passes them (variant inventory fields, the connector's date metafield,
line item properties, cart attributes), in English and Dutch. Shopify's own filters the blocks use
(``t`` reading the extension's locale files, ``asset_url``) are added the way Shopify defines them."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from tests.conftest import ROOT
from tests.support.shopify_theme import block_schema, theme_env

EXT = ROOT / "extensions" / "shopify-theme"


def env(locale: str):  # type: ignore[no-untyped-def]
    return theme_env(locale)  # t, asset_url and Shopify's date filter (format: named, in the language)


def variant(variant_id: int, *, quantity: int, policy: str = "continue", day: str | None = None) -> dict:
    return {"id": variant_id, "inventory_management": "shopify", "inventory_policy": policy,
            "inventory_quantity": quantity, "available": quantity > 0 or policy == "continue",
            "metafields": {"$app": {"in_stock_date": {"value": day}}} if day else {}}


def product(*variants: dict) -> dict:
    return {"id": 1, "variants": list(variants), "selected_or_first_available_variant": variants[0]}


class Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "input":
            self.inputs.append(dict(attrs))


def inputs(html: str) -> dict[str, str | None]:
    parser = Inputs()
    parser.feed(html)
    return {str(i["name"]): i.get("value") for i in parser.inputs}


def render_block(prod: dict, locale: str = "en", **settings: str) -> str:
    template = env(locale).from_string((EXT / "blocks" / "ships_by.liquid").read_text(encoding="utf-8"))
    block = {"id": "b1", "shopify_attributes": "", "settings": {"button_text": "", "fallback_text": "",
                                                                "property_name": "", "form_id": "",
                                                                "date_format": "%B %-d, %Y", **settings}}
    return template.render(product=prod, block=block, section={"id": "main"})


def text_of(html: str) -> str | None:
    match = re.search(r"<p class=\"backorder-ships-by__text\" data-backorder-text( hidden)?>(.*?)</p>", html, re.S)
    assert match is not None
    return None if match.group(1) else match.group(2)


def variant_states(html: str) -> dict:
    match = re.search(r"<script type=\"application/json\" data-backorder-variants[^>]*>(.*?)</script>", html, re.S)
    assert match is not None
    return json.loads(match.group(1))


def test_a_variant_on_backorder_with_a_date_reads_ships_by_and_carries_the_date_on_the_line():
    html = render_block(product(variant(11, quantity=0, day="2026-12-15"), variant(12, quantity=4)))
    assert text_of(html) == "Backorder: ships by December 15, 2026"
    assert inputs(html) == {"properties[Ships by]": "December 15, 2026",
                            "properties[_backorder_ships_by]": "2026-12-15"}
    assert 'form="product-form-main"' in html
    assert variant_states(html) == {"11": {"backordered": True, "iso": "2026-12-15", "text": "December 15, 2026"},
                                    "12": {"backordered": False, "iso": None, "text": None}}


def test_an_in_stock_variant_is_left_alone_even_with_a_date_published():
    html = render_block(product(variant(11, quantity=3, day="2026-12-15")))
    assert text_of(html) is None and inputs(html) == {}


def test_a_variant_that_cannot_be_backordered_is_left_alone():
    html = render_block(product(variant(11, quantity=0, policy="deny", day="2026-12-15")))
    assert text_of(html) is None and inputs(html) == {}


def test_a_backorder_without_a_date_shows_the_merchants_fallback_or_nothing():
    prod = product(variant(11, quantity=-2))
    assert text_of(render_block(prod, fallback_text="Ships in 2-3 weeks")) == "Ships in 2-3 weeks"
    assert text_of(render_block(prod)) is None
    assert inputs(render_block(prod, fallback_text="Ships in 2-3 weeks")) == {}


def test_the_merchants_own_text_wins_and_is_escaped():
    html = render_block(product(variant(11, quantity=0, day="2026-12-15")), button_text="<b>Pre-order</b>: {date}")
    assert text_of(html) == "&lt;b&gt;Pre-order&lt;/b&gt;: December 15, 2026"


def test_dutch_reads_the_dutch_text_and_property_name_with_the_iso_date_unchanged():
    html = render_block(product(variant(11, quantity=0, day="2026-12-15")), "nl", date_format="%-d-%m-%Y")
    assert text_of(html) == "Nabestelling: verzonden vóór 15-12-2026"
    assert inputs(html) == {"properties[Verzonden vóór]": "15-12-2026", "properties[_backorder_ships_by]": "2026-12-15"}


def render_cart(items: list[dict], locale: str = "en", attributes: dict | None = None, **settings) -> str:
    template = env(locale).from_string((EXT / "blocks" / "cart_choice.liquid").read_text(encoding="utf-8"))
    block = {"id": "e1", "settings": {"allow_choice": True, "notice": "", "cart_form_id": "", **settings}}
    return template.render(cart={"items": items, "attributes": attributes or {}}, block=block)


WAITING = {"properties": {"Ships by": "December 15, 2026", "_backorder_ships_by": "2026-12-15"}}
READY = {"properties": {}}


def test_a_mixed_cart_says_so_and_offers_the_choice_as_a_cart_attribute():
    html = render_cart([WAITING, READY])
    assert "Some items in your cart are on backorder" in html
    parser = Inputs()
    parser.feed(html)
    assert [(i["name"], i["value"], "checked" in i, i["form"]) for i in parser.inputs] == [
        ("attributes[Backorder shipping]", "ready_now", True, "cart"),
        ("attributes[Backorder shipping]", "together", False, "cart")]
    assert "<legend>How should we ship your order?</legend>" in html


def test_the_cart_keeps_the_customers_choice_and_speaks_dutch():
    html = render_cart([WAITING, READY], "nl", {"Backorder shipping": "together"})
    parser = Inputs()
    parser.feed(html)
    assert ["checked" in i for i in parser.inputs] == [False, True]
    assert "Verzend alles samen" in html


def test_without_the_merchants_permission_the_cart_only_says_so():
    html = render_cart([WAITING, READY], allow_choice=False)
    assert "on backorder" in html and "<input" not in html


@pytest.mark.parametrize("items", [[WAITING], [READY, READY], []])
def test_a_cart_that_is_not_mixed_shows_nothing(items):
    assert render_cart(items).strip() == ""


def test_the_date_is_written_in_the_storefronts_language_with_shopifys_named_format():
    prod = product(variant(11, quantity=0, day="2026-12-05"))
    english, dutch = render_block(prod, date_format="date"), render_block(prod, "nl", date_format="date")
    assert text_of(english) == "Backorder: ships by December 5, 2026"
    assert text_of(dutch) == "Nabestelling: verzonden vóór 5 december 2026"
    assert variant_states(dutch)["11"]["text"] == "5 december 2026"
    assert inputs(dutch)["properties[Verzonden vóór]"] == "5 december 2026"
    short = render_block(prod, "nl", date_format="abbreviated_date")
    assert text_of(short) == "Nabestelling: verzonden vóór 5 dec 2026"
    assert inputs(render_block(prod, "nl", date_format="%Y-%m-%d"))["properties[Verzonden vóór]"] == "2026-12-05"


def test_the_blocks_default_date_format_is_shopifys_locale_aware_one():
    settings = {s["id"]: s for s in block_schema("ships_by")["settings"]}
    assert settings["date_format"]["default"] == "date"
    named = [o["value"] for o in settings["date_format"]["options"] if "%" not in o["value"]]
    assert named == ["date", "abbreviated_date"]
    # strftime options are numeric only: Ruby's strftime writes English month names in every language
    strftime = [o["value"] for o in settings["date_format"]["options"] if "%" in o["value"]]
    assert strftime and not [f for f in strftime if any(f"%{c}" in f for c in "bBaAh")]
    block = (EXT / "blocks" / "ships_by.liquid").read_text(encoding="utf-8")
    assert block.count("date: format: date_format") == 2
