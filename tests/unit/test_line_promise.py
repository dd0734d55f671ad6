"""The ship-by date a customer saw for a line, and their ship-together choice, read from real order
payloads (Shopify REST webhook ``properties``, GraphQL ``customAttributes``, WooCommerce item meta)."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from adapters.shopify.platform import ShopifyPlatform
from adapters.woocommerce.orders import parse_order as parse_wc_order
from connector.domain.line_promise import line_promise, ship_choice
from connector.domain.promise import StatedDate
from tests.conftest import load_json_fixture


class NoClient:
    def execute(self, *args, **kwargs):  # parse_order never calls the store
        raise AssertionError("no call expected")


def shopify_order_with(properties: list[dict], note_attributes: list[dict] | None = None) -> dict:
    order = copy.deepcopy(load_json_fixture("shopify/rest/python_api__order.json")["order"])
    order["line_items"][1]["properties"] = properties  # as the product form's properties[...] inputs send them
    if note_attributes is not None:
        order["note_attributes"] = note_attributes
    return order


def test_the_hidden_iso_property_is_the_promise_before_the_visible_one():
    stated, unreadable = line_promise([("Ships by", "December 20, 2026"), ("_backorder_ships_by", "2026-12-15")])
    assert stated == StatedDate(date(2026, 12, 15), "line_property:_backorder_ships_by")
    assert unreadable == []


def test_the_visible_property_alone_is_read_with_the_shops_formats():
    stated, _ = line_promise([("Ships by", "15/12/2026")], formats=("%d/%m/%Y",))
    assert stated == StatedDate(date(2026, 12, 15), "line_property:Ships by")


def test_an_unreadable_property_is_named_and_the_next_one_read():
    stated, unreadable = line_promise([("_backorder_ships_by", "soon"), ("Ships by", "2026-12-20")])
    assert stated == StatedDate(date(2026, 12, 20), "line_property:Ships by")
    assert unreadable == ["_backorder_ships_by"]


def test_a_line_without_a_ship_by_property_has_no_promise():
    assert line_promise([("Custom Engraving", "Happy Birthday")]) == (None, [])


@pytest.mark.parametrize(("value", "choice"), [("ready_now", "ready_now"), ("together", "together"),
                                               (" Together ", "together"), ("ready-now", "ready_now"),
                                               ("whenever", None), ("", None)])
def test_the_ship_choice_reads_only_its_two_words(value, choice):
    assert ship_choice([("Backorder shipping", value)]) == choice


def test_a_shopify_webhook_line_with_the_ship_by_properties_carries_them_and_the_cart_attribute_choice():
    payload = shopify_order_with(
        [{"name": "Ships by", "value": "December 15, 2026"}, {"name": "_backorder_ships_by", "value": "2026-12-15"}],
        [{"name": "Backorder shipping", "value": "together"}])
    snapshot = ShopifyPlatform(NoClient()).parse_order(payload)  # type: ignore[arg-type]
    first, second = snapshot.lines[0], snapshot.lines[1]
    assert first.properties == (("Custom Engraving", "Happy Birthday"),)
    assert second.properties == (("Ships by", "December 15, 2026"), ("_backorder_ships_by", "2026-12-15"))
    assert snapshot.ship_choice == "together"
    assert line_promise(second.properties)[0] == StatedDate(date(2026, 12, 15), "line_property:_backorder_ships_by")


def test_a_shopify_order_without_the_choice_has_none():
    snapshot = ShopifyPlatform(NoClient()).parse_order(shopify_order_with([]))  # type: ignore[arg-type]
    assert snapshot.ship_choice is None
    assert snapshot.lines[1].properties == ()


def test_a_graphql_line_reads_custom_attributes():
    platform = ShopifyPlatform(NoClient())  # type: ignore[arg-type]
    node = {"id": "gid://shopify/Order/7", "legacyResourceId": "7", "name": "#1007",
            "createdAt": "2026-12-01T10:00:00Z", "updatedAt": "2026-12-01T10:00:00Z",
            "customAttributes": [{"key": "Backorder shipping", "value": "ready_now"}],
            "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/70", "currentQuantity": 1, "quantity": 1,
                                     "unfulfilledQuantity": 1, "sku": "TEA", "title": "Tea",
                                     "customAttributes": [{"key": "_backorder_ships_by", "value": "2026-12-18"}],
                                     "variant": {"legacyResourceId": "5"}, "product": {"legacyResourceId": "4"}}],
                          "pageInfo": {"hasNextPage": False}}}
    snapshot = platform._graphql_order(node)
    assert snapshot.ship_choice == "ready_now"
    assert snapshot.lines[0].properties == (("_backorder_ships_by", "2026-12-18"),)


def test_a_woocommerce_order_reads_the_plugins_item_meta_and_order_meta():
    payload = copy.deepcopy(load_json_fixture("woocommerce/wc_v3_order_create_response.json"))
    payload["line_items"][0]["meta_data"] = [
        {"id": 901, "key": "Ships by", "value": "15 december 2026", "display_key": "Ships by",
         "display_value": "15 december 2026"},
        {"id": 902, "key": "_backorder_ships_by", "value": "2026-12-15"}]
    payload["meta_data"].append({"id": 903, "key": "_backorder_shipping", "value": "ready_now"})
    snapshot = parse_wc_order(payload)
    assert snapshot.ship_choice == "ready_now"
    assert line_promise(snapshot.lines[0].properties)[0] == StatedDate(date(2026, 12, 15),
                                                                       "line_property:_backorder_ships_by")
    assert [line_promise(line.properties) for line in snapshot.lines[1:]] == [(None, [])] * (len(snapshot.lines) - 1)
