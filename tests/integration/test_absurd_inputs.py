"""Signed but absurd input: refused with 400 at the door when the JSON itself is absurd (nested
thousands deep, numbers past any store's range), parked at once by the worker when a value cannot be
a real order (a quantity or id that overflows storage). Never a 500, never retried as transient,
never half stored. Every endpoint that takes signed JSON, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from connector.db.inbox import insert_event
from connector.db.models import Order, WebhookEvent
from connector.dropship.models import FulfillmentServiceNotification
from connector.events import process_event
from tests.conftest import load_json_fixture
from tests.support.webapp import SHOP, SHOPIFY_SECRET, make_webapp, sign

DEEP = b'{"id": 1, "a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
"""Far past Python's recursion limit: json.loads raised RecursionError, a 500 before."""
NESTED_100 = b'{"id": 1, "a": ' + b"[" * 100 + b"]" * 100 + b"}"
"""Under the recursion limit but deeper than any store payload."""


@pytest.fixture
def web(database_url):  # type: ignore[no-untyped-def]
    app = make_webapp(database_url)
    yield app
    app.container.close()


@pytest.fixture
def door(tmp_path):  # type: ignore[no-untyped-def]
    """The endpoints refuse before storing anything, so one database engine is enough for them."""
    app = make_webapp(f"sqlite:///{tmp_path}/door.db")
    yield app
    app.container.close()


def shopify_order() -> dict[str, Any]:
    return load_json_fixture("shopify/rest/python_api__order.json")["order"]


def post_fulfillment_notification(web, body: bytes):  # type: ignore[no-untyped-def]
    return web.client.post("/shopify/fulfillment_order_notification", data=body, headers={
        "X-Shopify-Hmac-Sha256": sign(body, SHOPIFY_SECRET), "X-Shopify-Shop-Domain": SHOP,
        "Content-Type": "application/json"})


def nothing_stored(web) -> bool:  # type: ignore[no-untyped-def]
    with web.container.uow() as uow:
        notifications = uow.session.scalar(select(func.count()).select_from(FulfillmentServiceNotification))
    return web.events() == [] and notifications == 0 and web.queue.jobs == []


ENDPOINTS = {
    "shopify-orders": lambda web, body: web.post_shopify(body),
    "shopify-compliance": lambda web, body: web.post_shopify(body, topic="customers/redact"),
    "woocommerce": lambda web, body: web.post_woo(body),
    "fulfillment-service": post_fulfillment_notification,
}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize(("body", "reason"), [
    (DEEP, "nested deeper than 64 levels"),
    (NESTED_100, "nested deeper than 64 levels"),
    (b'{"id": 1, "quantity": 1000000000000000000000000000000}', "integer 1000000000000000000000"),
    (b'{"id": 1, "total": 1e400}', "number 1e400 is out of range"),
    (b'{"id": 1, "total": NaN}', "NaN is not a JSON number"),
], ids=["nested-5000", "nested-100", "int-10e30", "float-1e400", "nan"])
def test_signed_absurd_json_is_400_with_a_clear_reason_and_nothing_is_stored(door, endpoint, body, reason):
    web = door
    response = ENDPOINTS[endpoint](web, body)
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.json["error"].startswith("absurd JSON: ") and reason in response.json["error"]
    assert nothing_stored(web)


def test_a_real_order_nested_as_deep_as_stores_send_is_still_accepted(door):
    web = door
    order = shopify_order()
    order["note_attributes"] = [{"name": "deep", "value": json.loads("[" * 40 + "]" * 40)}]
    assert web.post_shopify(order).status_code == 200


# --- the worker: values that cannot be a real order are parked at once ------------------------------

def run(web, event_id: int):  # type: ignore[no-untyped-def]
    return process_event(web.container.uow(), web.container.platform_for, event_id, max_attempts=8)


def event(web, event_id: int) -> WebhookEvent:  # type: ignore[no-untyped-def]
    [row] = [e for e in web.events() if e.id == event_id]
    return row


def with_real_parser(web) -> None:  # type: ignore[no-untyped-def]
    web.platform.parse_order = ShopifyPlatform(ShopifyGraphQL(SHOP, "shpat_unused")).parse_order


def assert_parked(web, event_id: int, reason: str) -> None:  # type: ignore[no-untyped-def]
    outcome = run(web, event_id)
    assert outcome.status == "failed" and outcome.retry_in is None
    row = event(web, event_id)
    assert row.status == "failed" and row.attempts == 1 and reason in (row.last_error or "")
    assert run(web, event_id).status == "skipped"  # parked: never picked up again
    with web.container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Order)) == 0  # nothing half written


def test_a_signed_quantity_past_what_storage_holds_is_parked_at_once_with_its_reason(web):
    with_real_parser(web)
    order = shopify_order()
    order["line_items"][0]["quantity"] = order["line_items"][0]["current_quantity"] = 2**40  # fits JSON, not a line
    response = web.post_shopify(order)
    assert response.status_code == 200
    assert_parked(web, response.json["event_id"], "quantity 1099511627776 is out of range")


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda o: o["line_items"][0].update(quantity=10**30, current_quantity=10**30), "quantity"),
    (lambda o: o.update(id=10**30), "order id 1000000000000000000000000000000 is out of range"),
    (lambda o: o["line_items"][0].update(variant_id=10**30), "variant id"),
], ids=["quantity", "order-id", "variant-id"])
def test_an_overflowing_order_already_in_the_inbox_is_parked_not_retried(web, mutate, reason):
    """Stored before the door refused such numbers (or by an older version): the worker parks it."""
    with_real_parser(web)
    order = shopify_order()
    mutate(order)
    stored = insert_event(web.container.engine, web.shop_id, "orders/create", "old-1", {}, json.dumps(order).encode())
    assert_parked(web, stored.event_id, reason)


def test_json_nested_thousands_deep_already_in_the_inbox_is_parked_not_retried(web):
    stored = insert_event(web.container.engine, web.shop_id, "orders/create", "old-deep", {}, DEEP)
    assert_parked(web, stored.event_id, "JSON nested too deep")


def test_a_value_the_database_refuses_is_parked_not_retried(web, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite does not enforce column lengths; PostgreSQL refuses the value (DataError)")
    with_real_parser(web)
    order = shopify_order()
    order["line_items"][0]["sku"] = "S" * 300  # sku is varchar(255)
    response = web.post_shopify(order)
    assert_parked(web, response.json["event_id"], "a value the database cannot store")
