"""The merchant ships from their own warehouse: ``fulfill(sim, shop, order_id, {line_id: units})``
takes the units off the order's fulfillment orders (as the admin's "Fulfill items" does), records a
fulfillment, and sends what Shopify sends: ``fulfillments/create`` (a REST Fulfillment), then
``orders/fulfilled`` or ``orders/partially_fulfilled`` and ``orders/updated`` (the REST Order).

Every order read reports what shipped: GraphQL line items carry ``unfulfilledQuantity`` and
``discountedUnitPriceAfterAllDiscountsSet`` (the ``orders`` connection too), and the REST Order
carries ``fulfillments`` (status ``success``, with their ``line_items``), each line's
``fulfillable_quantity`` and ``fulfillment_status``, and the order's ``fulfillment_status``.
Field sets follow the REST fixtures (python_api__order.json, api_js_2024-04 orders).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sandbox.shopify_sim import ext_fulfillment
from sandbox.shopify_sim.pagination import connection
from sandbox.shopify_sim.store import Line, Order, Shop, SimulatorError, gid, graphql_line, rest_order, rest_time

_ids = itertools.count(255_858_046)


def _records(shop: Shop) -> dict[int, list[dict[str, Any]]]:
    """REST fulfillments per order id (the merchant's own)."""
    return shop.__dict__.setdefault("_merchant_fulfillments", {})


def unfulfilled(shop: Shop, order: Order) -> dict[int, int]:
    """Units still to fulfil per line id: what the order's open fulfillment orders hold, or every
    current unit while Shopify has not made them yet."""
    if order.cancelled_at is not None:
        return {line.id: 0 for line in order.lines}
    fos = [fo for fo in ext_fulfillment._state(shop)["fos"].values() if fo.order_id == order.id]
    if not fos:
        return {line.id: line.quantity - line.removed for line in order.lines}
    left = {line.id: 0 for line in order.lines}
    for fo in fos:
        if fo.status == "CANCELLED":
            continue
        for line_id, _total, remaining in fo.items.values():
            left[line_id] = left.get(line_id, 0) + remaining
    return left


def _line_status(line: Line, left: int) -> str | None:
    current = line.quantity - line.removed
    if current > 0 and left == 0:
        return "fulfilled"
    return "partial" if 0 < left < current else None


def rest_fields(shop: Shop, order: Order) -> dict[str, Any]:
    """What a REST Order says about fulfillment (merged into ``rest_order``)."""
    left = unfulfilled(shop, order)
    statuses = [_line_status(line, left.get(line.id, 0)) for line in order.lines]
    if statuses and all(s == "fulfilled" for s in statuses):
        order_status: str | None = "fulfilled"
    else:
        order_status = "partial" if any(statuses) else None
    return {"fulfillments": [dict(f) for f in _records(shop).get(order.id, [])],
            "fulfillment_status": order_status,
            "line_status": {line.id: (left.get(line.id, 0), status) for line, status in zip(order.lines, statuses,
                                                                                           strict=True)}}


def rest_into(shop: Shop, order: Order, body: dict[str, Any]) -> None:
    """Fill a REST Order's fulfillment fields in place (a ``REST_ORDER_FIELDS`` hook of ``rest_order``)."""
    fields = rest_fields(shop, order)
    for item in body["line_items"]:
        left, status = fields["line_status"].get(item["id"], (item["fulfillable_quantity"], None))
        item["fulfillable_quantity"] = left
        item["fulfillment_status"] = status
    body["fulfillments"] = fields["fulfillments"]
    body["fulfillment_status"] = fields["fulfillment_status"]


def order_fields(api: Any, order: Order) -> dict[str, Any]:
    """GraphQL Order fields: line items that say what is left to fulfil and the price paid."""
    shop = next((s for s in getattr(api, "_merchant_shops", {}).values() if order.id in s.orders), None)
    if shop is None:
        return {}

    def line_items(info: Any, **args: Any) -> dict[str, Any]:
        left = unfulfilled(shop, order)

        def render(line: Line) -> dict[str, Any]:
            money = {"amount": line.variant.price, "currencyCode": "USD"}
            return {**graphql_line(line), "unfulfilledQuantity": left.get(line.id, 0),
                    "discountedUnitPriceSet": {"shopMoney": money, "presentmentMoney": money},
                    "discountedUnitPriceAfterAllDiscountsSet": {"shopMoney": money, "presentmentMoney": money}}

        return connection(order.lines, [(str(line.id), line.id) for line in order.lines], render, args)

    return {"lineItems": line_items}


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    """No root fields: remembers the shop so that ``order_fields`` can find an order's fulfillment state."""
    api.__dict__.setdefault("_merchant_shops", {})[shop.domain] = shop
    return {}


def fulfill(sim: Any, shop_domain: str, order_id: int | str, lines: Mapping[int | str, int] | None = None, *,
            tracking_number: str | None = None, tracking_company: str | None = "USPS",
            deliver_webhooks: bool = True) -> dict[str, Any]:
    """The merchant fulfils ``lines`` ({line id: units}; None: everything left) of an order from open
    (not held) fulfillment orders; returns the REST Fulfillment. Raises SimulatorError when the units
    are not there to fulfil."""
    with sim._lock:
        shop = sim.shop(shop_domain)
        order = shop.order(order_id)
        if order.cancelled_at is not None:
            raise SimulatorError(f"order {order.name} is cancelled")
        fos = ext_fulfillment.fulfillment_orders(shop, order.id)
        left = unfulfilled(shop, order)
        wanted = {int(k): int(v) for k, v in (lines or {k: v for k, v in left.items() if v}).items()}
        plan: list[tuple[Any, int, int]] = []
        for line_id, units in wanted.items():
            if units <= 0:
                raise SimulatorError(f"line {line_id}: units must be positive, got {units}")
            need = units
            for fo in fos:
                if fo.status != "OPEN":
                    continue
                for item_id, (item_line, _total, remaining) in fo.items.items():
                    if item_line == line_id and remaining and need:
                        take = min(need, remaining)
                        plan.append((fo, item_id, take))
                        need -= take
            if need:
                raise SimulatorError(f"order {order.name} line {line_id}: not {units} units open to fulfil "
                                     f"(held or already fulfilled)")
        for fo, item_id, take in plan:
            fo.items[item_id][2] -= take
            if all(remaining == 0 for _, _, remaining in fo.items.values()):
                fo.status = "CLOSED"
        order.updated_at = sim._now_after(order)
        number = next(_ids)
        by_line = {line.id: line for line in order.lines}
        base_lines = {item["id"]: item for item in rest_order(shop, order)["line_items"]}
        fulfillment = {
            "id": number, "admin_graphql_api_id": gid("Fulfillment", number), "order_id": order.id,
            "name": f"{order.name}.{len(_records(shop).get(order.id, [])) + 1}",
            "status": "success", "service": "manual", "shipment_status": None, "location_id": 655441491,
            "created_at": rest_time(order.updated_at), "updated_at": rest_time(order.updated_at),
            "origin_address": {}, "receipt": {},
            "tracking_company": tracking_company if tracking_number else None,
            "tracking_number": tracking_number, "tracking_numbers": [tracking_number] if tracking_number else [],
            "tracking_url": None, "tracking_urls": [],
            "line_items": [{**base_lines[line_id], "quantity": units, "fulfillment_status": "fulfilled"}
                           for line_id, units in wanted.items() if line_id in by_line],
        }
        _records(shop).setdefault(order.id, []).append(fulfillment)
        ext_fulfillment._state(shop)["fulfillments"].setdefault(order.id, []).append(
            {"id": gid("Fulfillment", number), "status": "SUCCESS", "totalQuantity": sum(wanted.values()),
             "trackingInfo": [{"company": tracking_company, "number": tracking_number, "url": None}],
             "notifyCustomer": False, "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
        body = rest_order(shop, order)
    if deliver_webhooks:
        sim._send(shop, "fulfillments/create", fulfillment)
        sim._send(shop, "orders/fulfilled" if body["fulfillment_status"] == "fulfilled"
                  else "orders/partially_fulfilled", body)
        sim._send(shop, "orders/updated", body)
    return fulfillment
