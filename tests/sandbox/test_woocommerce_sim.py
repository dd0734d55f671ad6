"""The WooCommerce simulator behaves like WooCommerce core: stock rules, signed webhooks, REST errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, request

from adapters.woocommerce.orders import parse_order
from adapters.woocommerce.signature import is_valid
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.woocommerce_sim import SimError, WooCommerceSimulator

STORE = "https://woo.example"
KEY, SECRET, WEBHOOK_SECRET = "ck_sim", "cs_sim", "whsec_sim"
API = "/wp-json/wc/v3"


def seed(**store: Any) -> dict[str, Any]:
    return {"stores": [{
        "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET,
        "webhook_secret": WEBHOOK_SECRET, "webhook_id": 7,
        "products": [
            {"name": "Tea tin", "sku": "TEA-1", "price": "8.00", "manage_stock": True,
             "stock_quantity": 1, "backorders": "notify"},
            {"name": "Mug", "sku": "MUG-1", "price": "12.00", "manage_stock": True,
             "stock_quantity": 1, "backorders": "no"},
            {"name": "Hoodie", "type": "variable", "variations": [
                {"sku": "HOOD-M", "price": "40.00", "manage_stock": True, "stock_quantity": 0,
                 "backorders": "yes", "attributes": [{"name": "Size", "option": "M"}]}]},
        ],
        **store,
    }]}


class Receiver:
    """A webhook endpoint on loopback that records what arrives."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = Flask("receiver")
        self.app.add_url_rule("/webhooks/woocommerce", "hook", self.hook, methods=["POST"])

    def hook(self) -> tuple[str, int]:
        with self.lock:
            self.received.append({"headers": dict(request.headers), "body": request.get_data()})
        return "", self.status


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerHandle]]:
    rec = Receiver()
    handle = serve_in_thread(rec.app)
    yield rec, handle
    handle.stop()


@pytest.fixture
def sim(receiver: tuple[Receiver, ServerHandle]) -> WooCommerceSimulator:
    return WooCommerceSimulator(seed(), webhook_url=receiver[1].url)


@pytest.fixture
def server(sim: WooCommerceSimulator) -> Iterator[ServerHandle]:
    handle = serve_in_thread(sim.app)
    yield handle
    handle.stop()


def test_a_notify_product_sold_short_gets_the_backordered_line_meta(sim: WooCommerceSimulator) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    assert order["line_items"][0]["meta_data"][-1]["key"] == "Backordered"
    assert order["line_items"][0]["meta_data"][-1]["value"] == 2  # 3 ordered - max(0, 1 in stock)
    assert sim.product(STORE, "TEA-1")["stock_quantity"] == -2
    assert sim.product(STORE, "TEA-1")["stock_status"] == "onbackorder"
    assert parse_order(order).lines[0].backordered_meta == 2


def test_backorders_yes_sells_short_without_any_meta(sim: WooCommerceSimulator) -> None:
    order = sim.create_order(STORE, [{"sku": "HOOD-M", "quantity": 2}], deliver_webhook=False)
    line = order["line_items"][0]
    assert [m["key"] for m in line["meta_data"]] == ["size"]
    assert line["variation_id"] == sim.product(STORE, "HOOD-M")["id"] and line["name"] == "Hoodie - M"
    snapshot_line = parse_order(order).lines[0]
    assert snapshot_line.backordered_meta is None and snapshot_line.variant_id == str(line["variation_id"])


def test_backorders_no_refuses_an_order_beyond_stock(sim: WooCommerceSimulator) -> None:
    with pytest.raises(SimError, match="Not enough"):
        sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 2}], deliver_webhook=False)
    assert sim.product(STORE, "MUG-1")["stock_quantity"] == 1


