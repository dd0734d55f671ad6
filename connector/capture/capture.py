"""Capture: an order snapshot becomes stored order lines and backorder records.

Which lines are short:
- WooCommerce lines that carry the store's 'Backordered' meta are short by that value.
- Every other line draws on a stock position (Shopify variant, WooCommerce product or variation).
  A position the store reports at -N is N units short, minus the units already explained by meta.
  Those units go to the lines of the orders placed last (``assign_shortage``), and every position
  an order touches is re-evaluated whenever an order for it is captured, so late, repeated and
  out-of-order deliveries all converge on the same records.

A line's quantity is the units still on it (Shopify ``current_quantity``): an order edit or a refund
that takes units off lowers its claim on the stock and so its backorder; a line taken down to 0 is
treated like a removed line (its open backorder is withdrawn), and one that goes back up is assigned
shortage again by the same re-evaluation.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.capture import promise
from connector.capture.repository import CaptureRepository
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.model import BackorderStatus, OrderSnapshot, StockLevel, StockRef
from connector.ports import StorePlatform
from connector.reports.redemptions import record_redemptions
from connector.restock.positions import PositionEvaluation as _Restock
from connector.shipping.closing import close_shipped_lines

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
            early = early_outcome(shop_id, snapshot, existing)
            if early is not None:
                return early
            refs = {line.stock_key: StockRef(line.product_id, line.variant_id)
                    for line in (existing.lines if existing else []) if line.stock_key}
            refs.update({line.stock_key: StockRef(line.product_id, line.variant_id)
                         for line in snapshot.lines if line.stock_key})
            keys = sorted(refs)
            store_asked = existing is not None and existing.store_promise_checked_at is not None
            known = existing is not None
        levels = platform.stock_levels(list(refs.values())) if refs else {}
        stated = promise.gather(uow, platform, shop_id, snapshot, levels, store_asked_before=store_asked)
        with uow:
            # read again: it may have changed while the store was asked. An order that was not there is
            # still not: only capture stores orders, under this shop's lock (a racing INSERT from a process
            # without it fails on the unique key, and the event is retried)
            existing = uow.orders.get(shop_id, snapshot.order_id) if known else None
            early = early_outcome(shop_id, snapshot, existing)
            if early is not None:
                return early
            order, outcome = upsert(uow, shop_id, snapshot, existing, stated)
            if snapshot.discount_codes:  # a consolation code used: the KPIs count it (issue 15)
                record_redemptions(uow, shop_id, order, snapshot.discount_codes)
            changed = reevaluate(uow, shop_id, keys, levels, order)
            if order.status == "cancelled":
                changed |= cancel_backorders(order)
            uow.commit()
    log.info("order captured", extra={"shop_id": shop_id, "order": snapshot.order_id, "outcome": outcome,
                                      "changed_orders": len(changed)})
    return CaptureResult(snapshot.order_id, outcome, changed)


def early_outcome(shop_id: int, snapshot: OrderSnapshot, existing: Order | None) -> CaptureResult | None:
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
    stored = {(line.platform_line_id, line.quantity, line.backordered_meta, line.quantity_fulfilled)
              for line in existing.lines if line.quantity > 0}
    given = {(line.line_id, line.quantity, line.backordered_meta, line.fulfilled_quantity)
             for line in snapshot.lines if line.quantity > 0}
    return stored != given


def upsert(uow: UnitOfWork, shop_id: int, snapshot: OrderSnapshot, order: Order | None,
           stated: promise.Gathered | None, *, flush: bool = True) -> tuple[Order, str]:
    """Write the snapshot onto the order (staged when new); ``flush=False`` leaves the flush and what
    follows it (``after_flush``) to the caller, so that a batch of orders is one flush (batch.py)."""
    outcome = "updated"
    if order is None:
        # complete before it is flushed: one INSERT, and an empty collection that is never loaded
        order = Order(shop_id=shop_id, platform_order_id=snapshot.order_id, name=snapshot.name,
                      ordered_at=snapshot.created_at, platform_updated_at=snapshot.updated_at,
                      status="open", needs_mark=False, customer_email=snapshot.customer_email,
                      financial_status=snapshot.financial_status, lines=[])
        uow.orders.stage(order)
        outcome = "created"
    order.name = snapshot.name
    order.customer_email = snapshot.customer_email
    order.financial_status = snapshot.financial_status
    order.platform_updated_at = snapshot.updated_at
    order.ordered_at = snapshot.created_at
    if snapshot.tags is not None:  # the store's tags (restock.priority_tags); None: the payload did not say
        order.tags = snapshot.tags or None
    order.currency = snapshot.currency or order.currency
    order.locale = snapshot.locale or order.locale  # the customer's language (messages); kept when not given
    order.ship_choice = snapshot.ship_choice or order.ship_choice  # ready_now | together (holds); kept when not given
    order.customer_first_name = snapshot.customer_first_name or order.customer_first_name  # greeting (issue 18)
    order.status_url = snapshot.status_url or order.status_url  # the order's page in the store (messages' footer)
    if snapshot.cancelled or order.status == "cancelled":
        order.status = "cancelled"
        outcome = "cancelled"

    by_id = {line.platform_line_id: line for line in order.lines}
    seen = set()
    for snap in snapshot.lines:
        seen.add(snap.line_id)
        line = by_id.get(snap.line_id)
        if line is None:
            line = OrderLine(shop_id=shop_id, platform_line_id=snap.line_id, backorder=None,  # known: none yet
                             quantity=snap.quantity)
            order.lines.append(line)
        elif order.status != "cancelled":
            # Shopify's current quantities drop to 0 when it cancels: the stored lines of a cancelled
            # order keep the units that were cancelled (it claims no stock either way).
            line.quantity = snap.quantity
        line.sku = snap.sku
        line.product_id = snap.product_id
        line.variant_id = snap.variant_id
        line.stock_key = snap.stock_key
        line.title = snap.title[:500]
        line.backordered_meta = snap.backordered_meta
        line.quantity_fulfilled = min(snap.fulfilled_quantity, line.quantity)
        line.unit_price = snap.unit_price if snap.unit_price is not None else line.unit_price
    for line_id, line in by_id.items():
        if line_id not in seen:  # removed by an order edit: keep the row for history, take nothing
            line.quantity = 0
            line.backordered_meta = None
    promise.record(uow, shop_id, order, stated)  # before the flush: a new order is one INSERT with its promise
    if flush:
        uow.orders.flush()
        after_flush(uow, shop_id, snapshot, order)
    return order, outcome


def after_flush(uow: UnitOfWork, shop_id: int, snapshot: OrderSnapshot, order: Order) -> None:
    """What shipped closes (part of) its backorder before re-evaluation reads the lines' claims."""
    shipped_at = {snap.line_id: snap.fulfilled_at for snap in snapshot.lines if snap.fulfilled_at is not None}
    close_shipped_lines(uow, shop_id, order, shipped_at, snapshot.updated_at)


