"""Simulated fulfillment orders: one per order at the shop's primary location (created lazily, as
Shopify creates them on its own), holds that split off the held quantity, moves, and fulfillments
with tracking. ``order(id:)`` gains shippingAddress, phone, line prices and unfulfilled quantities,
fulfillmentOrders and fulfillments."""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.shopify_sim.store import Shop, gid, graphql_time

PRIMARY_LOCATION = "gid://shopify/Location/70001"
_ids = itertools.count(900_001)
_lock = threading.RLock()


@dataclass
class SimFO:
    id: int
    order_id: int
    location: str
    items: dict[int, list[int]]
    """FO line item id -> [order line id, total, remaining]."""
    status: str = "OPEN"
    request_status: str = "UNSUBMITTED"
    holds: list[dict[str, Any]] = field(default_factory=list)


def _state(shop: Shop) -> dict[str, Any]:
    state = shop.__dict__.setdefault("_fulfillment", {"fos": {}, "fulfillments": {}, "lines": {}})
    return state


def fulfillment_orders(shop: Shop, order_id: int) -> list[SimFO]:
    with _lock:
        state = _state(shop)
        fos = [fo for fo in state["fos"].values() if fo.order_id == order_id]
        if not fos:
            order = shop.order(order_id)
            fo = SimFO(next(_ids), order_id, PRIMARY_LOCATION,
                       {next(_ids): [line.id, line.quantity - line.removed, line.quantity - line.removed]
                        for line in order.lines})
            state["fos"][fo.id] = fo
            fos = [fo]
        return fos


def fulfillments(shop: Shop, order_id: int) -> list[dict[str, Any]]:
    return list(_state(shop)["fulfillments"].get(order_id, []))


def _fo_view(fo: SimFO, shop: Shop | None = None) -> dict[str, Any]:
    order = shop.orders.get(fo.order_id) if shop is not None else None
    promised = graphql_time(order.max_delivery_at) if order is not None else None
    return {"id": gid("FulfillmentOrder", fo.id), "status": fo.status, "requestStatus": fo.request_status,
            "deliveryMethod": {"id": f"gid://shopify/DeliveryMethod/{fo.id}", "maxDeliveryDateTime": promised,
                               "minDeliveryDateTime": None},
            "assignedLocation": {"name": "Primary", "location": {"id": fo.location, "name": "Primary"}},
            "fulfillmentHolds": [{"id": h["id"], "reason": h["reason"], "reasonNotes": h.get("reasonNotes"),
                                  "handle": h.get("handle")}
                                 for h in fo.holds],
            "lineItems": lambda info, **a: {"pageInfo": {"hasNextPage": False, "hasPreviousPage": False}, "nodes": [
                {"id": gid("FulfillmentOrderLineItem", item_id), "totalQuantity": total,
                 "remainingQuantity": remaining, "lineItem": {"id": gid("LineItem", line_id)}}
                for item_id, (line_id, total, remaining) in fo.items.items()]}}


