"""The customer's language: read from real Shopify and WooCommerce order payloads, chosen for a message
(order, else the shop's, else English) and dates written out in it."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from adapters.woocommerce.orders import parse_order
from connector.notify.languages import choose, language_of, long_date
from tests.conftest import load_json_fixture


def shopify_order(**changes: object) -> dict:
    order = load_json_fixture("shopify/rest/api_js_2024-04__order_create_pending.json")
    order = order.get("order", order)
    return {**order, **changes}


def test_shopify_customer_locale_is_read_from_the_rest_order():
    platform = ShopifyPlatform(ShopifyGraphQL("example.myshopify.com", "shpat_unit"))
    assert platform.parse_order(shopify_order()).locale is None  # the fixture's customer_locale is null
    assert platform.parse_order(shopify_order(customer_locale="nl-NL")).locale == "nl-NL"
    assert platform.parse_order(shopify_order(customer_locale=7)).locale is None


def test_woocommerce_order_language_is_read_from_the_wpml_meta():
    order = load_json_fixture("woocommerce/wc_v3_order_create_response.json")
    assert parse_order(order).locale is None
    order["meta_data"] = [*order.get("meta_data", []), {"id": 9, "key": "wpml_language", "value": "nl"}]
    assert parse_order(order).locale == "nl"


@pytest.mark.parametrize("locale, expected", [
    ("nl", "nl"), ("nl-BE", "nl"), ("NL_nl", "nl"), ("en-US", "en"), ("fr-FR", None), ("", None), (None, None)])
def test_a_store_locale_names_a_shipped_language_or_none(locale, expected):
    assert language_of(locale) == expected


def test_the_order_language_wins_then_the_shops_then_english():
    assert choose("nl-NL", "en") == "nl"
    assert choose("fr-FR", "nl") == "nl"
    assert choose(None, None) == "en"
    assert choose("de", "de") == "en"


def test_dates_are_written_out_in_the_language():
    day = date(2026, 12, 15)
    assert long_date(day, "en") == "Tuesday 15 December 2026"
    assert long_date(day, "nl") == "dinsdag 15 december 2026"
    assert long_date(None, "nl") == ""
