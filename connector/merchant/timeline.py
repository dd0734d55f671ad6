"""One order's story for the merchant, oldest first: captured, dates promised and changed, messages
sent, routing decisions and their reasons, supplier and purchase orders, holds, allocation, shipments,
payment. Each feature's rows are read through its own repository; this module only puts them in time
order and words them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from connector.db.models import Backorder, Order
from connector.db.uow import UnitOfWork
from connector.domain.errors import PermanentError
from connector.dropship.repository import DropshipRepository
from connector.notify.repository import NotifyRepository
from connector.payments.repository import PaymentsRepository
from connector.purchasing.repository import PurchasingRepository
from connector.restock.repository import RestockRepository
from connector.shipping.repository import ShippingRepository
from connector.supply.repository import SupplyRepository

MESSAGE_KINDS = {
    "capture_notice": "Backorder notice", "apology": "New date, with apologies", "delay_notice": "Delay notice",
    "cancelled": "Cancellation confirmation", "wait_confirmed": "Keep-waiting confirmation",
    "merchant_decision": "Decision asked of you",
}
ALLOCATION_SOURCES = {"store_stock": "stock arriving in the store", "purchase_order": "a purchase order received",
                      "supplier_stock": "the supplier's stock"}
SHIPPED_VIA = {"merchant": "shipped from the store", "dropship": "shipped by the supplier (drop-ship)",
               "allocation": "shipped from stock set aside", "supplier": "shipped from the supplier's warehouse"}
ROUTING_ACTIONS = {"dropship": "drop-ship it", "split": "drop-ship part and wait for the rest",
                   "wait": "wait for stock"}


class OrderNotFound(PermanentError):
    """The shop has no order with that store id (or it belongs to another shop)."""


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    """captured | promise | date | message | decision | routing | dropship | purchase_order | hold |
    allocation | shipment | payment | closed"""
    title: str
    details: tuple[str, ...] = ()
    text: str | None = None
    """A message's text, when the message log keeps it."""
    sku: str | None = None


@dataclass(frozen=True)
class LineSummary:
    backorder_id: int
    sku: str | None
    title: str
    quantity: int
    status: str
    promised_date: date | None
    expected_date: date | None


@dataclass(frozen=True)
class OrderTimeline:
    platform_order_id: str
    name: str
    ordered_at: datetime
    status: str
    lines: list[LineSummary]
    entries: list[Entry] = field(default_factory=list)


def _words(value: date | None) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}" if value is not None else "no date"


def order_timeline(uow: UnitOfWork, shop_id: int, platform_order_id: str) -> OrderTimeline:
    """The order's timeline (OrderNotFound when the shop has no such order)."""
    with uow:
        order = uow.orders.get(shop_id, platform_order_id)
        if order is None:
            raise OrderNotFound(f"no order {platform_order_id[:64]!r} in this shop")
        backorders = [line.backorder for line in order.lines if line.backorder is not None]
        entries = _captured(order, backorders)
        ids = [b.id for b in backorders]
        by_id = {b.id: b for b in backorders}
        if ids:
            entries += _promises_and_dates(uow, shop_id, order, backorders)
            entries += _routing(uow, shop_id, by_id)
            entries += _purchasing_and_stock(uow, shop_id, by_id)
        entries += _payments(uow, order)
        lines = [LineSummary(b.id, b.sku, b.line.title, b.quantity_backordered, b.status, b.promised_date,
                             b.expected_date) for b in backorders]
        ordered = sorted(enumerate(entries), key=lambda pair: (pair[1].at, pair[0]))
        return OrderTimeline(order.platform_order_id, order.name, order.ordered_at, order.status, lines,
                             [entry for _, entry in ordered])


def _captured(order: Order, backorders: Sequence[Backorder]) -> list[Entry]:
    entries = [Entry(order.ordered_at, "captured", f"Order {order.name} placed")]
    details = tuple(f"{b.quantity_backordered} × {b.line.title or b.sku or 'item'} ({b.sku or 'no SKU'}) "
                    f"could not be covered by stock" for b in backorders)
    if order.promised_delivery_on is not None:
        details += (f"The store promised delivery by {_words(order.promised_delivery_on)} at checkout "
                    f"(read from {order.promised_delivery_source or 'the order'})",)
    entries.append(Entry(order.captured_at, "captured",
                         f"Captured as a backorder: {len(backorders)} line{'s' if len(backorders) != 1 else ''}",
                         details))
    for b in backorders:
        if b.closed_at is not None and b.status in ("fulfilled", "cancelled", "withdrawn"):
            entries.append(Entry(b.closed_at, "closed", f"{b.sku or 'Line'}: backorder {b.status}", sku=b.sku))
    return entries


