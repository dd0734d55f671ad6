"""Capture: an order snapshot becomes stored order lines and backorder records.

Which lines are short:
- WooCommerce lines that carry the store's 'Backordered' meta are short by that value.
- Every other line draws on a stock position (Shopify variant, WooCommerce product or variation).
  A position the store reports at -N is N units short, minus the units already explained by meta.
  Those units go to the lines of the orders placed last (``assign_shortage``), and every position
  an order touches is re-evaluated whenever an order for it is captured, so late, repeated and
  out-of-order deliveries all converge on the same records.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from connector.db.models import Backorder, Order, OrderLine, utcnow
from connector.db.uow import UnitOfWork
from connector.domain.allocation import Claim, assign_shortage
from connector.domain.model import BackorderStatus, OrderSnapshot, StockLevel, StockRef
from connector.ports import StorePlatform
from connector.services import promise

log = logging.getLogger(__name__)


@dataclass
class CaptureResult:
    order_id: str
    outcome: str
    """created | updated | cancelled | stale | unchanged"""
    changed_orders: set[str] = field(default_factory=set)
    """Platform ids of orders whose backorders changed (this one or others re-evaluated)."""


def capture_order(uow: UnitOfWork, platform: StorePlatform, shop_id: int, snapshot: OrderSnapshot) -> CaptureResult:
    """Store the snapshot and bring the backorders of every affected stock position up to date.

    The store is asked for stock outside any transaction (no HTTP call holds a database lock);
    the shop lock keeps the read, the stock query and the write of one shop in sequence.
    """
    with uow.shop_lock(shop_id):
        with uow:
            existing = uow.orders.get(shop_id, snapshot.order_id)
            early = _early_outcome(shop_id, snapshot, existing)
            if early is not None:
                return early
            refs = {line.stock_key: StockRef(line.product_id, line.variant_id)
                    for line in (existing.lines if existing else []) if line.stock_key}
            refs.update({line.stock_key: StockRef(line.product_id, line.variant_id)
                         for line in snapshot.lines if line.stock_key})
            keys = sorted(refs)
            store_asked = existing is not None and existing.store_promise_checked_at is not None
        levels = platform.stock_levels(list(refs.values())) if refs else {}
        stated = promise.gather(uow, platform, shop_id, snapshot, levels, store_asked_before=store_asked)
        with uow:
            existing = uow.orders.get(shop_id, snapshot.order_id)
            early = _early_outcome(shop_id, snapshot, existing)
            if early is not None:
                return early
            order, outcome = _upsert(uow, shop_id, snapshot, existing)
            promise.record(uow, shop_id, order, stated)
            changed = _reevaluate(uow, shop_id, keys, levels)
            if order.status == "cancelled":
                changed |= _cancel_backorders(order)
            uow.commit()
    log.info("order captured", extra={"shop_id": shop_id, "order": snapshot.order_id, "outcome": outcome,
                                      "changed_orders": len(changed)})
    return CaptureResult(snapshot.order_id, outcome, changed)


def _early_outcome(shop_id: int, snapshot: OrderSnapshot, existing: Order | None) -> CaptureResult | None:
    if existing is None:
        return None
    if snapshot.updated_at < existing.platform_updated_at:
        log.info("stale order update ignored", extra={"shop_id": shop_id, "order": snapshot.order_id})
        return CaptureResult(snapshot.order_id, "stale")
    if snapshot.updated_at == existing.platform_updated_at and not _differs(snapshot, existing):
        return CaptureResult(snapshot.order_id, "unchanged")
    return None


def _differs(snapshot: OrderSnapshot, existing: Order) -> bool:
    """Same updated_at (platforms keep whole seconds) but news we must not drop: a cancellation,
    or different lines. A cancellation is final, so an open snapshot never reopens a cancelled order."""
    if snapshot.cancelled and existing.status != "cancelled":
        return True
    if existing.status == "cancelled":
        return False
    stored = {(line.platform_line_id, line.quantity, line.backordered_meta) for line in existing.lines
              if line.quantity > 0}
    given = {(line.line_id, line.quantity, line.backordered_meta) for line in snapshot.lines if line.quantity > 0}
    return stored != given


def _upsert(uow: UnitOfWork, shop_id: int, snapshot: OrderSnapshot, order: Order | None) -> tuple[Order, str]:
    outcome = "updated"
    if order is None:
        order = uow.orders.add(Order(
            shop_id=shop_id, platform_order_id=snapshot.order_id, name=snapshot.name,
            ordered_at=snapshot.created_at, platform_updated_at=snapshot.updated_at,
            status="open", needs_mark=False,
        ))
        outcome = "created"
    order.name = snapshot.name
    order.customer_email = snapshot.customer_email
    order.financial_status = snapshot.financial_status
    order.platform_updated_at = snapshot.updated_at
    order.ordered_at = snapshot.created_at
    if snapshot.cancelled or order.status == "cancelled":
        order.status = "cancelled"
        outcome = "cancelled"

    by_id = {line.platform_line_id: line for line in order.lines}
    seen = set()
    for snap in snapshot.lines:
        seen.add(snap.line_id)
        line = by_id.get(snap.line_id)
        if line is None:
            line = OrderLine(shop_id=shop_id, platform_line_id=snap.line_id)
            order.lines.append(line)
        line.sku = snap.sku
        line.product_id = snap.product_id
        line.variant_id = snap.variant_id
        line.stock_key = snap.stock_key
        line.title = snap.title[:500]
        line.quantity = snap.quantity
        line.backordered_meta = snap.backordered_meta
    for line_id, line in by_id.items():
        if line_id not in seen:  # removed by an order edit: keep the row for history, take nothing
            line.quantity = 0
            line.backordered_meta = None
    uow.session.flush()  # type: ignore[union-attr]
    return order, outcome


def _reevaluate(uow: UnitOfWork, shop_id: int, keys: list[str], levels: dict[str, StockLevel]) -> set[str]:
    """Recompute the backorders of every open line on these stock positions."""
    changed: set[str] = set()
    by_key: dict[str, list[OrderLine]] = defaultdict(list)
    for line in uow.orders.open_lines_for(shop_id, keys):
        by_key[line.stock_key or ""].append(line)
    for key in keys:
        lines = by_key.get(key, [])
        wanted: dict[int, int] = {}
        pooled = []
        for line in lines:
            if line.backordered_meta is not None:
                wanted[line.id] = min(line.backordered_meta, line.quantity)
            else:
                pooled.append(line)
        level = levels.get(key)
        if level is None:
            # The store did not report this position now: keep pooled lines as they are.
            for line in pooled:
                backorder = line.backorder
                if backorder is not None and backorder.status == BackorderStatus.OPEN:
                    wanted[line.id] = min(backorder.quantity_backordered, line.quantity)
        else:
            shortage = max(0, level.shortage - sum(wanted.values()))
            claims = [Claim(line.order.platform_order_id, line.platform_line_id, line.order.ordered_at,
                            line.quantity) for line in pooled]
            assigned = assign_shortage(shortage, claims)
            for line in pooled:
                wanted[line.id] = assigned[(line.order.platform_order_id, line.platform_line_id)]
        for line in lines:
            if _apply(uow, shop_id, line, wanted.get(line.id, 0)):
                line.order.needs_mark = True
                changed.add(line.order.platform_order_id)
    return changed


def _apply(uow: UnitOfWork, shop_id: int, line: OrderLine, quantity: int) -> bool:
    """Bring one line's backorder to ``quantity`` units short; True when something changed."""
    backorder = line.backorder
    now = utcnow()
    if backorder is None:
        if quantity <= 0:
            return False
        line.backorder = uow.backorders.add(Backorder(
            shop_id=shop_id, sku=line.sku, stock_key=line.stock_key, quantity_backordered=quantity,
            status=BackorderStatus.OPEN.value, created_at=now, updated_at=now,
        ))
        return True
    if backorder.status == BackorderStatus.OPEN:
        if quantity <= 0:
            backorder.status = BackorderStatus.WITHDRAWN.value
            backorder.closed_at = now
            return True
        if backorder.quantity_backordered != quantity:
            backorder.quantity_backordered = quantity
            return True
        return False
    if backorder.status == BackorderStatus.WITHDRAWN and quantity > 0:
        backorder.status = BackorderStatus.OPEN.value
        backorder.quantity_backordered = quantity
        backorder.closed_at = None
        return True
    return False


def _cancel_backorders(order: Order) -> set[str]:
    changed: set[str] = set()
    for line in order.lines:
        backorder = line.backorder
        if backorder is not None and backorder.status == BackorderStatus.OPEN:
            backorder.status = BackorderStatus.CANCELLED.value
            backorder.closed_at = utcnow()
            changed.add(order.platform_order_id)
    return changed
