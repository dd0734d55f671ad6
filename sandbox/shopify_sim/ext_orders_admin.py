"""Simulated Admin API root fields for customer messages: the order-edit trio
(orderEditBegin / orderEditSetQuantity / orderEditCommit), discountCodeBasicCreate,
discountCodeFreeShippingCreate and codeDiscountNodeByCode, with Shopify's userErrors shapes.
orderCancel (a background job) is in ext_order_cancel.py.

An order edit sets a line's current quantity (``set_current_quantity``): ``LineItem.quantity`` keeps
"refunded and removed units", ``currentQuantity`` excludes them, so units taken off are counted as
removed (off the fulfillment orders, back in stock with ``restock``) and units added raise both.

State per simulator and shop: discount codes (``discounts(api, domain)`` for tests and the demo)
and open edit sessions.
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.shopify_sim.ext_fulfillment import fulfillment_orders
from sandbox.shopify_sim.ext_refunds import take_off_fulfillment_orders
from sandbox.shopify_sim.store import Line, Order, Shop, gid

ORDER_GID = re.compile(r"gid://shopify/Order/(\d+)")
CALCULATED_GID = re.compile(r"gid://shopify/CalculatedOrder/(\d+)")


@dataclass
class _State:
    discounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """By code (case-insensitive, as Shopify)."""
    edits: dict[int, dict[int, tuple[int, bool]]] = field(default_factory=dict)
    """Open edit sessions: calculated order id -> {line id: (new current quantity, restock)}."""
    edit_orders: dict[int, int] = field(default_factory=dict)
    next_id: int = 9000
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATES: weakref.WeakKeyDictionary[Any, dict[str, _State]] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _state(api: Any, domain: str) -> _State:
    with _GUARD:
        return _STATES.setdefault(api, {}).setdefault(domain, _State())


def discounts(api: Any, domain: str) -> list[dict[str, Any]]:
    """Every discount code created in this shop (for tests and the demo)."""
    state = _state(api, domain)
    with state.lock:
        return [dict(d) for d in state.discounts.values()]


def _order(shop: Shop, order_id: str) -> Order | None:
    match = ORDER_GID.fullmatch(order_id or "")
    return shop.orders.get(int(match.group(1))) if match else None


def set_current_quantity(shop: Shop, order: Order, line: Line, quantity: int, *, restock: bool) -> None:
    """Commit one line's edit to ``quantity`` units still on the order."""
    current = line.quantity - line.removed
    if quantity < current:
        take_off_fulfillment_orders(shop, order, line, current - quantity)
        if restock and line.variant.tracked:
            line.variant.inventory_quantity += current - quantity
        line.removed += current - quantity
    elif quantity > current:
        added = quantity - current
        item = next((item for fo in fulfillment_orders(shop, order.id) if fo.status not in ("CLOSED", "CANCELLED")
                     for item in fo.items.values() if item[0] == line.id), None)
        if item is not None:
            item[1], item[2] = item[1] + added, item[2] + added
        if line.variant.tracked:
            line.variant.inventory_quantity -= added
        line.quantity += added