def _promises_and_dates(uow: UnitOfWork, shop_id: int, order: Order, backorders: Sequence[Backorder]) -> list[Entry]:
    entries: list[Entry] = []
    notify = uow.repo(NotifyRepository)
    ids = [b.id for b in backorders]
    skus = {b.id: b.sku for b in backorders}
    for backorder_id, state in notify.states(shop_id, ids).items():
        how = "stated at checkout" if state.checkout_stated else "the shop's shipping promise"
        entries.append(Entry(state.created_at, "promise",
                             f"{skus[backorder_id] or 'Line'}: to ship by {_words(state.shipping_promise)} ({how})",
                             sku=skus[backorder_id]))
    since = min(b.created_at for b in backorders)
    waiting_skus = sorted({b.sku for b in backorders if b.sku})
    for change, supplier in uow.repo(SupplyRepository).changes_of_skus(shop_id, waiting_skus, since):
        if change.restock_date == change.previous_restock_date:
            continue
        was = f" (was {_words(change.previous_restock_date)})" if change.previous_restock_date else ""
        entries.append(Entry(change.changed_at, "date",
                             f"{change.sku}: {supplier} now expects it on {_words(change.restock_date)}{was}",
                             sku=change.sku))
    for message in notify.messages_of_order(shop_id, order.id):
        kind = MESSAGE_KINDS.get(message.kind, message.kind.replace("_", " ").capitalize())
        details = [f"To {message.recipient or 'nobody (no address)'}: {message.status}"]
        if message.subject:
            details.append(f"Subject: {message.subject}")
        if message.outcome:
            details.append(message.outcome)
        if message.error:
            details.append(f"Error: {message.error}")
        if message.discount_code:
            details.append(f"Discount code {message.discount_code}")
        entries.append(Entry(message.sent_at or message.created_at, "message", f"Message: {kind}", tuple(details),
                             sku=skus.get(message.backorder_id)))
    for backorder_id, decisions in notify.decisions(shop_id, ids).items():
        for decision in decisions:
            sku = skus[backorder_id]
            ask = "must agree to wait" if decision.consent_required else "may cancel"
            entries.append(Entry(decision.created_at, "decision",
                                 f"{sku or 'Line'}: delay notice: the customer {ask} (answer by "
                                 f"{_words(decision.deadline)})", sku=sku))
            if decision.answer and decision.answered_at:
                entries.append(Entry(decision.answered_at, "decision",
                                     f"{sku or 'Line'}: the customer chose to {decision.answer}", sku=sku))
            if decision.outcome and decision.outcome_at:
                extra = (f"Error: {decision.outcome_error}",) if decision.outcome_error else ()
                entries.append(Entry(decision.outcome_at, "decision", f"{sku or 'Line'}: {decision.outcome}",
                                     extra, sku=sku))
    return entries


