"""Writes that may have landed are never sent twice (issue 11, items 1 and 2).

The WooCommerce simulator APPLIES a write and then answers 504 or keeps the client waiting past its
timeout (``inject_applied_failures``): the connector's refund, order-note and coupon paths read the
resource back and find the first attempt instead of POSTing again. Shopify's simulator sits behind a
loopback proxy that forwards a mutation and then answers 504: the ``@idempotent`` refund is resent
and lands once; a mutation without a key is not resent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, Response, request

from adapters.http import HttpRetry, HttpTransport
from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.orders_admin import ShopifyOrdersAdmin
from adapters.shopify.queries import TAGS_ADD
from adapters.woocommerce import WooCommerceClient, WooCommercePlatform
from adapters.woocommerce.fulfillment import WooCommerceFulfillment
from adapters.woocommerce.orders_admin import WooCommerceOrdersAdmin
from connector.domain.errors import OutcomeUncertain, PlatformThrottled, PlatformUnavailable
from connector.domain.model import BackorderMark
from connector.domain.notify import CancelMoney
from connector.domain.routing import Tracking
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.shopify_sim.ext_payments import money
from sandbox.shopify_sim.graphql_api import build_cached_schema
from sandbox.woocommerce_sim import WooCommerceSimulator

STORE, KEY, SECRET = "https://woo.example", "ck_writes", "cs_writes"
SHOP, TOKEN = "tea.myshopify.com", "shpat_writes"


# Transports get a plain requests.Session: these tests are about retries, not the outbound guard.

# --- WooCommerce -----------------------------------------------------------------------------------

@pytest.fixture
def sim() -> WooCommerceSimulator:
    return WooCommerceSimulator({"stores": [{
        "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "webhook_secret": "w", "webhook_id": 7,
        "products": [
            {"name": "Tea tin", "sku": "TEA", "price": "8.00", "manage_stock": True, "stock_quantity": 0,
             "backorders": "notify"},
            {"name": "Mug", "sku": "MUG", "price": "12.00", "manage_stock": True, "stock_quantity": 5,
             "backorders": "no"}]}]})



@pytest.fixture
def client(server: ServerHandle, sleeps: list[float]) -> WooCommerceClient:
    transport = HttpTransport(timeout=0.5, retry=HttpRetry(max_attempts=3, base_delay=0.01),
                              sleep=sleeps.append, name="woocommerce", session=requests.Session())
    return WooCommerceClient(STORE, KEY, SECRET, api_base=server.url, transport=transport)


def calls(sim: WooCommerceSimulator, call: str) -> int:
    return sum(1 for logged in sim.api_calls if logged == call)


def refunds_of(sim: WooCommerceSimulator, order_id: int) -> list[dict[str, Any]]:
    store = sim.store(STORE)
    with store.lock:
        return list(store.refunds[order_id])


def order_with_tea(sim: WooCommerceSimulator) -> dict[str, Any]:
    return sim.create_order(STORE, [{"sku": "TEA", "quantity": 3}, {"sku": "MUG", "quantity": 1}],
                            deliver_webhook=False)


@pytest.mark.parametrize("fault", [{"status": 504}, {"hang_seconds": 1.0}], ids=["504", "timeout"])
def test_a_refund_woocommerce_applied_but_did_not_answer_is_found_and_not_posted_again(
        sim: WooCommerceSimulator, client: WooCommerceClient, fault: dict[str, Any]) -> None:
    order = order_with_tea(sim)
    tea = str(order["line_items"][0]["id"])
    sim.inject_applied_failures(1, f"POST /orders/{order['id']}/refunds", **fault)

    result = WooCommerceOrdersAdmin(client).cancel_items(str(order["id"]), [(tea, 2)], reason="Backordered",
                                                         idempotency_key="cancel-727")

    [refund] = refunds_of(sim, order["id"])
    assert result.refunded and result.reference == str(refund["id"]) and "[cancel-727]" in refund["reason"]
    assert calls(sim, f"POST /orders/{order['id']}/refunds") == 1
    assert sim.product(STORE, "TEA")["stock_quantity"] == -1  # restocked once: -3 at checkout, 2 back


def test_a_refund_that_did_not_land_is_sent_again_after_the_read_back(sim: WooCommerceSimulator,
                                                                       client: WooCommerceClient) -> None:
    order = order_with_tea(sim)
    tea = str(order["line_items"][0]["id"])
    sim.inject_applied_failures(1, f"POST /orders/{order['id']}/refunds", status=503, applied=False)

    WooCommerceOrdersAdmin(client).cancel_items(str(order["id"]), [(tea, 2)], reason="Backordered",
                                                idempotency_key="cancel-728")

    assert len(refunds_of(sim, order["id"])) == 1
    assert calls(sim, f"POST /orders/{order['id']}/refunds") == 2  # the read-back found nothing: resent once


def test_an_order_note_woocommerce_applied_but_did_not_answer_is_added_once(sim: WooCommerceSimulator,
                                                                          client: WooCommerceClient) -> None:
    order = order_with_tea(sim)
    line = str(order["line_items"][0]["id"])
    sim.inject_applied_failures(1, f"POST /orders/{order['id']}/notes", hang_seconds=1.0)

    WooCommercePlatform(client).mark_backordered(str(order["id"]), [BackorderMark(line, "TEA", 2)])

    notes = [n["note"] for n in sim.order(STORE, order["id"])["notes"]]
    assert notes.count("Backordered: TEA ×2") == 1
    assert calls(sim, f"POST /orders/{order['id']}/notes") == 1


def test_a_tracking_note_woocommerce_applied_but_answered_504_is_added_once(sim: WooCommerceSimulator,
                                                                          client: WooCommerceClient) -> None:
    order = order_with_tea(sim)
    line = str(order["line_items"][0]["id"])
    sim.inject_applied_failures(1, f"POST /orders/{order['id']}/notes", status=504)

    WooCommerceFulfillment(client).fulfill(str(order["id"]), line, 3, Tracking("DHL", "JJD0099", None),
                                           notify_customer=True, order_complete=False, dedupe_key="ship-1")

    shipped = [n for n in sim.order(STORE, order["id"])["notes"] if "JJD0099" in n["note"]]
    assert len(shipped) == 1 and calls(sim, f"POST /orders/{order['id']}/notes") == 1


def test_a_coupon_woocommerce_applied_but_did_not_answer_is_looked_up_by_its_code(
        sim: WooCommerceSimulator, client: WooCommerceClient) -> None:
    sim.inject_applied_failures(1, "POST /coupons", hang_seconds=1.0)

    ident = WooCommerceOrdersAdmin(client).create_discount(
        "SORRY-AAAA1111", kind="percentage", amount=10, customer_email="ada@example.com", title="apology",
        ends_at=None, idempotency_key="c-1", order_id="1")

    coupons = client.get("coupons", {"code": "sorry-aaaa1111"})
    assert [str(c["id"]) for c in coupons] == [ident]
    assert calls(sim, "POST /coupons") == 1


def test_a_write_without_a_key_or_read_back_raises_outcome_uncertain_after_one_attempt(
        sim: WooCommerceSimulator, client: WooCommerceClient, sleeps: list[float]) -> None:
    order = order_with_tea(sim)
    sim.inject_applied_failures(1, f"POST /orders/{order['id']}/notes", status=504)

    with pytest.raises(OutcomeUncertain, match="504"):
        client.post(f"orders/{order['id']}/notes", {"note": "hello"})

    assert calls(sim, f"POST /orders/{order['id']}/notes") == 1 and sleeps == []
    assert [n["note"] for n in sim.order(STORE, order["id"])["notes"]].count("hello") == 1


def test_a_read_is_still_retried_after_5xx(sim: WooCommerceSimulator, client: WooCommerceClient,
                                           sleeps: list[float]) -> None:
    sim.inject_failures(2, status=503)
    assert client.get("orders") == []
    assert len(sleeps) == 2 and calls(sim, "GET /orders") == 3


def test_retry_after_past_the_cap_is_not_slept_on_but_raised_with_the_wait(
        sim: WooCommerceSimulator, client: WooCommerceClient, sleeps: list[float]) -> None:
    sim.inject_failures(1, status=429, retry_after=86400)
    with pytest.raises(PlatformThrottled) as raised:
        client.get("orders")
    assert raised.value.retry_after == 86400 and sleeps == []
    sim.inject_failures(1, status=429, retry_after=30)  # under the 60 s cap: waited out in place
    assert client.get("orders") == [] and sleeps == [30.0]


def test_a_post_that_never_connected_is_retried() -> None:
    probe = serve_in_thread(Flask("closed"))
    url = probe.url
    probe.stop()  # nothing listens there any more: the connection is refused before anything is sent
    sleeps: list[float] = []
    transport = HttpTransport(timeout=1, retry=HttpRetry(max_attempts=3, base_delay=0.01), sleep=sleeps.append,
                              session=requests.Session())
    with pytest.raises(PlatformUnavailable, match="3 attempts"):
        transport.request("POST", url + "/orders", json={})
    assert len(sleeps) == 2


# --- Shopify behind a proxy that applies a mutation and then answers 504 -------------------------------

class FlakyProxy:
    """Forwards every request to ``target``; for the next ``count`` POSTs whose body contains ``marker``
    it forwards (Shopify applies it) and then answers 504 to the client."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.faults: list[str] = []
        self.seen: list[str] = []
        app = Flask("flaky-proxy")

        @app.route("/<path:path>", methods=["GET", "POST"])
        def forward(path: str) -> Response:
            body = request.get_data()
            text = body.decode(errors="replace")
            self.seen.append(text)
            upstream = requests.request(request.method, f"{self.target}/{path}", data=body, timeout=10,
                                        headers={k: v for k, v in request.headers if k.lower() != "host"})
            for marker in list(self.faults):
                if marker in text:
                    self.faults.remove(marker)
                    return Response('{"errors":"gateway timeout"}', status=504, content_type="application/json")
            return Response(upstream.content, status=upstream.status_code,
                            content_type=upstream.headers.get("Content-Type"))

        self.handle = serve_in_thread(app)

    def count(self, marker: str) -> int:
        return sum(1 for text in self.seen if marker in text)


