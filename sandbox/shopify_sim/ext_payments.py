"""Simulated payments on orders, for the refunds extension (ext_refunds.py): a ledger per order.

An order's ledger starts from its financial status when first looked at: ``paid`` -> one SALE of
the order total, ``authorized`` -> one AUTHORIZATION (nothing received yet), anything else -> no
transactions. ``capture(sim, domain, order_id, amount)`` captures part or all of the authorization
(this connector's capture-at-ship policy), leaving the order PARTIALLY_PAID or PAID.

Totals come from line prices: a unit costs its variant price plus the shop's ``tax_rate`` (taxes
not included), rounded to the cent per line. Views give the Admin API shapes (MoneyBag,
OrderTransaction, Refund, RefundLineItem).
"""

from __future__ import annotations

import itertools
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.shopify_sim.store import Line, Order, Shop, gid, graphql_line, graphql_time

CENT = Decimal("0.01")
GATEWAY = "shopify_payments"
LOCATION = {"id": "gid://shopify/Location/70001", "name": "Primary"}
next_ids = itertools.count(7_700_001)


@dataclass
class Txn:
    id: int
    kind: str
    amount: Decimal
    parent: int | None = None
    status: str = "SUCCESS"
    gateway: str = GATEWAY
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    expires: datetime | None = None
    """AUTHORIZATION: when it lapses (``authorizationExpiresAt``)."""
    multi: bool = False
    """AUTHORIZATION: whether it can be captured in several parts (``multiCapturable``)."""
    payment_id: str | None = None
    error_code: str | None = None


@dataclass
class Refund:
    id: int
    note: str | None
    lines: list[tuple[Line, int, str]]
    txns: list[Txn]
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Ledger:
    txns: list[Txn] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)


@dataclass
class MoneyState:
    shop: Shop
    ledgers: dict[int, Ledger] = field(default_factory=dict)
    keys: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    declines: int = 0


STATES: weakref.WeakKeyDictionary[Any, dict[str, MoneyState]] = weakref.WeakKeyDictionary()
GUARD = threading.RLock()


def money_state(api: Any, shop: Shop) -> MoneyState:
    with GUARD:
        return STATES.setdefault(api, {}).setdefault(shop.domain, MoneyState(shop))


def _find(sim: Any, domain: str, order_id: int | str) -> tuple[MoneyState, Order]:
    """Helpers take the ShopifySimulator: its ``graphql`` keys the state, its shops hold the orders."""
    shop = sim.shop(domain)
    return money_state(sim.graphql, shop), shop.order(order_id)


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def line_value(shop: Shop, line: Line, quantity: int) -> tuple[Decimal, Decimal]:
    """(subtotal, tax) of ``quantity`` units of the line."""
    subtotal = cents(Decimal(line.variant.price) * quantity)
    return subtotal, cents(subtotal * Decimal(shop.tax_rate))


def order_total(shop: Shop, order: Order) -> Decimal:
    total = Decimal("0")
    for line in order.lines:
        subtotal, tax = line_value(shop, line, line.quantity)
        total += subtotal + tax
    return total


def ledger(state: MoneyState, order: Order) -> Ledger:
    found = state.ledgers.get(order.id)
    if found is None:
        kind = {"paid": "SALE", "authorized": "AUTHORIZATION"}.get(order.financial_status)
        found = state.ledgers[order.id] = Ledger(
            [Txn(next(next_ids), kind, order_total(state.shop, order), created=order.created_at)] if kind else [])
    return found