def test_a_translated_store_writes_its_own_meta_key() -> None:
    sim = WooCommerceSimulator(seed(backordered_label="Nachbestellt"))
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 2}], deliver_webhook=False)
    assert order["line_items"][0]["meta_data"][-1] == {**order["line_items"][0]["meta_data"][-1],
                                                       "key": "Nachbestellt", "value": 1}
    assert parse_order(order).lines[0].backordered_meta is None
    assert parse_order(order, ("Backordered", "Nachbestellt")).lines[0].backordered_meta == 1


def test_order_created_is_delivered_signed_with_woocommerce_headers(
        sim: WooCommerceSimulator, receiver: tuple[Receiver, ServerHandle]) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 1}], email="ann@example.com")
    sim.wait_for_deliveries(timeout=5)
    (hit,) = receiver[0].received
    headers = hit["headers"]
    assert headers["X-Wc-Webhook-Source"] == STORE + "/"
    names = ("Topic", "Resource", "Event", "Id")
    assert [headers[f"X-Wc-Webhook-{n}"] for n in names] == ["order.created", "order", "created", "7"]
    assert headers["X-Wc-Webhook-Delivery-Id"] and headers["Content-Type"] == "application/json"
    assert is_valid(hit["body"], WEBHOOK_SECRET, headers["X-Wc-Webhook-Signature"])
    assert json.loads(hit["body"])["id"] == order["id"]
    assert sim.deliveries[0].ok


def test_the_webhook_body_is_the_order_state_at_delivery_time(
        sim: WooCommerceSimulator, receiver: tuple[Receiver, ServerHandle]) -> None:
    receiver[0].lock.acquire()  # hold the receiver so the first delivery is in flight
    try:
        first = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 1}])
        second = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 1}])
        sim.cancel_order(STORE, second["id"])
    finally:
        receiver[0].lock.release()
    sim.wait_for_deliveries(timeout=5)
    bodies = [(h["headers"]["X-Wc-Webhook-Topic"], json.loads(h["body"])) for h in receiver[0].received]
    expected = [("order.created", first["id"]), ("order.created", second["id"]),
                ("order.updated", second["id"])]
    assert [(t, b["id"]) for t, b in bodies] == expected
    assert bodies[1][1]["status"] == "cancelled"  # built when sent, not when the order was placed


def test_cancelling_restocks_and_notes_it(sim: WooCommerceSimulator) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    sim.cancel_order(STORE, order["id"], deliver_webhook=False)
    assert sim.product(STORE, "TEA-1")["stock_quantity"] == 1
    notes = [n["note"] for n in sim.order(STORE, order["id"])["notes"]]
    assert any(n.startswith("Stock levels increased") for n in notes)


def test_the_ping_is_a_form_post_without_webhook_headers(
        sim: WooCommerceSimulator, receiver: tuple[Receiver, ServerHandle]) -> None:
    delivery = sim.ping(STORE)
    (hit,) = receiver[0].received
    assert hit["body"] == b"webhook_id=7" and delivery.status_code == 200
    assert not [h for h in hit["headers"] if h.lower().startswith("x-wc-")]


def test_a_failing_endpoint_is_not_retried_and_the_webhook_is_disabled_after_five(
        receiver: tuple[Receiver, ServerHandle]) -> None:
    receiver[0].status = 500
    sim = WooCommerceSimulator(seed(), webhook_url=receiver[1].url)
    sim.set_stock(STORE, "MUG-1", 100)
    for _ in range(8):
        sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 1}])
        sim.wait_for_deliveries(timeout=5)
    assert len(receiver[0].received) == 6
    assert sim.stores[STORE].webhooks[0].status == "disabled"


def api(server: ServerHandle, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (KEY, SECRET))
    return requests.request(method, f"{server.url}{API}{path}", timeout=5, **kwargs)


def test_requests_without_credentials_get_woocommerces_401(server: ServerHandle) -> None:
    response = api(server, "GET", "/orders", auth=None)
    assert response.status_code == 401
    assert response.json() == {"code": "woocommerce_rest_cannot_view",
                               "message": "Sorry, you cannot list resources.", "data": {"status": 401}}
    assert api(server, "GET", "/orders", auth=("ck_nope", SECRET)).json()["code"] == \
        "woocommerce_rest_authentication_error"