@pytest.fixture(scope="module")
def real_schema(shopify_schema_sdl: str):  # type: ignore[no-untyped-def]
    return build_cached_schema(shopify_schema_sdl)


@pytest.fixture
def shopify(real_schema: Any) -> Iterator[tuple[ShopifySimulator, FlakyProxy, ShopifyGraphQL]]:
    shop_sim = ShopifySimulator({"api_secret": "s", "shops": [{
        "domain": SHOP, "access_token": TOKEN, "tax_rate": "0.10", "products": [
            {"title": "Tea", "variants": [
                {"sku": "TEA", "price": "8.00", "inventory_quantity": 0, "inventory_policy": "CONTINUE"},
                {"sku": "MUG", "price": "12.00", "inventory_quantity": 5, "inventory_policy": "DENY"}]}]}]},
        schema=real_schema, restore_rate=1000.0)
    upstream = serve_in_thread(shop_sim.app)
    proxy = FlakyProxy(upstream.url)
    transport = HttpTransport(timeout=5, retry=HttpRetry(max_attempts=3, base_delay=0.01), sleep=lambda _: None,
                              name=f"shopify:{SHOP}", session=requests.Session())
    yield shop_sim, proxy, ShopifyGraphQL(SHOP, TOKEN, api_base=proxy.handle.url, transport=transport)
    proxy.handle.stop()
    upstream.stop()


