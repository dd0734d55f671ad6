"""What shipped and at what price, read from real store payloads (../shared/fixtures): Shopify REST
orders (webhook bodies), a Shopify fulfillments/* body, GraphQL line items, WooCommerce orders."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from adapters.woocommerce.orders import TRACKING_META, parse_order
from connector.domain.errors import InvalidPayload
from tests.conftest import load_json_fixture


@pytest.fixture
def platform() -> ShopifyPlatform:
    return ShopifyPlatform(ShopifyGraphQL("example.myshopify.com", "shpat_unit"))


def authorized_order() -> dict[str, Any]:
    """Order 450789469 of the 2024-04 list: line 466157049 appears in a fulfillment whose status is failure."""
    return load_json_fixture("shopify/rest/api_js_2024-04__orders_list_financial_status_authorized.json")["orders"][0]


def test_a_failed_fulfillment_ships_nothing(platform: ShopifyPlatform) -> None:
    order = authorized_order()
    assert order["fulfillments"][0]["status"] == "failure"
    snapshot = platform.parse_order(order)
    assert [line.fulfilled_quantity for line in snapshot.lines] == [0, 0, 0]
    assert snapshot.currency == "USD"


def test_a_successful_fulfillment_ships_its_line_units_at_its_time(platform: ShopifyPlatform) -> None:
    order = copy.deepcopy(authorized_order())
    order["fulfillments"][0]["status"] = "success"
    red = order["line_items"][1]  # current_quantity 1
    order["fulfillments"][0]["line_items"] = [{**red, "quantity": 1}]
    snapshot = platform.parse_order(order)
    line = next(line for line in snapshot.lines if line.line_id == str(red["id"]))
    assert (line.quantity, line.fulfilled_quantity) == (1, 1)
    assert line.fulfilled_at == datetime(2024, 4, 2, 8, 59, 11, tzinfo=timezone(timedelta(hours=-5)))
    assert [other.fulfilled_quantity for other in snapshot.lines if other is not line] == [0, 0]


def test_units_shipped_then_refunded_no_longer_count(platform: ShopifyPlatform) -> None:
    """Line 466157049 has current_quantity 0: a successful fulfillment of its unit is capped at 0."""
    order = copy.deepcopy(authorized_order())
    order["fulfillments"][0]["status"] = "success"
    assert platform.parse_order(order).lines[0].fulfilled_quantity == 0


def test_a_line_marked_fulfilled_counts_whole_without_a_fulfillment_list(platform: ShopifyPlatform) -> None:
    order = load_json_fixture("shopify/rest/api_js_2024-04__order_create_partially_paid.json")["order"]
    order["line_items"][0].update(fulfillment_status="fulfilled", fulfillable_quantity=0)
    snapshot = platform.parse_order(order)
    assert snapshot.lines[0].fulfilled_quantity == snapshot.lines[0].quantity == 1


def test_the_unit_price_is_after_the_line_s_discount_allocations(platform: ShopifyPlatform) -> None:
    lines = platform.parse_order(authorized_order()).lines
    assert lines[0].unit_price == Decimal("195.66")  # 199.00 less 3.34 on one unit
    python_api = platform.parse_order(load_json_fixture("shopify/rest/python_api__order.json")["order"])
    assert python_api.lines[0].unit_price == Decimal("199.00") and python_api.currency == "USD"


def test_a_fulfillment_webhook_reads_its_order_from_the_store(platform: ShopifyPlatform) -> None:
    class Client:
        sent: list[dict[str, Any]] = []

        def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            self.sent.append(dict(variables or {}))
            return {"order": {"legacyResourceId": "450789469", "name": "#1001", "createdAt": "2024-04-02T08:00:00Z",
                              "updatedAt": "2024-04-02T09:00:00Z", "currencyCode": "USD", "lineItems": {"nodes": [
                                  {"id": "gid://shopify/LineItem/466157049", "quantity": 3, "currentQuantity": 3,
                                   "unfulfilledQuantity": 1, "sku": "IPOD2008GREEN", "title": "IPod Nano",
                                   "discountedUnitPriceAfterAllDiscountsSet": {"shopMoney": {"amount": "195.66"}},
                                   "variant": {"legacyResourceId": "39072856"},
                                   "product": {"legacyResourceId": "632910392"}}],
                                  "pageInfo": {"hasNextPage": False}}}}

    reader = ShopifyPlatform(Client())  # type: ignore[arg-type]
    fulfillment = authorized_order()["fulfillments"][0]  # the REST Fulfillment shape fulfillments/* carry
    snapshot = reader.order_for_shipment(fulfillment)
    assert Client.sent[-1]["id"] == "gid://shopify/Order/450789469"
    assert snapshot is not None and snapshot.order_id == "450789469"
    [line] = snapshot.lines
    assert (line.quantity, line.fulfilled_quantity, line.unit_price) == (3, 2, Decimal("195.66"))
    with pytest.raises(InvalidPayload):
        reader.order_for_shipment({"id": 1})


def woo_orders() -> list[dict[str, Any]]:
    return load_json_fixture("woocommerce/wc_v3_orders_list_response.json")


def test_a_completed_woocommerce_order_has_shipped_every_line_when_it_was_completed() -> None:
    completed = next(order for order in woo_orders() if order["status"] == "completed")
    snapshot = parse_order(completed)
    assert [(line.quantity, line.fulfilled_quantity) for line in snapshot.lines] == [(1, 1), (1, 1)]
    assert {line.fulfilled_at for line in snapshot.lines} == {datetime(2017, 3, 21, 19, 54, 51, tzinfo=UTC)}
    assert [line.unit_price for line in snapshot.lines] == [Decimal("9.00"), Decimal("20.00")]
    assert snapshot.currency == "USD"


def test_a_processing_woocommerce_order_has_shipped_nothing_until_tracking_is_added() -> None:
    processing = next(order for order in woo_orders() if order["status"] == "processing")
    snapshot = parse_order(processing)
    assert all(line.fulfilled_quantity == 0 for line in snapshot.lines)
    assert snapshot.lines[0].unit_price == Decimal("3.00")  # total 6.00 for 2 units

    tracked = copy.deepcopy(processing)
    tracked["meta_data"].append({"id": 9001, "key": TRACKING_META, "value": [
        {"tracking_provider": "usps", "tracking_number": "9400111", "date_shipped": "1700000000",
         "tracking_id": "abc"}]})
    shipped = parse_order(tracked)
    assert [(line.quantity, line.fulfilled_quantity) for line in shipped.lines] == [(2, 2), (1, 1)]
    assert shipped.lines[0].fulfilled_at == datetime.fromtimestamp(1700000000, UTC)


def test_a_woocommerce_drop_ship_parcel_tracked_on_one_line_ships_only_its_units_of_that_line() -> None:
    """The connector's own drop-ship tracking items name their line and units
    (adapters/woocommerce/fulfillment.py); the other lines, and the rest of that line, still wait."""
    processing = copy.deepcopy(next(order for order in woo_orders() if order["status"] == "processing"))
    first, second = (str(item["id"]) for item in processing["line_items"])
    processing["meta_data"].append({"id": 9002, "key": TRACKING_META, "value": [
        {"tracking_provider": "", "custom_tracking_provider": "UPS", "tracking_number": "1Z001",
         "date_shipped": "", "tracking_id": "dsf-1", "line_item_id": first, "quantity": 1}]})
    lines = {line.line_id: line for line in parse_order(processing).lines}
    assert (lines[first].quantity, lines[first].fulfilled_quantity) == (2, 1)
    assert lines[second].fulfilled_quantity == 0

    processing["meta_data"][-1]["value"].append(
        {"tracking_provider": "", "tracking_number": "1Z002", "date_shipped": "", "tracking_id": "dsf-2",
         "line_item_id": first, "quantity": 5})  # more than the line holds: capped at its quantity
    lines = {line.line_id: line for line in parse_order(processing).lines}
    assert lines[first].fulfilled_quantity == 2 and lines[second].fulfilled_quantity == 0