def test_per_page_above_100_is_a_400_and_paging_headers_are_sent(server: ServerHandle) -> None:
    assert api(server, "GET", "/products", params={"per_page": 101}).status_code == 400
    response = api(server, "GET", "/products", params={"per_page": 1})
    assert (response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"]) == ("3", "3")
    assert 'rel="next"' in response.headers["Link"] and "page=2" in response.headers["Link"]


def test_put_merges_order_meta_by_key_and_sends_order_updated(
        sim: WooCommerceSimulator, server: ServerHandle, receiver: tuple[Receiver, ServerHandle]) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 1}], deliver_webhook=False)
    api(server, "PUT", f"/orders/{order['id']}", json={"meta_data": [{"key": "_x", "value": "1"}]})
    api(server, "PUT", f"/orders/{order['id']}", json={"meta_data": [{"key": "_x", "value": "2"}]})
    assert [m["value"] for m in sim.order(STORE, order["id"])["meta_data"] if m["key"] == "_x"] == ["2"]
    sim.wait_for_deliveries(timeout=5)
    assert {d.topic for d in sim.deliveries} == {"order.updated"}


def test_creating_a_webhook_over_rest_answers_201_and_pings(
        server: ServerHandle, receiver: tuple[Receiver, ServerHandle]) -> None:
    response = api(server, "POST", "/webhooks", json={
        "name": "Orders", "topic": "order.created", "secret": "s3",
        "delivery_url": f"{receiver[1].url}/webhooks/woocommerce"})
    assert response.status_code == 201 and response.json()["topic"] == "order.created"
    assert receiver[0].received[-1]["body"] == f"webhook_id={response.json()['id']}".encode()


def test_control_endpoints_drive_the_simulator_from_another_process(
        sim: WooCommerceSimulator, server: ServerHandle) -> None:
    base = f"{server.url}/_sandbox"
    assert requests.post(f"{base}/stock", json={"store": STORE, "sku": "MUG-1", "quantity": 4},
                         timeout=5).json()["stock_quantity"] == 4
    lines = [{"sku": "MUG-1", "quantity": 2}]
    payload = {"store": STORE, "lines": lines, "email": "bo@example.com"}
    created = requests.post(f"{base}/orders", json=payload, timeout=5)
    assert created.status_code == 201
    order_id = created.json()["id"]
    cancelled = requests.post(f"{base}/orders/{order_id}/cancel", json={"store": STORE}, timeout=5).json()
    assert cancelled["status"] == "cancelled"
    fetched = requests.get(f"{base}/orders/{order_id}", params={"store": STORE}, timeout=5).json()
    assert fetched["billing"]["email"] == "bo@example.com" and fetched["notes"]
    sim.wait_for_deliveries(timeout=5)
    topics = [d["topic"] for d in requests.get(f"{base}/deliveries", timeout=5).json()]
    assert topics == ["order.created", "order.updated"]
    assert requests.post(f"{base}/ping", json={"store": STORE}, timeout=5).json()["status_code"] == 200
    assert requests.post(f"{base}/orders", json={"store": "https://nope.example", "lines": []},
                         timeout=5).status_code == 404


def refund_schema() -> dict[str, Any]:
    """``shop_order_refund`` of WooCommerce's wc/v3 OpenAPI document (../shared/fixtures/schemas)."""
    from tests.conftest import load_json_fixture

    document = load_json_fixture("schemas/woocommerce_wc-v3_openapi-3.1.0_generated.json")
    return document["components"]["schemas"]["shop_order_refund"]["properties"]