def _error(message: str, field_path: list[str], code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"field": field_path, "message": message}
    if code is not None:
        error["code"] = code
    return error


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    state = _state(api, shop.domain)

    def touch(order: Order) -> None:
        order.updated_at = max(datetime.now(UTC), order.updated_at)
        api._on_order_changed(shop, order)

    def calculated(order: Order, session_id: int) -> dict[str, Any]:
        quantities = state.edits[session_id]
        nodes = [{"id": gid("CalculatedLineItem", line.id),
                  "quantity": quantities.get(line.id, (line.quantity - line.removed, False))[0]}
                 for line in order.lines]
        return {"id": gid("CalculatedOrder", session_id), "lineItems": lambda info, **args: {"nodes": nodes}}

    def edit_begin(info: Any, id: str) -> dict[str, Any]:  # noqa: A002
        order = _order(shop, id)
        if order is None or order.cancelled_at is not None:
            return {"calculatedOrder": None, "userErrors": [_error("The order cannot be edited.", ["id"])]}
        with state.lock:
            state.next_id += 1
            session_id = state.next_id
            state.edits[session_id] = {}
            state.edit_orders[session_id] = order.id
        return {"calculatedOrder": calculated(order, session_id), "userErrors": []}

    def session(id: str) -> tuple[int, Order] | None:  # noqa: A002
        match = CALCULATED_GID.fullmatch(id or "")
        number = int(match.group(1)) if match else -1
        if number not in state.edits:
            return None
        return number, shop.orders[state.edit_orders[number]]

    def edit_set_quantity(info: Any, id: str, lineItemId: str, quantity: int,  # noqa: A002, N803
                          restock: bool | None = None) -> dict[str, Any]:
        found = session(id)
        if found is None:
            return {"calculatedLineItem": None, "calculatedOrder": None,
                    "userErrors": [_error("Calculated order does not exist", ["id"])]}
        number, order = found
        line_id = int(lineItemId.rsplit("/", 1)[-1]) if lineItemId.rsplit("/", 1)[-1].isdigit() else -1
        line = next((item for item in order.lines if item.id == line_id), None)
        if line is None or quantity < 0:
            return {"calculatedLineItem": None, "calculatedOrder": None,
                    "userErrors": [_error("Line item does not exist or quantity is invalid", ["lineItemId"])]}
        state.edits[number][line.id] = (quantity, bool(restock))
        return {"calculatedLineItem": {"id": gid("CalculatedLineItem", line.id), "quantity": quantity},
                "calculatedOrder": calculated(order, number), "userErrors": []}

    def edit_commit(info: Any, id: str, notifyCustomer: bool | None = None,  # noqa: A002, N803
                    staffNote: str | None = None) -> dict[str, Any]:
        found = session(id)
        if found is None:
            return {"order": None, "userErrors": [_error("Calculated order does not exist", ["id"])]}
        number, order = found
        for line in order.lines:
            if line.id in state.edits[number]:
                quantity, restock = state.edits[number][line.id]
                set_current_quantity(shop, order, line, quantity, restock=restock)
        del state.edits[number]
        touch(order)
        return {"order": api._order(order), "userErrors": []}

    def create(kind: str, spec: dict[str, Any], field_name: str) -> dict[str, Any]:
        code = str(spec.get("code") or "")
        if not code:
            return {"codeDiscountNode": None, "userErrors": [
                _error("Code can't be blank", [field_name, "code"], "BLANK")]}
        customers = ((spec.get("context") or {}).get("customers") or {}).get("add") or []
        with state.lock:
            if code.upper() in state.discounts:
                return {"codeDiscountNode": None, "userErrors": [
                    _error("Code must be unique. Please try a different code.", [field_name, "code"], "TAKEN")]}
            state.next_id += 1
            node_id = gid("DiscountCodeNode", state.next_id)
            state.discounts[code.upper()] = {
                "id": node_id, "code": code, "kind": kind, "title": spec.get("title"),
                "customers": list(customers), "usageLimit": spec.get("usageLimit"),
                "appliesOncePerCustomer": spec.get("appliesOncePerCustomer"), "endsAt": spec.get("endsAt"),
                "percentage": (((spec.get("customerGets") or {}).get("value")) or {}).get("percentage"),
            }
        return {"codeDiscountNode": {"id": node_id}, "userErrors": []}

    def by_code(info: Any, code: str) -> dict[str, Any] | None:
        with state.lock:
            found = state.discounts.get(code.upper())
        return {"id": found["id"]} if found else None

    return {
        "orderEditBegin": edit_begin,
        "orderEditSetQuantity": edit_set_quantity,
        "orderEditCommit": edit_commit,
        "discountCodeBasicCreate": lambda info, basicCodeDiscount: create(  # noqa: N803
            "percentage", basicCodeDiscount, "basicCodeDiscount"),
        "discountCodeFreeShippingCreate": lambda info, freeShippingCodeDiscount: create(  # noqa: N803
            "free_shipping", freeShippingCodeDiscount, "freeShippingCodeDiscount"),
        "codeDiscountNodeByCode": by_code,
    }
