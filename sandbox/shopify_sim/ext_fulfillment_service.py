"""Simulated fulfillment-service mode: ``fulfillmentServiceCreate`` (a service with its own location),
``assignedFulfillmentOrders``, accept/reject of fulfillment and cancellation requests, and the
merchant's side as control functions: ``request_fulfillment`` moves an order's open fulfillment
order to the service's location, marks it SUBMITTED and POSTs the signed ping
``{"kind": "FULFILLMENT_REQUEST"}`` to ``<callbackUrl>/fulfillment_order_notification``;
``request_cancellation`` does the same for a cancellation request."""

from __future__ import annotations

import itertools
import json
from typing import Any

import requests

from sandbox.shopify_sim import ext_fulfillment as fo_ext
from sandbox.shopify_sim.store import Shop, gid
from sandbox.shopify_sim.webhooks import sign_webhook

_ids = itertools.count(71_001)
ASSIGNMENT = {"FULFILLMENT_REQUESTED": ("SUBMITTED",), "CANCELLATION_REQUESTED": ("CANCELLATION_REQUESTED",),
              "FULFILLMENT_ACCEPTED": ("ACCEPTED",), "FULFILLMENT_UNSUBMITTED": ("UNSUBMITTED",)}


def service_of(shop: Shop) -> dict[str, Any] | None:
    return shop.__dict__.get("_fulfillment_service")


def _view(fo: fo_ext.SimFO, shop: Shop) -> dict[str, Any]:
    order = shop.order(fo.order_id)
    skus = {line.id: line.variant.sku for line in order.lines}
    view = fo_ext._fo_view(fo)
    page = view["lineItems"]

    def line_items(info: Any, **args: Any) -> dict[str, Any]:
        result = page(info, **args)
        for node in result["nodes"]:
            node["sku"] = skus.get(fo_ext._number(node["lineItem"]["id"], "LineItem") or 0)
        return result

    return {**view, "orderId": gid("Order", fo.order_id), "lineItems": line_items}


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    def create(info: Any, name: str, callbackUrl: str | None = None, trackingSupport: bool = False,  # noqa: N803
               inventoryManagement: bool = False, requiresShippingMethod: bool = True) -> dict[str, Any]:  # noqa: N803
        with fo_ext._lock:
            existing = service_of(shop)
            if existing is not None and existing["serviceName"] == name:
                return {"fulfillmentService": None, "userErrors": [
                    {"field": ["name"], "message": "Name has already been taken"}]}
            number = next(_ids)
            service = {"id": f"gid://shopify/FulfillmentService/{number}", "serviceName": name,
                       "handle": name.lower().replace(" ", "-"), "callbackUrl": callbackUrl,
                       "trackingSupport": trackingSupport, "inventoryManagement": inventoryManagement,
                       "requiresShippingMethod": requiresShippingMethod, "type": "THIRD_PARTY",
                       "location": {"id": f"gid://shopify/Location/{number}", "name": name}}
            shop.__dict__["_fulfillment_service"] = service
            return {"fulfillmentService": service, "userErrors": []}

    def assigned(info: Any, assignmentStatus: str | None = None, locationIds: list[str] | None = None,  # noqa: N803
                 first: int | None = None, after: str | None = None) -> dict[str, Any]:
        service = service_of(shop)
        wanted = ASSIGNMENT.get(assignmentStatus or "", None)
        with fo_ext._lock:
            fos = [fo for fo in fo_ext._state(shop)["fos"].values()
                   if service is not None and fo.location == service["location"]["id"]
                   and (not locationIds or fo.location in locationIds)
                   and (wanted is None and fo.status != "CLOSED" or wanted and fo.request_status in wanted)]
            nodes = [_view(fo, shop) for fo in sorted(fos, key=lambda f: f.id)][: first or 50]
        return {"nodes": nodes, "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None,
                                             "startCursor": None}}

    def transition(expected: str, request_status: str, status: str | None) -> Any:
        def resolve(info: Any, id: str, message: str | None = None, **extra: Any) -> dict[str, Any]:  # noqa: A002
            with fo_ext._lock:
                number = fo_ext._number(id, "FulfillmentOrder")
                fo = fo_ext._state(shop)["fos"].get(number) if number else None
                if fo is None or fo.request_status != expected:
                    return {"fulfillmentOrder": None, "userErrors": [
                        {"field": ["id"], "message": f"Fulfillment order has no {expected.lower()} request."}]}
                fo.request_status = request_status
                if status is not None:
                    fo.status = status
                fo.__dict__.setdefault("messages", []).append({"requestStatus": request_status, "message": message,
                                                               **extra})
                return {"fulfillmentOrder": _view(fo, shop), "userErrors": []}
        return resolve

    return {"fulfillmentServiceCreate": create, "assignedFulfillmentOrders": assigned,
            "fulfillmentOrderAcceptFulfillmentRequest": transition("SUBMITTED", "ACCEPTED", "IN_PROGRESS"),
            "fulfillmentOrderRejectFulfillmentRequest": transition("SUBMITTED", "REJECTED", "OPEN"),
            "fulfillmentOrderAcceptCancellationRequest": transition("CANCELLATION_REQUESTED",
                                                                    "CANCELLATION_ACCEPTED", "CANCELLED"),
            "fulfillmentOrderRejectCancellationRequest": transition("CANCELLATION_REQUESTED",
                                                                    "CANCELLATION_REJECTED", "IN_PROGRESS")}


def _ping(sim: Any, shop: Shop, kind: str) -> int:
    service = service_of(shop)
    if service is None or not service.get("callbackUrl"):
        return 0
    body = json.dumps({"kind": kind}).encode()
    response = requests.post(service["callbackUrl"].rstrip("/") + "/fulfillment_order_notification", data=body,
                             headers={"Content-Type": "application/json", "X-Shopify-Shop-Domain": shop.domain,
                                      "X-Shopify-Hmac-Sha256": sign_webhook(body, sim.api_secret)}, timeout=5)
    return response.status_code


def request_fulfillment(sim: Any, domain: str, order_id: int) -> tuple[str, int]:
    """The merchant asks the service to fulfil an order: its open FO moves to the service's location."""
    shop = sim.shop(domain)
    service = service_of(shop)
    if service is None:
        raise ValueError(f"{domain} has no fulfillment service")
    with fo_ext._lock:
        fo = next(f for f in fo_ext.fulfillment_orders(shop, order_id) if f.status == "OPEN")
        fo.location, fo.request_status = service["location"]["id"], "SUBMITTED"
    return gid("FulfillmentOrder", fo.id), _ping(sim, shop, "FULFILLMENT_REQUEST")


def request_cancellation(sim: Any, domain: str, fulfillment_order_id: str) -> int:
    shop = sim.shop(domain)
    with fo_ext._lock:
        fo = fo_ext._state(shop)["fos"][fo_ext._number(fulfillment_order_id, "FulfillmentOrder")]
        fo.request_status = "CANCELLATION_REQUESTED"
    return _ping(sim, shop, "CANCELLATION_REQUEST")