def test_a_refund_over_rest_records_the_units_as_woocommerce_does(
        sim: WooCommerceSimulator, server: ServerHandle, receiver: tuple[Receiver, ServerHandle]) -> None:
    sim.set_stock(STORE, "MUG-1", 5)
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}, {"sku": "MUG-1", "quantity": 1}],
                             deliver_webhook=False)
    tea = order["line_items"][0]
    created = api(server, "POST", f"/orders/{order['id']}/refunds", json={
        "amount": "16.00", "reason": "two tins", "api_restock": False,
        "line_items": [{"id": tea["id"], "quantity": 2, "refund_total": "16.00"}]})
    assert created.status_code == 201
    listed = api(server, "GET", f"/orders/{order['id']}/refunds")
    assert listed.headers["X-WP-Total"] == "1"
    [refund] = listed.json()
    schema = refund_schema()
    assert set(refund) <= set(schema) and refund == created.json()
    [line] = refund["line_items"]
    assert set(line) <= set(schema["line_items"]["items"]["properties"])
    assert (line["quantity"], line["total"], line["sku"]) == (-2, "-16.00", "TEA-1") and line["id"] != tea["id"]
    assert {"key": "_refunded_item_id", "value": str(tea["id"])}.items() <= line["meta_data"][-1].items()
    assert [m["key"] for m in line["meta_data"]] == ["Backordered", "_refunded_item_id"]  # a copy of the line
    after = api(server, "GET", f"/orders/{order['id']}").json()
    assert after["refunds"] == [{"id": refund["id"], "reason": "two tins", "total": "-16.00"}]
    assert [item["quantity"] for item in after["line_items"]] == [3, 1]  # the line keeps its quantity
    assert after["status"] == "processing" and "refunds_full" not in after
    assert sim.product(STORE, "TEA-1")["stock_quantity"] == -2  # api_restock false
    sim.wait_for_deliveries(timeout=5)
    assert [d.topic for d in sim.deliveries] == ["order.updated"]
    assert json.loads(receiver[0].received[-1]["body"])["refunds"] == after["refunds"]


def test_a_restocking_refund_gives_the_units_back_and_a_later_cancel_only_the_rest(
        sim: WooCommerceSimulator) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    line_id = order["line_items"][0]["id"]
    sim.refund_order(STORE, order["id"], {line_id: 2}, deliver_webhook=False)  # restock, as by default
    assert sim.product(STORE, "TEA-1")["stock_quantity"] == 0  # -2 + 2
    sim.cancel_order(STORE, order["id"], deliver_webhook=False)
    assert sim.product(STORE, "TEA-1")["stock_quantity"] == 1  # the one unit still held, not all three
    notes = [n["note"] for n in sim.order(STORE, order["id"])["notes"]]
    assert any(n.startswith(f"Item #{sim.product(STORE, 'TEA-1')['id']} stock increased from -2 to 0") for n in notes)


def test_refunding_every_unit_marks_the_order_refunded_without_restocking_twice(
        sim: WooCommerceSimulator) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 2}], deliver_webhook=False)
    sim.refund_order(STORE, order["id"], {order["line_items"][0]["id"]: 2}, deliver_webhook=False)
    assert sim.order(STORE, order["id"])["status"] == "refunded"
    assert sim.product(STORE, "TEA-1")["stock_quantity"] == 1  # back where it was: -1 + 2
    with pytest.raises(SimError, match="Invalid refund quantity"):
        sim.refund_order(STORE, order["id"], {order["line_items"][0]["id"]: 1}, deliver_webhook=False)


def test_the_refund_control_endpoint_refunds_units_from_another_process(
        sim: WooCommerceSimulator, server: ServerHandle) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    line_id = order["line_items"][0]["id"]
    response = requests.post(f"{server.url}/_sandbox/orders/{order['id']}/refund", timeout=5, json={
        "store": STORE, "lines": {str(line_id): 1}, "restock": False, "deliver_webhook": False})
    assert response.status_code == 201 and response.json()["line_items"][0]["quantity"] == -1
    assert sim.product(STORE, "TEA-1")["stock_quantity"] == -2
