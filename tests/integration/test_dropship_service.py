"""Shopify fulfillment-service mode against the sandbox on SQLite and PostgreSQL: the service is
registered, Shopify's signed ping reaches POST /shopify/fulfillment_order_notification, and the
queued job accepts or rejects fulfillment requests and cancellation requests."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from connector.dropship.models import FulfillmentServiceNotification
from connector.shop_settings import get_setting
from jobs.dropship import route_dropship
from jobs.dropship_service import enable
from sandbox.shopify_sim import ext_fulfillment as fo_ext
from sandbox.shopify_sim.ext_fulfillment_service import (
    request_cancellation,
    request_fulfillment,
    service_of,
)
from sandbox.shopify_sim.webhooks import sign_webhook
from sandbox.stack import start_stack
from tests.support.dropship_support import MERCHANT, add_dropship_supplier, dropship_orders, restock_in, shop, terms
from tests.support.dropship_support import enable as enable_dropship


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


def service_shop(stack):  # type: ignore[no-untyped-def]
    sim = stack.sandbox
    info = shop(stack, "shopify")
    sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
    supplier_id = add_dropship_supplier(stack, info.id)
    terms(stack, supplier_id, "SOCKS-M", "1.00")
    enable_dropship(stack, info.id)
    location = enable(info.id)
    return info, location


def fo_of(stack, info, fo_gid: str):  # type: ignore[no-untyped-def]
    return fo_ext._state(stack.sandbox.shopify.shop(info.domain))["fos"][fo_ext._number(fo_gid, "FulfillmentOrder")]


def notifications(stack, shop_id: int) -> list[FulfillmentServiceNotification]:  # type: ignore[no-untyped-def]
    with stack.container.uow() as uow:
        rows = list(uow.session.scalars(select(FulfillmentServiceNotification).where(
            FulfillmentServiceNotification.shop_id == shop_id)))
        uow.session.expunge_all()
        return rows


def test_enabling_registers_the_service_once_with_the_connectors_callback(stack):
    info, location = service_shop(stack)
    service = service_of(stack.sandbox.shopify.shop(info.domain))
    assert service["callbackUrl"] == stack.url + "/shopify" and service["location"]["id"] == location
    assert get_setting(stack.container.uow(), info.id, "dropship.fulfillment_service_location_id") == location
    assert get_setting(stack.container.uow(), info.id, "dropship.fulfillment_service") is True
    assert enable(info.id) == location  # again: the same service, not a second one


def test_a_fulfillment_request_the_supplier_can_ship_is_accepted(stack):
    info, location = service_shop(stack)
    order = stack.sandbox.shopify.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    stack.wait_for_capture()
    fo_gid, status = request_fulfillment(stack.sandbox.shopify, info.domain, int(order["id"]))
    assert status == 200
    stack.container.queue.wait_idle(15)
    fo = fo_of(stack, info, fo_gid)
    assert (fo.request_status, fo.status, fo.location) == ("ACCEPTED", "IN_PROGRESS", location)
    assert "sandbox-supplier" in fo.messages[-1]["message"]
    [ping] = notifications(stack, info.id)
    assert ping.kind == "FULFILLMENT_REQUEST" and ping.processed_at is not None


def test_a_request_no_supplier_can_drop_ship_is_rejected_and_the_merchant_is_told(stack):
    info, _ = service_shop(stack)
    order = stack.sandbox.shopify.create_order(info.domain, [{"sku": "LANTERN", "quantity": 1}])
    stack.wait_for_capture()
    fo_gid, _ = request_fulfillment(stack.sandbox.shopify, info.domain, int(order["id"]))
    stack.container.queue.wait_idle(15)
    fo = fo_of(stack, info, fo_gid)
    assert fo.request_status == "REJECTED" and fo.messages[-1]["reason"] == "INVENTORY_OUT_OF_STOCK"
    assert "LANTERN" in fo.messages[-1]["message"]
    [mail] = stack.sandbox.smtp.to(MERCHANT)
    assert "fulfillment request was rejected" in mail.subject and "LANTERN" in mail.part("plain")


def test_a_cancellation_is_accepted_before_the_supplier_has_the_order_and_rejected_after(stack):
    info, _ = service_shop(stack)
    sim = stack.sandbox.shopify
    first = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 1}])
    stack.wait_for_capture()
    early, _ = request_fulfillment(sim, info.domain, int(first["id"]))
    stack.container.queue.wait_idle(15)
    assert request_cancellation(sim, info.domain, early) == 200
    stack.container.queue.wait_idle(15)
    assert fo_of(stack, info, early).request_status == "CANCELLATION_ACCEPTED"

    second = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    stack.wait_for_capture()
    restock_in(stack, info.id)
    late, _ = request_fulfillment(sim, info.domain, int(second["id"]))
    stack.container.queue.wait_idle(15)
    assert route_dropship(info.id) >= 1
    stack.container.queue.wait_idle(15)
    assert any(r.status == "placed" for r in dropship_orders(stack, info.id))
    request_cancellation(sim, info.domain, late)
    stack.container.queue.wait_idle(15)
    fo = fo_of(stack, info, late)
    assert fo.request_status == "CANCELLATION_REJECTED" and "supplier" in fo.messages[-1]["message"]


def test_a_notification_with_a_bad_signature_is_refused_and_not_stored(stack):
    info, _ = service_shop(stack)
    body = json.dumps({"kind": "FULFILLMENT_REQUEST"}).encode()
    url = stack.url + "/shopify/fulfillment_order_notification"
    headers = {"Content-Type": "application/json", "X-Shopify-Shop-Domain": info.domain}
    bad = requests.post(url, data=body, headers={**headers, "X-Shopify-Hmac-Sha256": sign_webhook(body, "wrong")},
                        timeout=5)
    assert bad.status_code == 401 and notifications(stack, info.id) == []
    good = requests.post(url, data=body, headers={**headers, "X-Shopify-Hmac-Sha256": sign_webhook(
        body, stack.sandbox.shopify.api_secret)}, timeout=5)
    assert good.status_code == 200 and len(notifications(stack, info.id)) == 1