def test_a_shopify_refund_with_an_idempotency_key_is_resent_after_a_504_and_lands_once(shopify) -> None:  # type: ignore[no-untyped-def]
    shop_sim, proxy, client = shopify
    order = shop_sim.create_order(SHOP, [{"sku": "TEA", "quantity": 3}, {"sku": "MUG", "quantity": 1}],
                                  deliver_webhook=False)
    tea = str(order["line_items"][0]["id"])
    proxy.faults.append("refundCreate")

    result = ShopifyOrdersAdmin(client).cancel_items(str(order["id"]), [(tea, 2)], reason="delay",
                                                     idempotency_key="k-504")

    assert result.money == CancelMoney.REFUNDED
    assert proxy.count("refundCreate") == 2  # resent: Shopify applies a keyed mutation once
    assert len(money(shop_sim, SHOP, order["id"])["refunds"]) == 1
    assert [t["kind"] for t in money(shop_sim, SHOP, order["id"])["transactions"]].count("REFUND") == 1


def test_a_shopify_mutation_without_a_key_is_not_resent(shopify) -> None:  # type: ignore[no-untyped-def]
    shop_sim, proxy, client = shopify
    order = shop_sim.create_order(SHOP, [{"sku": "TEA", "quantity": 1}], deliver_webhook=False)
    proxy.faults.append("tagsAdd")

    with pytest.raises(OutcomeUncertain):
        client.execute(TAGS_ADD, {"id": f"gid://shopify/Order/{order['id']}", "tags": ["backorder"]})

    assert proxy.count("tagsAdd") == 1
