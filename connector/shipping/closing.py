"""Closing a backorder when its units ship, by whatever path.

A waiting backorder (``open``, or ``allocated`` once restock units were set aside for it) counts
its shipped units in ``quantity_shipped``; each shipment that covered some of them is one
``backorder_shipments`` row. When every backordered unit has shipped it becomes ``fulfilled`` with
``closed_at`` (the shipment's time when the store says it) and ``fulfilled_via``:

- ``merchant``: the store reports the line's units fulfilled (Shopify fulfillments, WooCommerce
  ``completed`` or shipment tracking), read on every order capture (webhook or reconciliation);
- ``allocation``: the same, for a backorder that had restock units set aside before it shipped;
- ``dropship``: the supplier's parcels (connector/dropship/fulfillment.py, ``record_shipment``).

Which units of a partly shipped line are the backordered ones: the line's in-stock units ship
first (connector/domain/shipping.py). A partial shipment records what shipped and keeps the rest
waiting. The order's ``needs_mark`` is set on every recorded shipment, so the store mark follows the
remaining units and comes off when no waiting backorder is left (connector/capture/marks.py).

Idempotent: the store's view is cumulative (units fulfilled so far), so each merchant shipment row's
reference is ``units:<backordered units shipped so far>``; the same state read twice (webhook and
reconciliation, or the same webhook again) finds nothing new, and the (backorder, reference) key
refuses a second row. Shipped units never go back: a stale read cannot reopen a backorder, and a
fulfillment cancelled after the backorder closed leaves it fulfilled (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import BackorderStatus
from connector.domain.shipping import decide
from connector.shipping.models import VIA_ALLOCATION, VIA_MERCHANT, VIAS, BackorderShipment
from connector.shipping.repository import ShippingRepository

log = logging.getLogger(__name__)

WAITING = (BackorderStatus.OPEN.value, BackorderStatus.ALLOCATED.value)
"""Statuses of a backorder still waiting for its units (both keep the store mark on the order)."""


def close_shipped_lines(uow: UnitOfWork, shop_id: int, order: Order, shipped_at: Mapping[str, datetime],
                        default_time: datetime) -> int:
    """Record what the store reports shipped on each line of ``order`` (its lines' ``quantity_fulfilled``
    already updated); ``shipped_at`` gives a line's shipment time by platform line id when the store
    said it, else ``default_time``. Returns how many backorders recorded a shipment."""
    recorded = 0
    for line in order.lines:
        backorder = line.backorder
        if backorder is None:
            continue
        if backorder.status not in WAITING:
            if backorder.status == BackorderStatus.FULFILLED and line.quantity_fulfilled < backorder.quantity_shipped \
                    and backorder.fulfilled_via in (VIA_MERCHANT, VIA_ALLOCATION):
                log.warning("store reports fewer units shipped than recorded; backorder stays fulfilled",
                            extra={"shop_id": shop_id, "backorder_id": backorder.id,
                                   "fulfilled": line.quantity_fulfilled, "shipped": backorder.quantity_shipped})
            continue
        decision = decide(line.quantity, line.quantity_fulfilled, backorder.quantity_backordered,
                          backorder.quantity_shipped)
        if not decision.newly_shipped:
            continue
        total = backorder.quantity_shipped + decision.newly_shipped
        via = VIA_ALLOCATION if _was_allocated(backorder) else VIA_MERCHANT
        when = shipped_at.get(line.platform_line_id) or default_time
        if record_shipment(uow, shop_id, line, backorder, decision.newly_shipped, when, via, f"units:{total}"):
            recorded += 1
            log.info("backordered units shipped", extra={"shop_id": shop_id, "backorder_id": backorder.id,
                                                         "units": decision.newly_shipped, "via": via,
                                                         "reason": decision.reason})
    return recorded


def record_shipment(uow: UnitOfWork, shop_id: int, line: OrderLine, backorder: Backorder, quantity: int,
                    shipped_at: datetime, via: str, reference: str) -> bool:
    """Record ``quantity`` backordered units shipped by one event (once per ``reference``), close the
    backorder when every unit has shipped, and flag the order for its store mark. False when the
    event was already recorded or the backorder no longer waits."""
    if via not in VIAS:
        raise ValueError(f"unknown shipment path {via!r}")
    if quantity <= 0 or backorder.status not in WAITING:
        return False
    repo = uow.repo(ShippingRepository)
    if backorder.id is not None and repo.has_shipment(backorder.id, reference):
        return False
    quantity = min(quantity, max(0, backorder.quantity_backordered - backorder.quantity_shipped))
    if quantity <= 0:
        return False
    repo.add(BackorderShipment(shop_id=shop_id, backorder_id=backorder.id, quantity=quantity,
                               shipped_at=shipped_at, via=via, reference=reference[:255]))
    backorder.quantity_shipped += quantity
    if backorder.quantity_shipped >= backorder.quantity_backordered:
        backorder.status = BackorderStatus.FULFILLED.value
        backorder.closed_at = shipped_at
        backorder.fulfilled_via = via
        log.info("backorder fulfilled", extra={"shop_id": shop_id, "backorder_id": backorder.id, "via": via})
    line.order.needs_mark = True
    return True


def _was_allocated(backorder: Backorder) -> bool:
    """Restock units were set aside for it before it shipped (helper B's allocation, 0017)."""
    return backorder.status == BackorderStatus.ALLOCATED or (getattr(backorder, "quantity_allocated", 0) or 0) > 0
