"""ShopifyPlatform.parse_order on real Shopify REST Order payloads (the orders/* webhook body)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from connector.domain.errors import InvalidPayload
from tests.conftest import load_json_fixture


@pytest.fixture
def platform() -> ShopifyPlatform:
    return ShopifyPlatform(ShopifyGraphQL("example.myshopify.com", "shpat_unit"))


def python_api_order() -> dict[str, Any]:
    return load_json_fixture("shopify/rest/python_api__order.json")["order"]


def test_python_api_order_becomes_a_snapshot_with_numeric_string_ids(platform: ShopifyPlatform) -> None:
    snapshot = platform.parse_order(python_api_order())

    assert snapshot.order_id == "450789469"
    assert snapshot.name == "#1001"
    assert snapshot.customer_email == "bob.norman@hostmail.com"
    assert snapshot.financial_status == "authorized"
    assert snapshot.cancelled is False
    assert snapshot.created_at == datetime(2008, 1, 10, 11, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert snapshot.updated_at.tzinfo is not None
    assert [line.sku for line in snapshot.lines] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
    first = snapshot.lines[0]
    assert (first.line_id, first.quantity, first.product_id, first.variant_id, first.title) == (
        "466157049",
        1,
        "632910392",
        "39072856",
        "IPod Nano - 8gb - green",
    )


@pytest.mark.parametrize("fixture", ["shopify/rest/python_api__order.json",
                                     "shopify/rest/api_js_2024-04__order_create_pending.json",
                                     "shopify/rest/api_js_2024-04__orders_list_financial_status_authorized.json"])
def test_each_line_is_titled_by_its_name_so_the_customer_sees_the_variant(platform: ShopifyPlatform,
                                                                         fixture: str) -> None:
    found = load_json_fixture(fixture)
    orders = found["orders"] if "orders" in found else [found["order"]]
    titles = [line.title for order in orders for line in platform.parse_order(order).lines]
    names = [line["name"] for order in orders for line in order["line_items"]]
    assert titles == names and all(" - " in title for title in titles)  # e.g. "IPod Nano - 8gb - black"
    assert "IPod Touch 8GB - Black" in titles or "IPod Nano - 8gb - red" in titles


def test_a_line_without_a_name_keeps_its_product_title(platform: ShopifyPlatform) -> None:
    order = python_api_order()
    for line in order["line_items"]:
        del line["name"]
    assert platform.parse_order(order).lines[0].title == "IPod Nano - 8gb"


def test_the_order_wrapper_object_is_accepted_as_well(platform: ShopifyPlatform) -> None:
    wrapped = load_json_fixture("shopify/rest/python_api__order.json")
    assert platform.parse_order(wrapped).order_id == "450789469"


def test_every_order_of_the_2024_04_orders_list_parses(platform: ShopifyPlatform) -> None:
    fixture = "shopify/rest/api_js_2024-04__orders_list_financial_status_authorized.json"
    orders = load_json_fixture(fixture)["orders"]
    snapshots = [platform.parse_order(order) for order in orders]

    assert snapshots
    for order, snapshot in zip(orders, snapshots, strict=True):
        assert snapshot.order_id == str(order["id"])
        assert snapshot.financial_status == "authorized"
        assert len(snapshot.lines) == len(order["line_items"])
        assert all(line.line_id.isdigit() for line in snapshot.lines)


def test_a_line_is_captured_at_its_current_quantity_not_the_units_first_ordered(platform: ShopifyPlatform) -> None:
    """Order 450789469 of the 2024-04 list: one unit of each of three lines, two refunded off the order
    (current_quantity 0); the lines stay in the payload with ``quantity`` 1."""
    fixture = "shopify/rest/api_js_2024-04__orders_list_financial_status_authorized.json"
    order = load_json_fixture(fixture)["orders"][0]
    assert [line["quantity"] for line in order["line_items"]] == [1, 1, 1]

    snapshot = platform.parse_order(order)

    assert [(line.sku, line.quantity) for line in snapshot.lines] == [
        ("IPOD2008GREEN", 0), ("IPOD2008RED", 1), ("IPOD2008BLACK", 0)]


def test_current_quantity_below_quantity_is_what_the_line_holds(platform: ShopifyPlatform) -> None:
    order = load_json_fixture("shopify/rest/api_js_2024-04__order_create_pending.json")["order"]
    order["line_items"][0].update(quantity=5, current_quantity=2)  # three units removed by an order edit
    assert platform.parse_order(order).lines[0].quantity == 2


def test_a_payload_without_current_quantity_falls_back_to_quantity(platform: ShopifyPlatform) -> None:
    order = python_api_order()
    assert all("current_quantity" not in line for line in order["line_items"])
    order["line_items"][0]["quantity"] = 4
    assert [line.quantity for line in platform.parse_order(order).lines] == [4, 1, 1]


def test_a_pending_order_without_shipping_address_parses(platform: ShopifyPlatform) -> None:
    order = load_json_fixture("shopify/rest/api_js_2024-04__order_create_pending.json")["order"]
    snapshot = platform.parse_order(order)

    assert snapshot.financial_status == "pending"
    assert [(line.variant_id, line.sku) for line in snapshot.lines] == [("447654529", "IPOD2009BLACK")]


def test_a_cancelled_order_is_marked_cancelled(platform: ShopifyPlatform) -> None:
    order = python_api_order()
    order["cancelled_at"] = "2008-01-11T09:00:00-05:00"
    assert platform.parse_order(order).cancelled is True


def test_a_custom_line_without_variant_has_no_variant_id(platform: ShopifyPlatform) -> None:
    order = python_api_order()
    order["line_items"][0]["variant_id"] = None
    order["line_items"][0]["product_id"] = None
    line = platform.parse_order(order).lines[0]
    assert (line.variant_id, line.product_id, line.stock_key) == (None, None, None)


def test_utc_z_timestamps_are_aware(platform: ShopifyPlatform) -> None:
    order = python_api_order()
    order["updated_at"] = "2024-03-01T10:00:00Z"
    assert platform.parse_order(order).updated_at == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def _broken(mutate) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    order = copy.deepcopy(python_api_order())
    mutate(order)
    return order


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o.pop("id"), "'id'"),
        (lambda o: o.update(id=None), "'id'"),
        (lambda o: o.pop("line_items"), "line_items"),
        (lambda o: o.update(line_items="nope"), "line_items"),
        (lambda o: o.pop("created_at"), "created_at"),
        (lambda o: o.update(updated_at="yesterday"), "updated_at"),
        (lambda o: o.update(created_at="2008-01-10T11:00:00"), "offset"),
        (lambda o: o["line_items"][0].pop("id"), "line item"),
        (lambda o: o["line_items"][1].update(quantity="2"), "quantity"),
        (lambda o: o["line_items"][1].update(quantity=-1), "negative"),
        (lambda o: o["line_items"][1].update(current_quantity="1"), "current_quantity"),
        (lambda o: o["line_items"][1].update(current_quantity=-1), "negative current_quantity"),
        (lambda o: o["line_items"][2].update(variant_id={"x": 1}), "variant_id"),
        (lambda o: o["line_items"].append("junk"), "not an object"),
    ],
    ids=[
        "no id",
        "null id",
        "no line_items",
        "line_items not a list",
        "no created_at",
        "bad updated_at",
        "naive created_at",
        "line without id",
        "string quantity",
        "negative quantity",
        "string current_quantity",
        "negative current_quantity",
        "bad variant_id",
        "line not an object",
    ],
)
def test_a_broken_payload_raises_invalid_payload_naming_the_problem(platform, mutate, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidPayload, match=message):
        platform.parse_order(_broken(mutate))


def test_a_non_object_payload_raises_invalid_payload(platform: ShopifyPlatform) -> None:
    with pytest.raises(InvalidPayload):
        platform.parse_order([])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["line_items"][0].update(quantity=10**30, current_quantity=None), "quantity .* out of range"),
        (lambda p: p["line_items"][0].update(current_quantity=10**30), "quantity .* out of range"),
        (lambda p: p.update(id=10**30), "order id .* out of range"),
        (lambda p: p["line_items"][0].update(id=10**30), "line id .* out of range"),
        (lambda p: p["line_items"][0].update(variant_id=10**30), "variant id .* out of range"),
        (lambda p: p.update(id="9" * 70), "order id is 70 characters long"),
    ],
    ids=["quantity", "current-quantity", "order-id", "line-id", "variant-id", "long-id"],
)
def test_quantities_and_ids_that_overflow_storage_are_invalid_payloads(
    platform: ShopifyPlatform, mutate: Any, message: str
) -> None:
    order = copy.deepcopy(python_api_order())
    mutate(order)
    with pytest.raises(InvalidPayload, match=message) as raised:
        platform.parse_order(order)
    assert raised.value.category == "permanent"


def test_an_order_name_with_line_breaks_is_kept_as_the_store_sent_it(platform: ShopifyPlatform) -> None:
    order = {**copy.deepcopy(python_api_order()), "name": "#1001\r\nBcc: x@evil.example"}
    assert platform.parse_order(order).name == "#1001\r\nBcc: x@evil.example"  # e-mail headers are made safe
