"""The webhook endpoints: every verification failure, duplicates, and bad input, one test each."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import load_json_fixture
from tests.support.webapp import SHOPIFY_SECRET, STORE, WOO_SECRET, make_webapp, sign

ORDER = {"id": 450789469, "name": "#1001", "created_at": "2026-11-27T10:00:00-05:00",
         "updated_at": "2026-11-27T10:00:00-05:00", "line_items": []}
WOO_ORDER = {"id": 727, "number": "727", "date_modified_gmt": "2026-11-27T10:00:00", "line_items": []}


@pytest.fixture
def web(tmp_path):
    app = make_webapp(f"sqlite:///{tmp_path}/web.db")
    yield app
    app.container.close()


def rejected_with(caplog, reason: str) -> bool:
    return any(r.getMessage() == "webhook rejected" and reason in getattr(r, "reason", "") for r in caplog.records)


# --- Shopify -------------------------------------------------------------------------------------

def test_a_signed_shopify_order_is_stored_and_queued(web):
    response = web.post_shopify(ORDER)
    assert response.status_code == 200
    assert response.json["status"] == "stored"
    [event] = web.events()
    assert event.topic == "orders/create" and json.loads(event.body) == ORDER
    assert "X-Shopify-Hmac-Sha256" not in json.loads(event.headers)
    assert web.queue.jobs == [("jobs.events.process_event", (event.id,), 0.0)]


def test_a_redelivered_shopify_event_is_a_200_no_op(web):
    assert web.post_shopify(ORDER, event_id="e-9", webhook_id="w-1").status_code == 200
    again = web.post_shopify(ORDER, event_id="e-9", webhook_id="w-2")
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert len(web.events()) == 1 and len(web.queue.jobs) == 1


def test_without_an_event_id_the_webhook_id_is_the_key(web):
    web.post_shopify(ORDER, event_id=None, webhook_id="w-7")
    assert web.post_shopify(ORDER, event_id=None, webhook_id="w-7").json["status"] == "duplicate"
    assert web.post_shopify(ORDER, event_id=None, webhook_id="w-8").json["status"] == "stored"


def test_the_same_event_id_on_another_topic_is_another_event(web):
    web.post_shopify(ORDER, topic="orders/create", event_id="e-1")
    assert web.post_shopify(ORDER, topic="orders/updated", event_id="e-1").json["status"] == "stored"


def test_a_missing_shopify_signature_is_401(web, caplog):
    caplog.set_level(logging.WARNING)
    assert web.post_shopify(ORDER, drop=("X-Shopify-Hmac-Sha256",)).status_code == 401
    assert rejected_with(caplog, "missing X-Shopify-Hmac-Sha256")
    assert web.events() == []


def test_a_wrong_shopify_signature_is_401(web, caplog):
    caplog.set_level(logging.WARNING)
    assert web.post_shopify(ORDER, secret="not-the-secret").status_code == 401
    assert rejected_with(caplog, "does not match")
    assert web.events() == []


def test_a_signature_over_a_different_body_is_401(web):
    signature = sign(json.dumps(ORDER).encode(), SHOPIFY_SECRET)
    assert web.post_shopify({**ORDER, "id": 1}, signature=signature).status_code == 401


def test_a_missing_topic_header_is_400(web, caplog):
    caplog.set_level(logging.WARNING)
    assert web.post_shopify(ORDER, drop=("X-Shopify-Topic",)).status_code == 400
    assert rejected_with(caplog, "X-Shopify-Topic")


def test_a_missing_shop_domain_header_is_400(web):
    assert web.post_shopify(ORDER, drop=("X-Shopify-Shop-Domain",)).status_code == 400


def test_no_event_or_webhook_id_is_400(web):
    assert web.post_shopify(ORDER, event_id=None, drop=("X-Shopify-Webhook-Id",)).status_code == 400


def test_malformed_json_is_400_even_when_signed(web, caplog):
    caplog.set_level(logging.WARNING)
    response = web.post_shopify(b'{"id": 1,')
    assert response.status_code == 400 and "malformed JSON" in response.json["error"]
    assert rejected_with(caplog, "malformed JSON")
    assert web.events() == []


def test_a_json_array_is_400(web):
    assert web.post_shopify(b"[1, 2]").status_code == 400


def test_an_unknown_shop_is_401(web, caplog):
    caplog.set_level(logging.WARNING)
    assert web.post_shopify(ORDER, shop="stranger.myshopify.com").status_code == 401
    assert rejected_with(caplog, "unknown shop")


def test_a_body_over_one_mebibyte_is_413(web):
    big = {**ORDER, "note": "x" * (1024 * 1024)}
    response = web.post_shopify(big)
    assert response.status_code == 413 and web.events() == []


def test_an_oversized_chunked_body_is_413_too(web):
    body = json.dumps({**ORDER, "note": "x" * (1024 * 1024)}).encode()
    headers = {"X-Shopify-Hmac-Sha256": sign(body, SHOPIFY_SECRET), "X-Shopify-Topic": "orders/create",
               "X-Shopify-Shop-Domain": "signed-shop.myshopify.com", "X-Shopify-Event-Id": "big"}

    def chunks():
        for start in range(0, len(body), 65536):
            yield body[start:start + 65536]

    import requests

    from sandbox.serve import serve_in_thread

    server = serve_in_thread(web.app)
    try:  # over real HTTP: no Content-Length, Transfer-Encoding: chunked
        response = requests.post(f"{server.url}/webhooks/shopify", data=chunks(), headers=headers, timeout=10)
    finally:
        server.stop()
    assert response.status_code == 413 and web.events() == []


def test_the_newer_unprefixed_shopify_headers_are_accepted(web):
    raw = json.dumps(ORDER).encode()
    response = web.client.post("/webhooks/shopify", data=raw, headers={
        "shopify-topic": "orders/create", "shopify-hmac-sha256": sign(raw, SHOPIFY_SECRET),
        "shopify-shop-domain": "signed-shop.myshopify.com", "shopify-webhook-id": "b1234",
    })
    assert response.status_code == 200


def test_a_rotated_secret_still_verifies_during_rotation(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/rot.db", shopify_api_secret=f"new-secret,{SHOPIFY_SECRET}")
    try:
        assert web.post_shopify(ORDER, secret=SHOPIFY_SECRET).status_code == 200
        assert web.post_shopify(ORDER, secret="new-secret", event_id="e-2").status_code == 200
        assert web.post_shopify(ORDER, secret="old-and-gone", event_id="e-3").status_code == 401
    finally:
        web.container.close()


def test_the_database_being_down_is_503_so_the_platform_retries(web, caplog):
    from connector.db.engine import make_engine

    caplog.set_level(logging.WARNING)
    web.container.engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    response = web.post_shopify(ORDER)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert rejected_with(caplog, "storage unavailable")


def test_an_unexpected_route_or_method_answers_json_not_a_traceback(web):
    response = web.client.get("/webhooks/shopify")
    assert response.status_code == 405 and "error" in response.json


# --- WooCommerce ---------------------------------------------------------------------------------

def test_a_signed_woocommerce_order_is_stored_and_queued(web):
    response = web.post_woo(WOO_ORDER)
    assert response.status_code == 200 and response.json["status"] == "stored"
    [event] = web.events()
    assert event.shop_id == web.store_id and event.dedupe_key.startswith("7:727:2026-11-27T10:00:00:")


def test_the_same_order_state_delivered_twice_is_stored_once(web):
    web.post_woo(WOO_ORDER)
    assert web.post_woo(WOO_ORDER).json["status"] == "duplicate"
    changed = {**WOO_ORDER, "date_modified_gmt": "2026-11-27T10:05:00"}
    assert web.post_woo(changed).json["status"] == "stored"
    assert len(web.events()) == 2


def test_two_states_in_the_same_second_are_two_events(web):
    web.post_woo(WOO_ORDER)
    cancelled = {**WOO_ORDER, "status": "cancelled"}  # same date_modified_gmt, different state
    assert web.post_woo(cancelled).json["status"] == "stored"
    assert web.post_woo(cancelled).json["status"] == "duplicate"


def test_the_woocommerce_ping_gets_200_and_stores_nothing(web):
    response = web.client.post("/webhooks/woocommerce", data="webhook_id=7",
                               content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and web.events() == []


def test_a_missing_woocommerce_signature_is_401(web):
    assert web.post_woo(WOO_ORDER, drop=("X-WC-Webhook-Signature",)).status_code == 401


def test_a_wrong_woocommerce_signature_is_401(web, caplog):
    caplog.set_level(logging.WARNING)
    assert web.post_woo(WOO_ORDER, secret="wrong").status_code == 401
    assert rejected_with(caplog, "X-WC-Webhook-Signature does not match")


def test_another_shops_secret_does_not_verify(web):
    assert web.post_woo(WOO_ORDER, secret=SHOPIFY_SECRET).status_code == 401


def test_an_unknown_woocommerce_store_is_401(web):
    assert web.post_woo(WOO_ORDER, source="https://elsewhere.example/").status_code == 401


def test_a_missing_source_header_is_400(web):
    assert web.post_woo(WOO_ORDER, drop=("X-WC-Webhook-Source",)).status_code == 400


def test_a_missing_woocommerce_topic_is_400(web):
    assert web.post_woo(WOO_ORDER, drop=("X-WC-Webhook-Topic",)).status_code == 400


def test_malformed_woocommerce_json_is_400(web):
    assert web.post_woo(b"{not json").status_code == 400


def test_an_oversized_woocommerce_body_is_413(web):
    assert web.post_woo({**WOO_ORDER, "customer_note": "x" * (1024 * 1024)}).status_code == 413


def test_woocommerces_documented_delivery_verifies_with_its_secret(tmp_path):
    """The REST docs' delivery example, signed by WooCommerce with 'my-super-secret-private-key'."""
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop

    vector = load_json_fixture("hmac/woocommerce_webhook_signature_vector.json")
    web = make_webapp(f"sqlite:///{tmp_path}/vec.db")
    try:
        add_shop(web.container.uow(), web.container.box, Platform.WOOCOMMERCE, "https://docs-store.example",
                 ShopCredentials(consumer_key="k", consumer_secret="s", webhook_secret=vector["secret"]))
        headers = {k: str(v) for k, v in vector["request_headers"].items()}
        headers["X-WC-Webhook-Source"] = "https://docs-store.example/"  # sent by every WooCommerce since 2.x
        body = vector["request_body"].encode()
        assert web.client.post("/webhooks/woocommerce", data=body, headers=headers).status_code == 200
        negative = vector["derived_negative_controls_computed_locally_not_from_source"][0]
        headers["X-WC-Webhook-Signature"] = negative["signature_for_that_secret"]
        assert web.client.post("/webhooks/woocommerce", data=body, headers=headers).status_code == 401
    finally:
        web.container.close()


def test_woo_secret_is_not_the_shopify_secret():
    assert WOO_SECRET != SHOPIFY_SECRET and STORE.startswith("https://")
