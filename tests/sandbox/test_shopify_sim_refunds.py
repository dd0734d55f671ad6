"""The Shopify simulator's money: suggestedRefund and refundCreate on Shopify's real 2026-04 schema, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.serve import serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.shopify_sim.ext_payments import money
from sandbox.shopify_sim.graphql_api import build_cached_schema

SHOP, TOKEN = "money.myshopify.com", "shpat_money"

SUGGEST = """
query S($id: ID!, $lines: [RefundLineItemInput!]) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $lines) {
      amountSet { shopMoney { amount } }
      subtotalSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } }
      maximumRefundableSet { shopMoney { amount } }
      suggestedTransactions { gateway kind amountSet { shopMoney { amount } } parentTransaction { id kind } }
    }
  }
}
"""

REFUND = """
mutation R($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id totalRefundedSet { shopMoney { amount } } }
    userErrors { field message }
  }
}
"""

REFUND_WITHOUT_KEY = """
mutation R($input: RefundInput!) {
  refundCreate(input: $input) { refund { id } userErrors { message } }
}
"""


@pytest.fixture
def sim(shopify_schema_sdl: str) -> Iterator[tuple[ShopifySimulator, Any]]:
    simulator = ShopifySimulator({"api_secret": "s", "shops": [{
        "domain": SHOP, "access_token": TOKEN, "tax_rate": "0.20", "products": [{"title": "Tea", "variants": [
            {"sku": "TEA", "price": "5.00", "inventory_quantity": 0, "inventory_policy": "CONTINUE"}]}]}]},
        schema=build_cached_schema(shopify_schema_sdl), restore_rate=1000.0)
    handle = serve_in_thread(simulator.app)

    def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(f"{handle.url}/admin/api/2026-04/graphql.json", json={
            "query": query, "variables": variables}, headers={"X-Shopify-Access-Token": TOKEN}, timeout=5)
        assert response.status_code == 200
        return dict(response.json())

    yield simulator, post
    handle.stop()


def order_with_tea(simulator: ShopifySimulator, quantity: int = 3) -> tuple[str, str]:
    order = simulator.create_order(SHOP, [{"sku": "TEA", "quantity": quantity}], deliver_webhook=False)
    return order["admin_graphql_api_id"], order["line_items"][0]["admin_graphql_api_id"]


def test_the_suggestion_prices_the_units_with_tax_against_the_sale(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator)
    data = post(SUGGEST, {"id": order, "lines": [{"lineItemId": line, "quantity": 2, "restockType": "CANCEL"}]})
    suggestion = data["data"]["order"]["suggestedRefund"]
    assert suggestion["subtotalSet"]["shopMoney"]["amount"] == "10.00"
    assert suggestion["totalTaxSet"]["shopMoney"]["amount"] == "2.00"
    assert suggestion["amountSet"]["shopMoney"]["amount"] == "12.00"
    assert suggestion["maximumRefundableSet"]["shopMoney"]["amount"] == "18.00"
    [txn] = suggestion["suggestedTransactions"]
    assert (txn["kind"], txn["parentTransaction"]["kind"], txn["gateway"]) == ("SUGGESTED_REFUND", "SALE",
                                                                              "shopify_payments")


def test_a_suggestion_for_more_units_than_are_left_is_an_error(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator, 1)
    data = post(SUGGEST, {"id": order, "lines": [{"lineItemId": line, "quantity": 2}]})
    assert data["data"]["order"]["suggestedRefund"] is None and "more items" in data["errors"][0]["message"]


def refund_input(order: str, line: str, sale_id: str | None, amount: str, quantity: int = 1) -> dict[str, Any]:
    transactions = [] if sale_id is None else [{"orderId": order, "parentId": sale_id, "gateway": "shopify_payments",
                                                "kind": "REFUND", "amount": amount}]
    return {"orderId": order, "refundLineItems": [{"lineItemId": line, "quantity": quantity,
                                                   "restockType": "CANCEL"}], "transactions": transactions}


def sale_of(simulator: ShopifySimulator, order: str) -> str:
    number = order.rsplit("/", 1)[-1]
    sale = next(t for t in money(simulator, SHOP, number)["transactions"] if t["kind"] == "SALE")
    return f"gid://shopify/OrderTransaction/{sale['id']}"


def test_the_same_key_and_input_refund_once_and_another_input_is_refused(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator)
    sale = sale_of(simulator, order)
    first = post(REFUND, {"input": refund_input(order, line, sale, "6.00"), "key": "abc"})["data"]["refundCreate"]
    again = post(REFUND, {"input": refund_input(order, line, sale, "6.00"), "key": "abc"})["data"]["refundCreate"]
    assert first["userErrors"] == [] and again["refund"]["id"] == first["refund"]["id"]
    assert len(money(simulator, SHOP, order.rsplit("/", 1)[-1])["refunds"]) == 1
    other = post(REFUND, {"input": refund_input(order, line, sale, "5.00"), "key": "abc"})["data"]["refundCreate"]
    assert other["refund"] is None and "idempotency key" in other["userErrors"][0]["message"]


def test_refund_create_needs_the_idempotent_directive(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator)
    data = post(REFUND_WITHOUT_KEY, {"input": refund_input(order, line, None, "0")})
    assert data["data"]["refundCreate"] is None and "@idempotent" in data["errors"][0]["message"]


def test_more_than_the_parent_has_left_is_a_user_error_and_nothing_changes(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator)
    sale = sale_of(simulator, order)
    payload = post(REFUND, {"input": refund_input(order, line, sale, "18.01"), "key": "k"})["data"]["refundCreate"]
    assert payload["refund"] is None and payload["userErrors"][0]["field"] == ["transactions", "0", "amount"]
    assert simulator.order(SHOP, order.rsplit("/", 1)[-1])["line_items"][0]["current_quantity"] == 3


def test_more_units_than_are_left_is_a_user_error(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator, 1)
    payload = post(REFUND, {"input": refund_input(order, line, None, "0", quantity=2), "key": "q"})
    assert "more items" in payload["data"]["refundCreate"]["userErrors"][0]["message"]


def test_a_refund_transaction_needs_a_sale_or_capture_of_the_order_as_parent(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator)
    bogus = refund_input(order, line, "gid://shopify/OrderTransaction/1", "1.00")
    payload = post(REFUND, {"input": bogus, "key": "p"})["data"]["refundCreate"]
    assert payload["userErrors"][0]["field"] == ["transactions", "0", "parentId"]


FULFILLMENT_ORDERS = """
query F($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 5) { nodes { status lineItems(first: 5) { nodes { totalQuantity remainingQuantity } } } }
  }
}
"""


def test_refunded_units_leave_the_fulfillment_orders_and_a_fully_refunded_one_closes(sim):
    simulator, post = sim
    order, line = order_with_tea(simulator)
    sale = sale_of(simulator, order)
    before = post(FULFILLMENT_ORDERS, {"id": order})["data"]["order"]["fulfillmentOrders"]["nodes"]
    assert before[0]["lineItems"]["nodes"] == [{"totalQuantity": 3, "remainingQuantity": 3}]
    post(REFUND, {"input": refund_input(order, line, sale, "12.00", quantity=2), "key": "f1"})
    [fo] = post(FULFILLMENT_ORDERS, {"id": order})["data"]["order"]["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "OPEN" and fo["lineItems"]["nodes"] == [{"totalQuantity": 1, "remainingQuantity": 1}]
    post(REFUND, {"input": refund_input(order, line, sale, "6.00", quantity=1), "key": "f2"})
    [fo] = post(FULFILLMENT_ORDERS, {"id": order})["data"]["order"]["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "CLOSED" and fo["lineItems"]["nodes"][0]["remainingQuantity"] == 0