@dataclass(frozen=True)
class _OpenLine:
    """One open line as re-evaluation reads it: plain columns, because a busy stock position has
    hundreds of open lines and every capture on it reads them all (entities cost ~10x more)."""

    id: int
    stock_key: str
    order_id: str
    line_id: str
    ordered_at: datetime
    quantity: int
    backordered_meta: int | None
    backorder_status: str | None
    backorder_quantity: int | None
    fulfilled: int = 0
    """Units of the line the store reports shipped: they no longer draw on the stock position."""
    shipped: int | None = None
    """Backordered units of its backorder already shipped (None without a backorder)."""
    allocated: int | None = None
    """Units of arrived stock set aside for its backorder (None without a backorder)."""
    tags: str | None = None
    """The order's store tags (for the shop's priority tags)."""

    @property
    def claim(self) -> int:
        """Units of the line still drawing on the position: its quantity less its shipped units."""
        return max(0, self.quantity - self.fulfilled)

    def current(self) -> int | None:
        """Units of its waiting (open or allocated) backorder, None when it has none waiting."""
        waiting = (BackorderStatus.OPEN, BackorderStatus.ALLOCATED)
        return self.backorder_quantity if self.backorder_status in waiting else None

    def changes_at(self, quantity: int) -> bool:
        """Whether ``_apply(line, quantity)`` would change anything (the same rules, on columns)."""
        if self.backorder_status is None:
            return quantity > 0
        if self.backorder_status == BackorderStatus.OPEN:
            allocated = self.allocated or 0
            return quantity <= 0 or self.backorder_quantity != quantity or 0 < allocated >= quantity
        return self.backorder_status == BackorderStatus.WITHDRAWN and quantity > 0


