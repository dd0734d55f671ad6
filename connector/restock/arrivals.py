"""Units arriving from outside the store's own count: purchase-order receipts and supplier stock.

``units_arrived`` is the public entry point (the purchase-order receipt calls it): it allocates the
units first come, first served to the backorders of that SKU still waiting for units, once per
(source, reference). Units allocated from a purchase-order receipt are credited to their stock
position: when the merchant then counts the received units into the store, the increase the store
reports consumes the credit first and nothing is allocated twice (connector/domain/allocation.py
``arrived``). The other way round, units the store counted in while they were on order (allocated
then as store stock) are matched against the receipt that names them later, which allocates only the
rest (``counted_in``; ``AllocationReport.counted_ahead``).

Supplier stock (``restock.ship_from_supplier_stock``): for merchants whose supplier ships from its own
warehouse, a supplier poll that reports quantity > 0 for a SKU with waiting backorders allocates up to
that quantity, source 'supplier_stock', reference the snapshot.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from connector.db.uow import UnitOfWork
from connector.restock.allocation import AllocationReport, Arrival, Granted, allocate_arrivals
from connector.restock.batches import allocate_in_transactions
from connector.restock.repository import RestockRepository
from connector.restock.settings import setting

__all__ = ["AllocationReport", "Granted", "supplier_stock_arrived", "units_arrived"]

log = logging.getLogger(__name__)


def units_arrived(uow: UnitOfWork, shop_id: int, sku: str, units: int, *, source: str,
                  reference: str) -> AllocationReport:
    """Allocate ``units`` of ``sku`` FCFS to the shop's backorders waiting for units.

    Call it outside an open ``with uow:`` block and without holding the shop lock: it takes
    ``uow.shop_lock(shop_id)`` and commits its own transaction. Idempotent per (source, reference):
    a second call with the same pair allocates nothing and reports ``duplicate=True``.
    ``source`` is 'purchase_order' or 'supplier_stock' ('store_stock' is the store's own count,
    read by the stock-position evaluation). ValueError for an unknown source, negative units or an
    empty reference.
    """
    arrival = Arrival(sku, units, source, reference)
    if uow.session is not None:
        raise RuntimeError("units_arrived opens its own transaction: call it outside `with uow:`")
    with uow.shop_lock(shop_id), uow:
        [report] = allocate_arrivals(uow, shop_id, [arrival])
        uow.commit()
    return report


def supplier_stock_arrived(uow: UnitOfWork, shop_id: int, quantities: Mapping[str, int],
                           snapshot_reference: str) -> list[AllocationReport]:
    """Allocate a supplier's reported stock (SKU -> quantity) to waiting backorders when the shop ships
    from the supplier's stock; nothing when it does not. One arrival per SKU with quantity > 0,
    reference ``<snapshot_reference>:<sku>``, so re-processing the snapshot allocates nothing again.

    The supplier's quantity is an absolute level (what it has now): units already set aside from
    supplier stock for backorders still waiting are subtracted, so a later poll reporting the same
    stock allocates nothing more."""
    if uow.session is not None:
        raise RuntimeError("supplier_stock_arrived opens its own transactions: call it outside `with uow:`")
    with uow.shop_lock(shop_id):  # held from the read of what is set aside to the last allocation's commit
        with uow:
            if not setting(uow, shop_id, "restock.ship_from_supplier_stock"):
                return []
            skus = [sku for sku, quantity in quantities.items() if quantity > 0]
            set_aside = uow.repo(RestockRepository).allocated_from(shop_id, "supplier_stock", skus)
        arrivals = [Arrival(sku, quantities[sku] - set_aside.get(sku, 0), "supplier_stock",
                            f"{snapshot_reference}:{sku}"[:255])
                    for sku in sorted(skus) if quantities[sku] > set_aside.get(sku, 0)]
        # a big supplier's snapshot: a few hundred SKUs a transaction, the next ones' waiting rows read
        # ahead (connector/restock/batches.py); each arrival's reference is processed once, so a poll
        # that fails half way allocates only the rest when it runs again
        reports = allocate_in_transactions(uow, shop_id, arrivals)
    log.info("supplier stock allocated", extra={"shop_id": shop_id, "snapshot": snapshot_reference,
                                                "skus": len(arrivals),
                                                "allocated": sum(r.units_allocated for r in reports)})
    return reports
