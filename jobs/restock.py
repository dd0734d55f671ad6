"""Restock jobs: read the store stock of every position with waiting backorders (webhooks get lost:
WooCommerce never retries one), and release the fulfillment holds of lines that got arriving stock so
the merchant can ship them at once. Each takes ids and is safe to run twice."""

from __future__ import annotations

import logging
from typing import Any

from connector.capture.marks import write_marks
from connector.capture.stock import read_waiting_positions
from connector.domain.clock import utcnow
from connector.dropship.holds import release_settled_holds
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from connector.shop_settings import get_setting
from jobs import runtime

log = logging.getLogger(__name__)

TICK_MINUTES = 5
"""How often the clock looks for shops whose stock read is due (restock.stock_read_minutes each)."""


@retry_policy(RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=1800))
def read_store_stock(shop_id: int) -> int:
    """Read the store stock of the shop's positions with waiting backorders and allocate what arrived;
    returns how many positions were read."""
    c = runtime.container()
    platform = c.platform_for(shop_id)
    report = read_waiting_positions(c.uow(), platform, shop_id)
    if report.changed_orders:
        write_marks(c.uow(), platform, shop_id)
    if report.allocated:
        after_allocation(c, shop_id)
    return report.positions


def after_allocation(container: Any, shop_id: int) -> None:
    """Units were set aside (a stock read, a supplier snapshot, a purchase-order receipt): release those
    lines' holds and ask for the shop's payment pass now (a balance due when the goods are ready, a hold
    waiting for payment), not at the next schedule tick. Both recorded and coalesced per shop."""
    from jobs.payments import after_event

    runtime.enqueue_run(container, release_allocated_holds, shop_id, shop_id=shop_id, coalesce=True)
    after_event(container, shop_id)


@retry_policy(RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=900))
def release_allocated_holds(shop_id: int) -> int:
    """Release the holds of the shop's lines that no longer wait for restock (allocated, withdrawn or
    shipped): the store's signal that the line is ready to ship. Returns how many backorders'."""
    c = runtime.container()
    return len(release_settled_holds(c.uow(), c.store_fulfillment(shop_id), shop_id))


@retry_policy(RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=900))
def allocate_supplier_stock(supplier_id: int, snapshot_id: int) -> int:
    """After a supplier poll, for a shop that ships from its supplier's warehouse
    (restock.ship_from_supplier_stock): allocate the supplier's stock of SKUs with waiting backorders,
    once per snapshot and SKU. Returns the units allocated."""
    from connector.restock.arrivals import supplier_stock_arrived
    from connector.restock.repository import RestockRepository
    from connector.supply.repository import SupplyRepository

    c = runtime.container()
    with c.uow() as uow:
        supplier = uow.repo(SupplyRepository).supplier(supplier_id)
        if supplier is None:
            return 0
        shop_id = supplier.shop_id
        quantities = uow.repo(RestockRepository).supplier_quantities(shop_id, supplier_id)
    if not quantities:
        return 0
    reports = supplier_stock_arrived(c.uow(), shop_id, quantities, f"supplier:{supplier_id}:snapshot:{snapshot_id}")
    units = sum(report.units_allocated for report in reports)
    if units:
        after_allocation(c, shop_id)
    return units


def due(minute: int, interval: int, offset: int, tick: int = TICK_MINUTES) -> bool:
    """Whether a read every ``interval`` minutes (shifted by ``offset``) falls in the tick that ends
    at ``minute`` (minutes since the epoch): stateless, so a restarted clock neither skips nor repeats."""
    if interval <= 0:
        return False
    return (minute - offset) // interval != (minute - offset - tick) // interval


def enqueue_stock_reads(container: Any) -> int:
    """Queue the stock read of every active shop whose ``restock.stock_read_minutes`` is due in this
    tick (jobs/schedules.py runs it every TICK_MINUTES); returns how many were queued."""
    minute = int(utcnow().timestamp() // 60)
    with container.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    queued = 0
    for shop_id in shop_ids:
        interval = get_setting(container.uow(), shop_id, "restock.stock_read_minutes")
        if due(minute, interval, shop_id % max(1, interval)):
            runtime.enqueue(container, read_store_stock, shop_id)
            queued += 1
    return queued


READ = job_ref(read_store_stock)
RELEASE = job_ref(release_allocated_holds)
SUPPLIER_STOCK = job_ref(allocate_supplier_stock)