def _number(value: str, kind: str) -> int | None:
    match = re.fullmatch(rf"gid://shopify/{kind}/(\d+)", value or "")
    return int(match.group(1)) if match else None


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    def order(info: Any, id: str) -> dict[str, Any] | None:  # noqa: A002
        base = api._node(shop, id, "Order")
        if base is None:
            return None
        number = int(base["legacyResourceId"])
        sim_order = shop.order(number)
        fos = fulfillment_orders(shop, number)
        unfulfilled: dict[int, int] = {}
        for fo in fos:
            for line_id, _, remaining in fo.items.values():
                unfulfilled[line_id] = unfulfilled.get(line_id, 0) + (0 if fo.status == "CANCELLED" else remaining)
        lines = {line.id: line for line in sim_order.lines}

        def line_items(info: Any, **args: Any) -> dict[str, Any]:
            page = base["lineItems"](info, **args)
            for node in page.get("nodes", []):
                line = lines[_number(node["id"], "LineItem") or 0]
                money = {"amount": line.variant.price, "currencyCode": "USD"}
                node["discountedUnitPriceSet"] = {"shopMoney": money, "presentmentMoney": money}
                node["unfulfilledQuantity"] = unfulfilled.get(line.id, 0)
            return page

        return {**base, "phone": None, "lineItems": line_items,
                "shippingAddress": {"id": "gid://shopify/MailingAddress/1", "name": "Bob Norman",
                                    "firstName": "Bob", "lastName": "Norman", "company": None,
                                    "address1": "Chestnut Street 92", "address2": None, "city": "Louisville",
                                    "province": "Kentucky", "zip": "40202", "countryCodeV2": "US",
                                    "phone": "+1(502)-459-2181"},
                "fulfillmentOrders": lambda info, **a: {"pageInfo": {"hasNextPage": False, "hasPreviousPage": False},
                                                        "nodes": [_fo_view(fo, shop) for fo in fos]},
                "fulfillments": lambda info, **a: fulfillments(shop, number)}

    def find(fo_gid: str) -> SimFO | None:
        number = _number(fo_gid, "FulfillmentOrder")
        return _state(shop)["fos"].get(number) if number else None

    def hold(info: Any, id: str, fulfillmentHold: dict[str, Any]) -> dict[str, Any]:  # noqa: A002, N803
        with _lock:
            fo = find(id)
            if fo is None or fo.status not in ("OPEN", "ON_HOLD"):
                return {"userErrors": [{"field": ["id"], "message": "Fulfillment order not found or not open."}]}
            if any(h.get("handle") == fulfillmentHold.get("handle") for h in fo.holds):
                return {"userErrors": [{"field": ["fulfillmentHold", "handle"], "message": "Duplicate hold handle."}]}
            remaining = None
            wanted = {(_number(i["id"], "FulfillmentOrderLineItem") or 0): i["quantity"]
                      for i in fulfillmentHold.get("fulfillmentOrderLineItems") or []}
            if wanted:  # split: the held quantity stays on this FO, the rest moves to a new one
                if fo.holds:
                    return {"userErrors": [{"field": ["fulfillmentHold"], "message": "Not splittable."}]}
                rest = {}
                for item_id, (line_id, _total, left) in list(fo.items.items()):
                    keep = min(wanted.get(item_id, 0), left)
                    if left - keep:
                        rest[next(_ids)] = [line_id, left - keep, left - keep]
                    if keep:
                        fo.items[item_id] = [line_id, keep, keep]
                    else:
                        del fo.items[item_id]
                if rest:
                    remaining = SimFO(next(_ids), fo.order_id, fo.location, rest)
                    _state(shop)["fos"][remaining.id] = remaining
            held = {"id": gid("FulfillmentHold", next(_ids)), "reason": fulfillmentHold["reason"],
                    "reasonNotes": fulfillmentHold.get("reasonNotes"), "handle": fulfillmentHold.get("handle")}
            fo.holds.append(held)
            fo.status = "ON_HOLD"
            return {"fulfillmentHold": held, "fulfillmentOrder": _fo_view(fo),
                    "remainingFulfillmentOrder": _fo_view(remaining) if remaining else None, "userErrors": []}

    def release(info: Any, id: str, holdIds: list[str] | None = None,  # noqa: A002, N803
                externalId: str | None = None) -> dict[str, Any]:  # noqa: N803
        with _lock:
            fo = find(id)
            if fo is None:
                return {"fulfillmentOrder": None, "userErrors": [{"field": ["id"], "message": "Not found."}]}
            fo.holds = [h for h in fo.holds if holdIds is not None and h["id"] not in holdIds]
            if not fo.holds and fo.status == "ON_HOLD":
                fo.status = "OPEN"
            return {"fulfillmentOrder": _fo_view(fo), "userErrors": []}

    def move(info: Any, id: str, newLocationId: str,  # noqa: A002, N803
             fulfillmentOrderLineItems: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # noqa: N803
        with _lock:
            fo = find(id)
            if fo is None or fo.status != "OPEN" or fo.request_status in ("SUBMITTED", "ACCEPTED"):
                return {"userErrors": [{"field": ["id"], "message": "Fulfillment order cannot be moved."}]}
            fo.location = newLocationId
            return {"movedFulfillmentOrder": _fo_view(fo), "originalFulfillmentOrder": _fo_view(fo),
                    "remainingFulfillmentOrder": None, "userErrors": []}

    def create(info: Any, fulfillment: dict[str, Any], message: str | None = None) -> dict[str, Any]:
        with _lock:
            total = 0
            plan = []
            for group in fulfillment["lineItemsByFulfillmentOrder"]:
                fo = find(group["fulfillmentOrderId"])
                if fo is None or fo.status not in ("OPEN", "IN_PROGRESS"):  # IN_PROGRESS: request accepted
                    status = fo.status if fo else "missing"
                    return {"fulfillment": None, "userErrors": [{"field": ["fulfillment"],
                            "message": f"Fulfillment order is not open ({status})."}]}
                for item in group.get("fulfillmentOrderLineItems") or []:
                    item_id = _number(item["id"], "FulfillmentOrderLineItem") or 0
                    if item_id not in fo.items or fo.items[item_id][2] < item["quantity"]:
                        return {"fulfillment": None, "userErrors": [{"field": ["fulfillment"],
                                "message": "Invalid fulfillment order line item quantity requested."}]}
                    plan.append((fo, item_id, item["quantity"]))
            for fo, item_id, quantity in plan:
                fo.items[item_id][2] -= quantity
                total += quantity
                if all(left == 0 for _, _, left in fo.items.values()):
                    fo.status = "CLOSED"
            tracking = fulfillment.get("trackingInfo") or {}
            record = {"id": gid("Fulfillment", next(_ids)), "status": "SUCCESS", "totalQuantity": total,
                      "trackingInfo": [{"company": tracking.get("company"), "number": tracking.get("number"),
                                        "url": tracking.get("url")}],
                      "notifyCustomer": bool(fulfillment.get("notifyCustomer"))}
            _state(shop)["fulfillments"].setdefault(plan[0][0].order_id, []).append(record)
            return {"fulfillment": record, "userErrors": []}

    def nodes(info: Any, ids: list[str]) -> list[dict[str, Any] | None]:
        """``nodes`` answers an Order as ``order`` does (with its fulfillment orders), other types as before."""
        return [order(info, node_id) if _number(node_id, "Order") else api._node(shop, node_id) for node_id in ids]

    from sandbox.shopify_sim import ext_fulfillment_service

    return {"order": order, "nodes": nodes, "fulfillmentOrderHold": hold, "fulfillmentOrderReleaseHold": release,
            "fulfillmentOrderMove": move, "fulfillmentCreate": create,
            **ext_fulfillment_service.extension(api, shop)}