def _routing(uow: UnitOfWork, shop_id: int, by_id: dict[int, Backorder]) -> list[Entry]:
    entries: list[Entry] = []
    suppliers = {s.id: s.name for s in uow.repo(SupplyRepository).suppliers(shop_id)}
    decisions, orders, parcels, holds = uow.repo(DropshipRepository).history_of(shop_id, list(by_id))
    for d in decisions:
        sku = by_id[d.backorder_id].sku
        reasons = tuple(f"{'✓' if r.get('passed') else '✗'} {r.get('text', '')}" for r in _reasons(d.reasons))
        supplier = f" via {suppliers[d.supplier_id]}" if d.supplier_id in suppliers else ""
        entries.append(Entry(d.decided_at, "routing",
                             f"{sku or 'Line'}: routing decided to {ROUTING_ACTIONS.get(d.action, d.action)}{supplier}",
                             (d.summary, *reasons) if d.summary else reasons, sku=sku))
    for o in orders:
        supplier = suppliers.get(o.supplier_id, "the supplier")
        detail = [f"Status: {o.status}"] + ([f"Last error: {o.last_error}"] if o.last_error else [])
        entries.append(Entry(o.created_at, "dropship", f"{o.sku}: drop-ship order of {o.quantity} to {supplier}",
                             tuple(detail), sku=o.sku))
        if o.placed_at:
            reference = f" (their reference {o.supplier_reference})" if o.supplier_reference else ""
            entries.append(Entry(o.placed_at, "dropship", f"{o.sku}: {supplier} accepted the order{reference}",
                                 sku=o.sku))
    sku_of_order = {o.id: o.sku for o in orders}
    for p in parcels:
        tracking = ", ".join(x for x in (p.carrier, p.tracking_number) if x)
        sku = sku_of_order.get(p.dropship_order_id)
        if p.shipped_at:
            entries.append(Entry(p.shipped_at, "shipment", f"{sku}: supplier shipped {p.quantity}",
                                 (f"Tracking: {tracking}",) if tracking else (), sku=sku))
        if p.pushed_at:
            entries.append(Entry(p.pushed_at, "shipment", f"{sku}: shipment recorded in the store", sku=sku))
    for h in holds:
        sku = by_id[h.backorder_id].sku
        entries.append(Entry(h.created_at, "hold", f"{sku or 'Line'}: fulfillment held in the store",
                             (f"Fulfillment order {h.fulfillment_order_id}",), sku=sku))
        if h.released_at:
            entries.append(Entry(h.released_at, "hold", f"{sku or 'Line'}: hold released", sku=sku))
    return entries


def _reasons(raw: str) -> list[dict[str, object]]:
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        return []
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _purchasing_and_stock(uow: UnitOfWork, shop_id: int, by_id: dict[int, Backorder]) -> list[Entry]:
    entries: list[Entry] = []
    for backorder_id, units, po, supplier in uow.repo(PurchasingRepository).orders_of_backorders(shop_id, list(by_id)):
        sku = by_id[backorder_id].sku
        expected = f", expected {_words(po.expected_date)}" if po.expected_date else ""
        entries.append(Entry(po.created_at, "purchase_order",
                             f"{sku or 'Line'}: {units} on purchase order {po.id} to {supplier}",
                             (f"Status: {po.status}{expected}",), sku=sku))
        if po.placed_at:
            entries.append(Entry(po.placed_at, "purchase_order", f"Purchase order {po.id} sent to {supplier}", sku=sku))
        if po.received_at:
            entries.append(Entry(po.received_at, "purchase_order", f"Purchase order {po.id} received", sku=sku))
    for a in uow.repo(RestockRepository).allocations_of(shop_id, list(by_id)):
        sku = by_id[a.backorder_id].sku
        source = ALLOCATION_SOURCES.get(a.source, a.source)
        entries.append(Entry(a.created_at, "allocation", f"{sku or 'Line'}: {a.quantity} set aside from {source}",
                             sku=sku))
    shipping = uow.repo(ShippingRepository)
    for backorder_id, b in by_id.items():
        for s in shipping.shipments_of(shop_id, backorder_id):
            entries.append(Entry(s.shipped_at, "shipment",
                                 f"{b.sku or 'Line'}: {s.quantity} {SHIPPED_VIA.get(s.via, s.via)}", sku=b.sku))
    return entries


def _payments(uow: UnitOfWork, order: Order) -> list[Entry]:
    payments = uow.repo(PaymentsRepository)
    payment = payments.payment_of(order.id)
    entries: list[Entry] = []
    if payment is not None:
        money = f"{payment.currency} " if payment.currency else ""
        entries.append(Entry(payment.created_at, "payment", f"Payment watched: {payment.route.replace('_', ' ')}",
                             (f"Now {payment.state.replace('_', ' ')}: captured {money}{payment.amount_captured}, "
                              f"due {money}{payment.amount_due}",)
                             + ((f"Last error: {payment.last_error}",) if payment.last_error else ())))
    for c in payments.charges_of(order.id):
        title = f"{c.kind.capitalize()} of {c.currency} {c.amount} asked"
        entries.append(Entry(c.created_at, "payment", title, (f"Reference {c.reference}",) if c.reference else ()))
        if c.settled_at:
            entries.append(Entry(c.settled_at, "payment", f"{c.kind.capitalize()} of {c.currency} {c.amount} {c.state}",
                                 (f"Error: {c.error}",) if c.error else ()))
    return entries
