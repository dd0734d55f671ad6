"""Units arriving from outside the store's own count: purchase-order receipts and supplier stock.

``units_arrived`` is the public entry point (helper C's purchase-order receipt calls it):
it allocates the units first come, first served to the backorders of that SKU still waiting for
units, once per (source, reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.db.uow import UnitOfWork


@dataclass(frozen=True)
class Granted:
    """Units set aside for one backorder by one arrival."""

    backorder_id: int
    order_id: str
    quantity: int
    fully_allocated: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllocationReport:
    """What one arrival did."""

    source: str
    reference: str
    units: int
    granted: tuple[Granted, ...] = field(default_factory=tuple)
    duplicate: bool = False
    """The arrival (source, reference) had been processed before: nothing was allocated now."""

    @property
    def units_allocated(self) -> int:
        return sum(g.quantity for g in self.granted)

    @property
    def units_left(self) -> int:
        return self.units - self.units_allocated


def units_arrived(uow: UnitOfWork, shop_id: int, sku: str, units: int, *, source: str,
                  reference: str) -> AllocationReport:
    """Allocate ``units`` of ``sku`` FCFS to the shop's backorders waiting for units.

    Call it outside an open ``with uow:`` block and without holding the shop lock: it takes
    ``uow.shop_lock(shop_id)`` and commits its own transaction. Idempotent per (source, reference):
    a second call with the same pair allocates nothing and reports ``duplicate=True``.
    ``source`` is 'purchase_order' or 'supplier_stock' ('store_stock' is the store's own count,
    read by the stock-position evaluation).
    """
    raise NotImplementedError("units_arrived lands in the next commit")
