"""Simulated money on orders: payment transactions, ``Order.suggestedRefund`` and ``refundCreate``.

Payments (transactions, totals from line prices and the shop's tax rate) live in ext_payments.py.

suggestedRefund: the subtotal and tax of the line items asked for; the amount is that total capped
at what can still be refunded (received minus refunded, as ``maximumRefundableSet``); suggested
transactions draw the amount from the SALE/CAPTURE parents in turn, each no more than is left on it.
An authorized-only order therefore gets amount 0 and no transactions. (Shopify's own suggestion
for partly captured orders is not confirmed in its docs; this is the simulator's reading.)

refundCreate: requires ``@idempotent(key:)`` (mandatory from 2026-04): the same key with the same
input returns the first result without refunding again; with other input, a userError. Line
quantities are checked against what is still refundable, transactions against their parent (kind
REFUND, same gateway, no more than is left on it) and the total against what was received (unless
``allowOverRefunding``). Refunded units leave the order (``currentQuantity``); CANCEL and RETURN put
them back in stock. ``decline_refunds`` makes the gateway fail the next refund transactions (status
FAILURE; the refund and its line items are still recorded - the simulator's choice).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from sandbox.shopify_sim.ext_payments import (
    GUARD,
    STATES,
    MoneyState,
    Refund,
    Txn,
    bag,
    cents,
    ledger,
    left_on,
    line_value,
    money_state,
    next_ids,
    paid_txns,
    refund_line_view,
    refund_view,
    refundable,
    txn_view,
)
from sandbox.shopify_sim.store import Line, Order, Shop


def _number(value: Any, resource: str) -> int | None:
    prefix = f"gid://shopify/{resource}/"
    text = str(value or "")
    return int(text[len(prefix):]) if text.startswith(prefix) and text[len(prefix):].isdigit() else None


def _line_items(order: Order, items: list[dict[str, Any]]) -> tuple[list[tuple[Line, int, str]], list[Any]]:
    """Valid (line, quantity, restockType) entries and userErrors."""
    wanted: list[tuple[Line, int, str]] = []
    errors: list[Any] = []
    used: dict[int, int] = {}
    for index, item in enumerate(items):
        where = ["refundLineItems", str(index)]
        line = next((x for x in order.lines if x.id == _number(item.get("lineItemId"), "LineItem")), None)
        quantity, restock = int(item.get("quantity") or 0), str(item.get("restockType") or "NO_RESTOCK")
        if line is None:
            errors.append({"field": [*where, "lineItemId"], "message": "Line item does not exist on this order."})
        elif quantity <= 0 or used.get(line.id, 0) + quantity > line.quantity - line.removed:
            errors.append({"field": [*where, "quantity"], "message": (
                f"Quantity cannot refund more items than were purchased ({line.quantity - line.removed} left).")})
        elif restock == "LEGACY_RESTOCK":
            errors.append({"field": [*where, "restockType"], "message": "Restock type is not accepted."})
        else:
            used[line.id] = used.get(line.id, 0) + quantity
            wanted.append((line, quantity, restock))
    return wanted, errors


def suggest(state: MoneyState, order: Order, items: list[dict[str, Any]]) -> dict[str, Any]:
    wanted, errors = _line_items(order, items)
    if errors:
        raise GraphQLError(errors[0]["message"], extensions={"code": "BAD_REQUEST"})
    book = ledger(state, order)
    subtotal = sum((line_value(state.shop, line, q)[0] for line, q, _ in wanted), Decimal("0"))
    tax = sum((line_value(state.shop, line, q)[1] for line, q, _ in wanted), Decimal("0"))
    maximum = refundable(book)
    amount, remaining, suggested = min(subtotal + tax, maximum), min(subtotal + tax, maximum), []
    for parent in paid_txns(book):
        share = min(remaining, left_on(book, parent))
        if share > 0:
            suggested.append({"kind": "SUGGESTED_REFUND", "gateway": parent.gateway, "amountSet": bag(share),
                              "formattedGateway": "Shopify Payments",
                              "maximumRefundableSet": bag(left_on(book, parent)),
                              "parentTransaction": txn_view(book, parent)})
            remaining -= share
    zero = bag(Decimal("0"))
    return {"amountSet": bag(amount), "subtotalSet": bag(subtotal), "totalTaxSet": bag(tax),
            "discountedSubtotalSet": bag(subtotal), "maximumRefundableSet": bag(maximum),
            "totalCartDiscountAmountSet": zero, "totalDutiesSet": zero, "refundDuties": [],
            "refundLineItems": [refund_line_view(state.shop, *item) for item in wanted],
            "suggestedTransactions": suggested, "suggestedRefundMethods": []}


def order_fields(api: Any, order: Order) -> dict[str, Any]:
    """Money fields of an Order (transactions, refunds, totals, suggestedRefund)."""
    with GUARD:
        state = next((s for s in STATES.get(api, {}).values() if order.id in s.shop.orders), None)
    if state is None:
        return {}
    book = ledger(state, order)
    received = sum((t.amount for t in paid_txns(book)), Decimal("0"))
    refunded = received - refundable(book)
    authorized = sum((t.amount for t in book.txns if t.kind == "AUTHORIZATION" and t.status == "SUCCESS"),
                     Decimal("0"))
    captured = sum((t.amount for t in book.txns if t.kind == "CAPTURE" and t.status == "SUCCESS"), Decimal("0"))
    return {
        "currencyCode": "USD", "presentmentCurrencyCode": "USD", "taxesIncluded": False,
        "totalReceivedSet": bag(received), "totalRefundedSet": bag(refunded),
        "totalCapturableSet": bag(max(Decimal("0"), authorized - captured)),
        "capturable": authorized > captured and order.cancelled_at is None,
        "transactions": lambda info, **args: [txn_view(book, t) for t in book.txns][:args.get("first") or None],
        "refunds": lambda info, first=None: [refund_view(state, book, r) for r in book.refunds][:first or None],
        "suggestedRefund": lambda info, refundLineItems=None, **args: suggest(  # noqa: N803
            state, order, list(refundLineItems or [])),
    }


def _key(info: Any) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values) if directive else None
    return str(values["key"]) if values else None


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    state = money_state(api, shop)

    def refund_create(info: Any, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        key = _key(info)
        if key is None or not key.strip():
            raise GraphQLError("refundCreate requires an idempotency key: use the @idempotent directive.",
                               extensions={"code": "BAD_REQUEST"})
        fingerprint = json.dumps(input, sort_keys=True, default=str)
        if key in state.keys:
            first_input, result = state.keys[key]
            if first_input == fingerprint:
                return result
            return {"refund": None, "order": None, "userErrors": [{"field": None, "message": (
                "The same idempotency key cannot be used with different operation parameters.")}]}
        result = _create(api, state, input)
        if not result["userErrors"]:
            state.keys[key] = (fingerprint, result)
        return result

    return {"refundCreate": refund_create}


def _create(api: Any, state: MoneyState, data: dict[str, Any]) -> dict[str, Any]:
    def rejected(message: str, *where: str) -> dict[str, Any]:
        return {"refund": None, "order": None, "userErrors": [{"field": list(where) or None, "message": message}]}

    order = state.shop.orders.get(_number(data.get("orderId"), "Order") or -1)
    if order is None:
        return rejected("Order does not exist.", "orderId")
    wanted, errors = _line_items(order, list(data.get("refundLineItems") or []))
    if errors:
        return {"refund": None, "order": None, "userErrors": errors}
    book = ledger(state, order)
    planned: list[Txn] = []
    for index, raw in enumerate(data.get("transactions") or []):
        where = ("transactions", str(index))
        parent = next((t for t in paid_txns(book) if t.id == _number(raw.get("parentId"), "OrderTransaction")), None)
        try:
            amount = cents(raw.get("amount"))
        except InvalidOperation:
            return rejected("Amount is invalid.", *where, "amount")
        if raw.get("kind") != "REFUND":
            return rejected("Only refund transactions can be part of a refund.", *where, "kind")
        if parent is None or _number(raw.get("orderId"), "Order") != order.id:
            return rejected("Parent transaction is not a successful sale or capture of this order.", *where, "parentId")
        if raw.get("gateway") != parent.gateway:
            return rejected(f"Gateway must be {parent.gateway}.", *where, "gateway")
        already = sum((t.amount for t in planned if t.parent == parent.id), Decimal("0"))
        if amount <= 0 or amount + already > left_on(book, parent):
            return rejected(f"Amount cannot exceed {left_on(book, parent) - already} refundable on the parent "
                            "transaction.", *where, "amount")
        planned.append(Txn(next(next_ids), "REFUND", amount, parent=parent.id, gateway=parent.gateway))
    if not wanted and not planned:
        return rejected("A refund needs line items or transactions.", "refundLineItems")
    if sum((t.amount for t in planned), Decimal("0")) > refundable(book) and not data.get("allowOverRefunding"):
        return rejected("Refund amount exceeds the amount that can be refunded.", "transactions")
    for txn in planned:
        if state.declines > 0:
            state.declines -= 1
            txn.status = "FAILURE"
    for line, quantity, restock in wanted:
        take_off_fulfillment_orders(state.shop, order, line, quantity)
        line.removed += quantity
        if restock in ("CANCEL", "RETURN") and line.variant.tracked:
            line.variant.inventory_quantity += quantity
    book.txns.extend(planned)
    refund = Refund(next(next_ids), data.get("note"), wanted, planned)
    book.refunds.append(refund)
    if paid_txns(book):
        order.financial_status = "refunded" if refundable(book) <= 0 else "partially_refunded"
    order.updated_at = max(datetime.now(UTC).replace(microsecond=0), order.updated_at)
    api._on_order_changed(state.shop, order)
    return {"refund": refund_view(state, book, refund), "order": api._order(order), "userErrors": []}


def take_off_fulfillment_orders(shop: Shop, order: Order, line: Line, quantity: int) -> None:
    """Refunded units are no longer to be fulfilled: off the open fulfillment orders; an FO left with
    nothing to fulfil is closed."""
    from sandbox.shopify_sim.ext_fulfillment import fulfillment_orders

    for fo in fulfillment_orders(shop, order.id):
        for item in fo.items.values():
            if item[0] == line.id and quantity > 0 and fo.status not in ("CLOSED", "CANCELLED"):
                taken = min(quantity, item[2])
                item[1], item[2], quantity = item[1] - taken, item[2] - taken, quantity - taken
        if fo.status not in ("CLOSED", "CANCELLED") and all(item[2] == 0 for item in fo.items.values()):
            fo.status = "CLOSED"
