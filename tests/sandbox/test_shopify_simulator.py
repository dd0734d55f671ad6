"""The Shopify simulator speaks like Shopify: validation errors, auth, signed webhooks, control endpoints."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, request

from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.shopify_sim import ShopifySimulator, SimulatorError, sign_webhook
from tests.conftest import load_json_fixture

SHOP = "mugs.myshopify.com"
TOKEN = "shpat_sim_test_token"
SECRET = "sim-app-secret"


def seed() -> dict[str, Any]:
    return {
        "api_secret": SECRET,
        "api_version": "2026-04",
        "shops": [
            {
                "domain": SHOP,
                "access_token": TOKEN,
                "products": [
                    {
                        "title": "Mug",
                        "variants": [
                            {
                                "sku": "MUG-BLUE",
                                "price": "12.00",
                                "inventory_quantity": 2,
                                "inventory_policy": "CONTINUE",
                            },
                            {
                                "sku": "MUG-RED",
                                "price": "12.00",
                                "inventory_quantity": 1,
                                "inventory_policy": "DENY",
                            },
                        ],
                    }
                ],
            }
        ],
    }


class Receiver:
    """A loopback webhook endpoint that records what it receives."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = Flask("receiver")
        self.app.add_url_rule("/webhooks/shopify", "hook", self._hook, methods=["POST"])

    def _hook(self) -> tuple[str, int]:
        with self.lock:
            self.received.append({"headers": dict(request.headers), "body": request.get_data()})
        return "", 200


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerHandle]]:
    rec = Receiver()
    handle = serve_in_thread(rec.app)
    yield rec, handle
    handle.stop()


@pytest.fixture
def sim(receiver: tuple[Receiver, ServerHandle]) -> Iterator[tuple[ShopifySimulator, ServerHandle]]:
    simulator = ShopifySimulator(seed(), webhook_url=receiver[1].url)
    handle = serve_in_thread(simulator.app)
    yield simulator, handle
    simulator.wait_for_deliveries(5)
    handle.stop()


def post_graphql(
    url: str, query: str, token: str = TOKEN, variables: dict[str, Any] | None = None
) -> requests.Response:
    return requests.post(
        f"{url}/admin/api/2026-04/graphql.json",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": token},
        timeout=5,
    )


def test_an_invalid_document_gets_a_200_with_shopify_shaped_errors(sim) -> None:  # type: ignore[no-untyped-def]
    response = post_graphql(sim[1].url, "{ nope { id } }")

    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors and "data" not in response.json()
    assert {"message", "locations", "extensions"} <= set(errors[0])
    assert errors[0]["locations"][0] == {"line": 1, "column": 3}
    assert errors[0]["extensions"]["code"]


def test_a_syntax_error_gets_shopify_shaped_errors(sim) -> None:  # type: ignore[no-untyped-def]
    errors = post_graphql(sim[1].url, "{ orders(first: ").json()["errors"]
    assert errors[0]["message"].startswith("Syntax Error") and errors[0]["locations"]


def test_a_bad_token_answers_401_like_shopify(sim) -> None:  # type: ignore[no-untyped-def]
    response = post_graphql(sim[1].url, "{ orders(first: 1) { nodes { id } } }", token="shpat_wrong")
    assert response.status_code == 401
    assert response.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }


def test_every_answer_carries_the_cost_extension(sim) -> None:  # type: ignore[no-untyped-def]
    body = post_graphql(
        sim[1].url, "{ orders(first: 5) { nodes { id lineItems(first: 2) { nodes { id } } } } }"
    ).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 5 * (1 + 2 + 2 * 1)
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


def test_the_bucket_is_charged_the_actual_cost_of_what_came_back_not_the_requested_one(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], deliver_webhook=False)
    query = "{ orders(first: 50) { nodes { id lineItems(first: 10) { nodes { id } } } } }"
    body = post_graphql(handle.url, query).json()
    orders = body["data"]["orders"]["nodes"]
    cost = body["extensions"]["cost"]

    assert cost["requestedQueryCost"] == 2 + 50 * (1 + 2 + 10 * 1)
    assert 0 < len(orders) < 50
    assert cost["actualQueryCost"] == 2 + sum(1 + 2 + len(order["lineItems"]["nodes"]) for order in orders)
    status = cost["throttleStatus"]  # only the actual cost left the (full) bucket
    assert status["maximumAvailable"] - status["currentlyAvailable"] <= cost["actualQueryCost"] + 1


def test_an_order_decrements_stock_and_deny_refuses_to_oversell(sim) -> None:  # type: ignore[no-untyped-def]
    simulator = sim[0]
    simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 3}], deliver_webhook=False)
    assert simulator.variant(SHOP, "MUG-BLUE")["inventory_quantity"] == -1
    with pytest.raises(SimulatorError, match="DENY"):
        simulator.create_order(SHOP, [{"sku": "MUG-RED", "quantity": 2}])
    assert simulator.variant(SHOP, "MUG-RED")["inventory_quantity"] == 1


