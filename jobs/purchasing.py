"""Purchasing jobs: propose a shop's purchase orders, send one approved order, read deliveries. Each
takes ids and is safe to run twice (see connector/purchasing/place.py)."""

from __future__ import annotations

import logging
from typing import Any

from connector.job_refs import job_ref
from connector.purchasing import place, work
from jobs import runtime

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 60
"""How often every active shop's waiting backorders are batched into purchase orders."""


def run_purchasing(shop_id: int) -> int:
    """Propose what is due, queue the sending of approved orders, read deliveries; returns orders proposed."""
    c = runtime.container()
    report = work.propose_orders(c, shop_id)
    for po_id in place.due_orders(c.uow(), shop_id):  # the order row is the ledger: the next run lists it again
        runtime.enqueue(c, send_purchase_order, po_id)
    if work.poll_receipts(c, shop_id):  # a delivery recorded is allocated: release holds, take payments now
        from jobs.restock import after_allocation

        after_allocation(c, shop_id)
    return len(report.proposed)


def send_purchase_order(po_id: int) -> str:
    c = runtime.container()
    return work.send_order(c, po_id, retry=lambda order, delay: runtime.enqueue(
        c, send_purchase_order, order, delay_seconds=delay))


def enqueue_purchasing_jobs(container: Any) -> int:
    """Queue purchasing for every active shop, spread over half the interval (jobs/schedules.py)."""
    from jobs.schedules import spread_seconds

    window = INTERVAL_MINUTES * 60 * 0.5
    with container.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    for shop_id in shop_ids:
        runtime.enqueue(container, run_purchasing, shop_id, delay_seconds=spread_seconds(shop_id, window))
    return len(shop_ids)


RUN = job_ref(run_purchasing)
SEND = job_ref(send_purchase_order)
