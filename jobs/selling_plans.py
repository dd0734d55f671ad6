"""Selling plan jobs: keep each Shopify shop's pre-order selling plan group in line with its settings
and with the variants sold on backorder (connector/payments/selling_plans.py). Safe to run twice: a
sync writes only what differs from what the store has."""

from __future__ import annotations

import logging
from typing import Any

from connector.job_refs import job_ref
from connector.payments import selling_plans
from jobs import runtime

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 30
"""How often the groups are synced (the catalogue and its dates are re-read as often: jobs/supply.py)."""


def sync_selling_plans(shop_id: int) -> str:
    c = runtime.container()
    report = selling_plans.sync_plans(c.uow(), c.selling_plans(shop_id), shop_id)
    return report.describe()


def after_dates_changed(container: Any, shop_id: int) -> bool:
    """Product-page dates changed (jobs/supply.py): a variant may have come back in stock or gone on
    backorder, so a shop on the selling_plan route (or with a group left) is synced now, not at the next
    tick. Returns whether a sync was queued."""
    if not selling_plans.shop_needs_sync(container.uow(), shop_id):
        return False
    runtime.enqueue_run(container, sync_selling_plans, shop_id, shop_id=shop_id, coalesce=True)
    return True


def enqueue_selling_plan_syncs(container: Any) -> int:
    """Queue a sync for every shop that needs one, spread over half the interval (jobs/schedules.py)."""
    from jobs.schedules import spread_seconds

    window = INTERVAL_MINUTES * 60 * 0.5
    shop_ids = selling_plans.shops_to_sync(container.uow())
    for shop_id in shop_ids:
        runtime.enqueue(container, sync_selling_plans, shop_id, delay_seconds=spread_seconds(shop_id, window))
    return len(shop_ids)


SYNC = job_ref(sync_selling_plans)