def test_orders_create_webhook_is_rest_order_json_signed_with_the_app_secret(sim, receiver) -> None:  # type: ignore[no-untyped-def]
    simulator, rec = sim[0], receiver[0]
    order = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], email="ann@example.com")
    assert simulator.wait_for_deliveries(5, count=1)

    (hit,) = rec.received
    headers, body = hit["headers"], hit["body"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["X-Shopify-Hmac-Sha256"], expected)
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == SHOP
    assert headers["X-Shopify-Api-Version"] == "2026-04"
    assert headers["Content-Type"] == "application/json"
    assert (
        headers["X-Shopify-Webhook-Id"]
        and headers["X-Shopify-Event-Id"]
        and headers["X-Shopify-Triggered-At"]
    )
    payload = json.loads(body)
    assert payload == order
    assert payload["name"] == "#1001" and payload["email"] == "ann@example.com"
    assert payload["admin_graphql_api_id"] == f"gid://shopify/Order/{payload['id']}"
    line = payload["line_items"][0]
    reference = load_json_fixture("shopify/rest/python_api__order.json")["order"]["line_items"][0]
    assert {"id", "variant_id", "product_id", "sku", "quantity", "title", "name", "price"} <= set(reference)
    assert set(reference) & {"id", "variant_id", "product_id", "sku", "quantity"} <= set(line)
    assert simulator.deliveries[0].status_code == 200


def test_redelivery_resends_the_same_body_with_a_new_webhook_id_and_the_same_event_id(sim, receiver) -> None:  # type: ignore[no-untyped-def]
    simulator, rec = sim[0], receiver[0]
    simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}])
    simulator.wait_for_deliveries(5, count=1)
    simulator.redeliver(simulator.deliveries[0].webhook_id)
    simulator.wait_for_deliveries(5, count=2)

    first, second = rec.received
    assert first["body"] == second["body"]
    assert first["headers"]["X-Shopify-Webhook-Id"] != second["headers"]["X-Shopify-Webhook-Id"]
    assert first["headers"]["X-Shopify-Event-Id"] == second["headers"]["X-Shopify-Event-Id"]


def test_cancel_restocks_and_sends_orders_cancelled(sim, receiver) -> None:  # type: ignore[no-untyped-def]
    simulator, rec = sim[0], receiver[0]
    order = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 2}])
    simulator.cancel_order(SHOP, order["id"])
    simulator.wait_for_deliveries(5, count=2)

    assert simulator.variant(SHOP, "MUG-BLUE")["inventory_quantity"] == 2
    assert [d.topic for d in simulator.deliveries] == ["orders/create", "orders/cancelled"]
    cancelled = json.loads(
        next(r["body"] for r in rec.received if r["headers"]["X-Shopify-Topic"] == "orders/cancelled")
    )
    assert cancelled["cancelled_at"] is not None


def test_an_order_edit_lowers_current_quantity_restocks_and_sends_orders_updated(sim, receiver) -> None:  # type: ignore[no-untyped-def]
    simulator, rec = sim[0], receiver[0]
    order = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 3}])
    line_id = order["line_items"][0]["id"]
    simulator.edit_order(SHOP, order["id"], {line_id: 1})
    simulator.wait_for_deliveries(5, count=2)

    assert [d.topic for d in simulator.deliveries] == ["orders/create", "orders/updated"]
    updated = json.loads(
        next(r["body"] for r in rec.received if r["headers"]["X-Shopify-Topic"] == "orders/updated")
    )
    [line] = updated["line_items"]
    assert (line["quantity"], line["current_quantity"], line["fulfillable_quantity"]) == (3, 1, 1)
    assert simulator.variant(SHOP, "MUG-BLUE")["inventory_quantity"] == 1  # 2 - 3 + 2 restocked
    simulator.edit_order(SHOP, order["id"], {line_id: 2}, deliver_webhook=False)  # one unit added back
    [line] = simulator.order(SHOP, order["id"])["line_items"]
    assert (line["quantity"], line["current_quantity"]) == (4, 2)
    assert simulator.variant(SHOP, "MUG-BLUE")["inventory_quantity"] == 0
    simulator.cancel_order(SHOP, order["id"], deliver_webhook=False)
    assert simulator.variant(SHOP, "MUG-BLUE")["inventory_quantity"] == 2  # only the 2 left go back