def _open_lines(uow: UnitOfWork, shop_id: int, keys: list[str]) -> list[_OpenLine]:
    """Lines of open orders on these stock positions, with their backorder (same set as
    ``OrderRepository.open_lines_for``), as columns in one query."""
    return [_OpenLine(*row) for row in uow.repo(CaptureRepository).open_line_columns(shop_id, keys)]


def reevaluate(uow: UnitOfWork, shop_id: int, keys: list[str], levels: dict[str, StockLevel],
               order: Order | None, *, stock_event: bool = False, granted: list[int] | None = None,
               in_hand: Sequence[Order] = ()) -> set[str]:
    """Recompute the backorders of every open line on these stock positions.

    The shortage is computed on columns; only the lines whose backorder changes are written, as
    entities: the captured ``order``'s own lines are in hand, others are loaded (usually none).
    A position the store reported goes through restock's evaluation (connector/restock/positions.py):
    on a ``stock_event`` stock that arrived is allocated first come, first served ('allocated'); a
    line no longer short for any other reason is withdrawn.
    """
    by_key: dict[str, list[_OpenLine]] = defaultdict(list)
    for open_line in _open_lines(uow, shop_id, keys):
        by_key[open_line.stock_key or ""].append(open_line)
    targets: dict[int, int] = {}
    restock = _Restock(uow, shop_id, [key for key in keys if key in levels], count_arrivals=stock_event)
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
                current = line.current()
                if current is not None:
                    wanted[line.id] = min(current, line.quantity)
        else:  # units short among the unshipped ones, plus those shipped and those set aside
            wanted.update(restock.settle(key, level, lines))
        targets.update({line.id: wanted.get(line.id, 0) for line in lines
                        if line.changes_at(wanted.get(line.id, 0)) or line.id in restock.grants})
    if not targets:
        return set()
    changed: set[str] = set()
    held = [order, *in_hand] if order is not None else list(in_hand)  # their lines are loaded: no query
    entities = [line for held_order in held for line in held_order.lines if line.id in targets]
    others = sorted(set(targets) - {line.id for line in entities})
    if others:
        entities += uow.orders.lines(others)
    flagged: dict[int, Order] = {}
    for entity in sorted(entities, key=lambda e: e.id):
        allocated = restock.grant(entity)
        if _apply(uow, shop_id, entity, targets[entity.id]) or allocated:
            flagged[id(entity.order)] = entity.order
            changed.add(entity.order.platform_order_id)
    uow.repo(CaptureRepository).flag_for_marks(list(flagged.values()))
    if granted is not None:
        granted.extend(restock.granted_backorders)
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
            promised_date=line.promised_on,  # the ship-by date the customer saw for this line, if any
        ))
        return True
    if backorder.status == BackorderStatus.OPEN:
        allocated = backorder.quantity_allocated or 0
        if 0 < allocated and quantity <= allocated:  # every unit still counted is set aside
            backorder.quantity_backordered = allocated
            backorder.status = BackorderStatus.ALLOCATED.value
            return True
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


def cancel_backorders(order: Order) -> set[str]:
    changed: set[str] = set()
    for line in order.lines:
        backorder = line.backorder
        # waiting ones: units short, or set aside for it (their units go back to the position's pool)
        if backorder is not None and backorder.status in (BackorderStatus.OPEN, BackorderStatus.ALLOCATED):
            backorder.status = BackorderStatus.CANCELLED.value
            backorder.closed_at = utcnow()
            changed.add(order.platform_order_id)
    return changed
