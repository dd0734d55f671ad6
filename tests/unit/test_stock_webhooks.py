"""Stock webhooks name the positions that moved: Shopify inventory_levels/update (the REST
InventoryLevel) and WooCommerce product.updated (the product's REST JSON), on the real payloads; the
clock's stock read falls due once per interval."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from adapters.woocommerce.client import WooCommerceClient
from adapters.woocommerce.platform import WooCommercePlatform
from connector.domain.allocation import order_tags
from connector.domain.errors import InvalidPayload
from connector.ports import StockEvents
from jobs.restock import due
from tests.conftest import load_json_fixture


@pytest.fixture
def shopify() -> ShopifyPlatform:
    return ShopifyPlatform(ShopifyGraphQL("example.myshopify.com", "shpat_unit"))


@pytest.fixture
def woocommerce() -> WooCommercePlatform:
    return WooCommercePlatform(WooCommerceClient("https://shop.example", "ck_unit", "cs_unit"))


def test_both_platforms_read_stock_webhooks(shopify, woocommerce) -> None:
    assert isinstance(shopify, StockEvents) and isinstance(woocommerce, StockEvents)


def test_an_inventory_level_names_its_inventory_item(shopify) -> None:
    level = load_json_fixture("shopify/rest/api_js_2024-04__inventory_level_set.json")["inventory_level"]
    change = shopify.parse_stock_change(level)
    assert change.inventory_item_ids == ("808950810",) and change.keys == ()
    assert change.updated_at is not None and change.updated_at.utcoffset() is not None


def test_every_inventory_level_of_the_python_api_fixture_parses_and_the_wrapper_is_accepted(shopify) -> None:
    levels = load_json_fixture("shopify/rest/python_api__inventory_levels.json")["inventory_levels"]
    assert [shopify.parse_stock_change(level).inventory_item_ids[0] for level in levels] == [
        str(level["inventory_item_id"]) for level in levels]
    wrapped = load_json_fixture("shopify/rest/api_js_2024-04__inventory_level_set.json")
    assert shopify.parse_stock_change(wrapped).inventory_item_ids == ("808950810",)


@pytest.mark.parametrize("payload", [
    {}, {"inventory_item_id": None}, {"inventory_item_id": True}, {"inventory_item_id": "abc"},
    {"inventory_item_id": -4}, {"inventory_item_id": 2**64}, {"inventory_item_id": 1, "updated_at": "yesterday"},
    {"inventory_item_id": 1, "updated_at": "2024-04-02T08:57:24"}, [1, 2],
])
def test_an_inventory_level_without_a_valid_item_or_time_is_refused(shopify, payload) -> None:
    with pytest.raises(InvalidPayload):
        shopify.parse_stock_change(payload)


def test_a_woocommerce_simple_product_names_itself(woocommerce) -> None:
    product = load_json_fixture("woocommerce/wc_v3_product_retrieve_response.json")
    change = woocommerce.parse_stock_change(product)
    assert change.keys == ("794",) and change.inventory_item_ids == ()
    assert change.updated_at == datetime(2017, 3, 23, 20, 1, 14, tzinfo=UTC)


def test_a_woocommerce_variation_names_itself_and_a_variable_product_its_variations(woocommerce) -> None:
    variation = load_json_fixture("woocommerce/wc_v3_product_variation_retrieve_response.json")
    assert woocommerce.parse_stock_change(variation).keys == ("732",)
    variable = {"id": 799, "type": "variable", "variations": [800, 801, "802", True, "x"]}
    assert woocommerce.parse_stock_change(variable).keys == ("799", "800", "801", "802")


@pytest.mark.parametrize("payload", [{}, {"id": "abc"}, {"id": False}, {"id": None}, "product"])
def test_a_woocommerce_product_without_an_id_is_refused(woocommerce, payload) -> None:
    with pytest.raises(InvalidPayload):
        woocommerce.parse_stock_change(payload)


def test_order_tags_from_a_rest_string_or_a_graphql_list_become_one_string(shopify) -> None:
    assert order_tags("vip, wholesale,, ") == "vip, wholesale"
    assert order_tags(["VIP", " b2b "]) == "VIP, b2b"
    assert (order_tags(""), order_tags([]), order_tags(None), order_tags(5)) == ("", "", None, None)
    order = load_json_fixture("shopify/rest/python_api__order.json")["order"]
    assert shopify.parse_order({**order, "tags": "vip, Rush"}).tags == "vip, Rush"
    assert shopify.parse_order({**order, "tags": ""}).tags == ""
    without = {key: value for key, value in order.items() if key != "tags"}
    assert shopify.parse_order(without).tags is None  # not said: the stored tags are kept


def test_the_stock_read_falls_due_once_per_interval_whatever_the_tick() -> None:
    ticks = range(0, 24 * 60, 5)  # a day of 5-minute ticks
    assert sum(due(minute, 60, 7) for minute in ticks) == 24
    assert sum(due(minute, 30, 0) for minute in ticks) == 48
    assert sum(due(minute, 5, 3) for minute in ticks) == 288
    assert not any(due(minute, 0, 0) for minute in ticks)  # 0: off