def test_an_admin_order_edit_keeps_quantity_and_lowers_current_quantity(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    order = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 3}], deliver_webhook=False)
    line_gid = order["line_items"][0]["admin_graphql_api_id"]
    begin = post_graphql(handle.url, """mutation($id: ID!) { orderEditBegin(id: $id) {
        calculatedOrder { id } userErrors { message } } }""", variables={"id": order["admin_graphql_api_id"]})
    calculated = begin.json()["data"]["orderEditBegin"]["calculatedOrder"]["id"]
    line = "gid://shopify/CalculatedLineItem/" + line_gid.rsplit("/", 1)[-1]
    post_graphql(handle.url, """mutation($id: ID!, $line: ID!) {
        orderEditSetQuantity(id: $id, lineItemId: $line, quantity: 0, restock: true) { userErrors { message } } }""",
                 variables={"id": calculated, "line": line})
    post_graphql(handle.url, """mutation($id: ID!) { orderEditCommit(id: $id) { userErrors { message } } }""",
                 variables={"id": calculated})
    read = post_graphql(handle.url, """query($id: ID!) { order(id: $id) {
        lineItems(first: 5) { nodes { quantity currentQuantity } } } }""",
                        variables={"id": order["admin_graphql_api_id"]})

    assert read.json()["data"]["order"]["lineItems"]["nodes"] == [{"quantity": 3, "currentQuantity": 0}]
    assert simulator.variant(SHOP, "MUG-BLUE")["inventory_quantity"] == 2


def test_control_endpoints_drive_the_shop_from_another_process(sim) -> None:  # type: ignore[no-untyped-def]
    url = sim[1].url
    created = requests.post(
        f"{url}/_sandbox/orders",
        json={"shop": SHOP, "lines": [{"sku": "MUG-BLUE", "quantity": 1}]},
        timeout=5,
    )
    assert created.status_code == 201
    order_id = created.json()["id"]
    assert (
        requests.post(
            f"{url}/_sandbox/stock", json={"shop": SHOP, "sku": "MUG-BLUE", "quantity": 7}, timeout=5
        ).json()["inventory_quantity"]
        == 7
    )
    fetched = requests.get(f"{url}/_sandbox/orders/{order_id}", params={"shop": SHOP}, timeout=5).json()
    assert fetched["id"] == order_id and fetched["tag_list"] == []
    cancel = requests.post(f"{url}/_sandbox/orders/{order_id}/cancel", json={"shop": SHOP}, timeout=5)
    assert cancel.json()["cancelled_at"]
    sim[0].wait_for_deliveries(5, count=2)
    deliveries = requests.get(f"{url}/_sandbox/deliveries", timeout=5).json()
    assert [d["topic"] for d in deliveries] == ["orders/create", "orders/cancelled"]
    again = requests.post(
        f"{url}/_sandbox/redeliver", json={"webhook_id": deliveries[0]["webhook_id"]}, timeout=5
    )
    assert again.status_code == 202 and again.json()["event_id"] == deliveries[0]["event_id"]
    missing = requests.get(f"{url}/_sandbox/orders/1", params={"shop": SHOP}, timeout=5)
    assert missing.status_code == 404


def test_sign_webhook_matches_shopifys_own_hmac_vectors() -> None:
    vectors = load_json_fixture("hmac/shopify_webhook_hmac_vectors.json")["vectors"]
    assert vectors
    for vector in vectors:
        signature = sign_webhook(vector["raw_body"].encode(), vector["secret"])
        assert hmac.compare_digest(signature, vector["x_shopify_hmac_sha256"]) is vector["valid"], vector[
            "note"
        ]


def test_a_line_is_named_as_shopify_names_it_the_product_and_its_variant_or_the_product_alone() -> None:
    from sandbox.shopify_sim.store import Variant, line_name

    def variant(title: str) -> Variant:
        return Variant(1, 2, 3, "IPod Nano - 8gb", title, "IPOD", "199.00", 1, "CONTINUE")

    assert line_name(variant("black")) == "IPod Nano - 8gb - black"  # as in the real order payload
    assert line_name(variant("Default Title")) == "IPod Nano - 8gb"


RUN_MUTATION = """
mutation Run($mutation: String!, $path: String!) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path) {
    bulkOperation { id }
    userErrors { field message code }
  }
}
"""


@pytest.mark.parametrize(("inner", "code", "message"), [
    ("mutation { tagsAdd(id: ", "INVALID_MUTATION", "Failed to parse the mutation - Syntax Error"),
    ("mutation { nope(id: $id) { node { id } } }", "INVALID_MUTATION", "Invalid mutation: "),
    ("mutation T($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } } }",
     "NO_SUCH_FILE", "The JSONL file could not be found."),
], ids=["syntax", "invalid", "valid"])
def test_a_bulk_mutation_is_refused_as_shopify_refuses_it_each_time_it_is_sent(sim, inner, code, message) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):  # the second time from the simulator's parsed-document cache: the same answer
        body = post_graphql(sim[1].url, RUN_MUTATION, variables={"mutation": inner, "path": "tmp/none.jsonl"}).json()
        answer = body["data"]["bulkOperationRunMutation"]
        assert answer["bulkOperation"] is None
        assert [(e["code"], e["message"][:len(message)]) for e in answer["userErrors"]] == [(code, message)]
