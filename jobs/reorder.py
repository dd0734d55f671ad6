"""Reorder advice jobs (issue 15 item 2): the shop's sales history read once in full (resumable: a
restarted or retried run goes on from the last page kept), and the daily fold of the orders capture
stored since the watermark, each followed by the advice computed and stored (connector/reorder/stored.py),
and the app's "recompute now". The work is in connector/reorder/; each job takes a shop id.

Schedules (jobs/schedules.py): ``enqueue_folds`` once a day (every active shop: fold, or queue the read
when the history is not read yet or its read stopped), ``enqueue_first_reads`` every hour (active shops
never read, e.g. just installed: their first read is queued once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector.domain.clock import utcnow
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from connector.reorder import history, stored
from connector.reorder.repository import ReorderRepository
from connector.reorder.runs import request_read
from jobs import runtime

if TYPE_CHECKING:
    from connector.bootstrap import Container

log = logging.getLogger(__name__)

FOLD_HOUR_UTC = 2
"""The daily fold starts at this hour (UTC), spread over ``FOLD_SPREAD_SECONDS`` per shop."""
FOLD_SPREAD_SECONDS = 3600.0
FIRST_READ_MINUTES = 60


@dataclass(frozen=True)
class HistoryRead:
    status: str
    pages: int
    orders_read: int
    orders_total: int | None
    folded: int
    advised: int = 0
    """SKUs whose advice was computed and stored after the read (0: the read is not done yet)."""


@retry_policy(RetryPolicy(retries=3, intervals=(60, 600, 3600), timeout=6 * 3600))
def read_sales_history(shop_id: int) -> HistoryRead:
    """Read the shop's order history from where it stopped, then fold the captured orders."""
    c = runtime.container()
    state = history.read_history(c.uow(), c.sales_history(shop_id), shop_id, utcnow())
    folded = advised = 0
    if state.status == "done":
        folded = history.fold_captured(c.uow(), shop_id, utcnow())
        advised = len(stored.recompute(c.uow(), shop_id))
    return HistoryRead(state.status, state.pages, state.orders_read, state.orders_total, folded, advised)


@retry_policy(RetryPolicy(retries=2, intervals=(300, 1800), timeout=1800))
def fold_sales(shop_id: int) -> int:
    """The daily fold of captured orders, then the advice computed and stored for the shop's new day; a
    shop whose history read is not done gets the read queued (it folds and computes when it finishes).
    Returns the captured orders folded."""
    c = runtime.container()
    if history.progress(c.uow(), shop_id).status != "done":
        request_read(c.engine, c.queue, c.uow(), shop_id)
        return 0
    folded = history.fold_captured(c.uow(), shop_id, utcnow())
    stored.recompute(c.uow(), shop_id)
    return folded


@retry_policy(RetryPolicy(retries=2, intervals=(60, 600), timeout=1800))
def recompute_advice(shop_id: int) -> int:
    """Compute the shop's reorder advice now and store it (the app's "recompute now"). Returns the SKUs advised."""
    c = runtime.container()
    return len(stored.recompute(c.uow(), shop_id))


def enqueue_folds(container: Container) -> int:
    """Queue the daily fold for every active shop, spread over an hour."""
    from jobs.schedules import spread_seconds

    with container.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    for shop_id in shop_ids:
        runtime.enqueue(container, fold_sales, shop_id,
                        delay_seconds=spread_seconds(shop_id, FOLD_SPREAD_SECONDS))
    return len(shop_ids)


def enqueue_first_reads(container: Container) -> int:
    """Queue the first history read of every active shop never read (once: a waiting run is joined)."""
    with container.uow() as uow:
        shop_ids = uow.repo(ReorderRepository).shops_never_read()
    for shop_id in shop_ids:
        request_read(container.engine, container.queue, container.uow(), shop_id)
    if shop_ids:
        log.info("sales history reads asked for", extra={"shops": len(shop_ids)})
    return len(shop_ids)


READ = job_ref(read_sales_history)
FOLD = job_ref(fold_sales)
RECOMPUTE = job_ref(recompute_advice)