def paid_txns(book: Ledger) -> list[Txn]:
    return [t for t in book.txns if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"]


def left_on(book: Ledger, parent: Txn) -> Decimal:
    return parent.amount - sum((t.amount for t in book.txns
                                if t.kind == "REFUND" and t.parent == parent.id and t.status == "SUCCESS"),
                               Decimal("0"))


def refundable(book: Ledger) -> Decimal:
    return sum((left_on(book, t) for t in paid_txns(book)), Decimal("0"))


def bag(amount: Decimal) -> dict[str, Any]:
    money = {"amount": str(cents(amount)), "currencyCode": "USD"}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def txn_view(book: Ledger, txn: Txn) -> dict[str, Any]:
    parent = next((t for t in book.txns if t.id == txn.parent), None)
    return {"__typename": "OrderTransaction", "id": gid("OrderTransaction", txn.id), "kind": txn.kind,
            "status": txn.status, "gateway": txn.gateway, "formattedGateway": "Shopify Payments",
            "amountSet": bag(txn.amount), "createdAt": graphql_time(txn.created),
            "processedAt": graphql_time(txn.created), "test": True,
            "errorCode": txn.error_code or ("CARD_DECLINED" if txn.status == "FAILURE" else None),
            "authorizationExpiresAt": graphql_time(txn.expires), "multiCapturable": txn.multi,
            "paymentId": txn.payment_id,
            "parentTransaction": txn_view(book, parent) if parent else None}


def _nodes(items: list[Any]) -> Any:
    return lambda info, **args: {"nodes": items, "edges": [{"cursor": str(i), "node": n} for i, n in enumerate(items)],
                                 "pageInfo": {"hasNextPage": False, "hasPreviousPage": False}}


def refund_line_view(shop: Shop, line: Line, quantity: int, restock: str) -> dict[str, Any]:
    subtotal, tax = line_value(shop, line, quantity)
    return {"id": gid("RefundLineItem", line.id), "lineItem": graphql_line(line), "quantity": quantity,
            "restockType": restock, "restocked": restock in ("CANCEL", "RETURN"),
            "location": LOCATION if restock != "NO_RESTOCK" else None, "priceSet": bag(Decimal(line.variant.price)),
            "subtotalSet": bag(subtotal), "totalTaxSet": bag(tax)}


def refund_view(state: MoneyState, book: Ledger, refund: Refund) -> dict[str, Any]:
    done = sum((t.amount for t in refund.txns if t.status == "SUCCESS"), Decimal("0"))
    return {"__typename": "Refund", "id": gid("Refund", refund.id), "legacyResourceId": str(refund.id),
            "note": refund.note, "createdAt": graphql_time(refund.created), "updatedAt": graphql_time(refund.created),
            "processedAt": graphql_time(refund.created), "totalRefundedSet": bag(done),
            "transactions": _nodes([txn_view(book, t) for t in refund.txns]),
            "refundLineItems": _nodes([refund_line_view(state.shop, *item) for item in refund.lines])}


# -- test and demo helpers ------------------------------------------------------------------------

def capture(sim: Any, domain: str, order_id: int | str, amount: Any) -> None:
    """Capture ``amount`` of the order's authorization (as the connector does when goods ship)."""
    with GUARD:
        state, order = _find(sim, domain, order_id)
        book = ledger(state, order)
        auth = next(t for t in book.txns if t.kind == "AUTHORIZATION")
        book.txns.append(Txn(next(next_ids), "CAPTURE", cents(amount), parent=auth.id))
        captured = sum((t.amount for t in book.txns if t.kind == "CAPTURE"), Decimal("0"))
        order.financial_status = "paid" if captured >= auth.amount else "partially_paid"


def decline_refunds(sim: Any, domain: str, count: int = 1) -> None:
    """The gateway fails the next ``count`` refund transactions of this shop."""
    with GUARD:
        money_state(sim.graphql, sim.shop(domain)).declines += count


def money(sim: Any, domain: str, order_id: int | str) -> dict[str, Any]:
    """The order's transactions and refunds as plain data (amounts as strings)."""
    with GUARD:
        state, order = _find(sim, domain, order_id)
        book = ledger(state, order)
        return {"transactions": [{"id": t.id, "kind": t.kind, "amount": str(t.amount), "parent": t.parent,
                                  "status": t.status} for t in book.txns],
                "refunds": [{"id": r.id, "note": r.note, "lines": [(ln.id, q, s) for ln, q, s in r.lines],
                             "amount": str(sum((t.amount for t in r.txns if t.status == "SUCCESS"), Decimal("0")))}
                            for r in book.refunds]}
