"""Every schedule, declared in one place. The jobs they start go through the queue.

They are queued with ``runtime.enqueue``: the jobs the merchant's Jobs page lists (jobs/merchant.py
``LISTED``) are recorded there in job_runs (trigger "schedule"), so the merchant sees every run; the
others are not (if Redis is flushed or a worker dies, the next tick asks for the same work again).
Follow-ups that nothing asks for again are recorded.
"""

from __future__ import annotations

import logging
import zlib
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from jobs import install, notify, retention, runtime, shops
from jobs.sweep import sweep

if TYPE_CHECKING:
    from connector.bootstrap import Container

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 30


def spread_seconds(shop_id: int, window: float) -> float:
    """A stable offset per shop inside ``window``, so a thousand shops don't all start at once."""
    return (zlib.crc32(str(shop_id).encode()) % 10_000) / 10_000 * window


def enqueue_shop_jobs(container: Container) -> int:
    """Queue reconciliation and mark sync for every active shop, spread over the interval."""
    window = container.settings.reconcile_interval_minutes * 60 * 0.5
    with container.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    for shop_id in shop_ids:
        delay = spread_seconds(shop_id, window)
        runtime.enqueue(container, shops.reconcile, shop_id, delay_seconds=delay)
        runtime.enqueue(container, shops.sync_marks, shop_id, delay_seconds=delay)
        # time alone makes messages due (delay-notice deadlines, unknown dates near the promise) and
        # ages backorders past pile-up thresholds, so these run on schedule too, not only on date changes
        runtime.enqueue(container, notify.evaluate_backorders, shop_id, delay_seconds=delay)
        runtime.enqueue(container, notify.check_pileups, shop_id, delay_seconds=delay)
    return len(shop_ids)


def build_scheduler(container: Container) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(lambda: runtime.enqueue(container, sweep), "interval", seconds=SWEEP_INTERVAL_SECONDS,
                      id="sweep")
    scheduler.add_job(enqueue_shop_jobs, "interval", args=[container],
                      minutes=container.settings.reconcile_interval_minutes, id="shop-jobs")
    from jobs.supply import add_supply_schedules

    add_supply_schedules(scheduler, container)  # per-supplier polling (interval or cron), catalogue sync
    scheduler.add_job(lambda: runtime.enqueue(container, install.health_check), "interval",
                      minutes=install.HEALTH_INTERVAL_MINUTES, id="install-health")
    scheduler.add_job(lambda: runtime.enqueue(container, install.refresh_due_tokens), "interval",
                      minutes=install.TOKEN_SWEEP_MINUTES, id="token-refresh")
    from jobs import dropship

    scheduler.add_job(dropship.enqueue_dropship_jobs, "interval", args=[container],
                      minutes=dropship.INTERVAL_MINUTES, id="dropship")  # route + poll shipments per shop
    from jobs import purchasing

    scheduler.add_job(purchasing.enqueue_purchasing_jobs, "interval", args=[container],
                      minutes=purchasing.INTERVAL_MINUTES, id="purchasing")  # purchase orders per shop
    from jobs import selling_plans

    scheduler.add_job(selling_plans.enqueue_selling_plan_syncs, "interval", args=[container],
                      minutes=selling_plans.INTERVAL_MINUTES, id="selling-plans")  # pre-order purchase options
    from jobs import restock

    scheduler.add_job(restock.enqueue_stock_reads, "interval", args=[container],
                      minutes=restock.TICK_MINUTES, id="stock-reads")  # store stock of waiting positions
    from jobs import payments

    scheduler.add_job(payments.enqueue_payment_jobs, "interval", args=[container],
                      minutes=payments.INTERVAL_MINUTES, id="payments")  # capture/charge what shipped, per shop
    scheduler.add_job(payments.enqueue_expiry_jobs, "interval", args=[container],
                      minutes=payments.EXPIRY_INTERVAL_MINUTES, id="payments-expiry")  # lapsing authorisations
    scheduler.add_job(lambda: runtime.enqueue(container, retention.prune), "interval",
                      minutes=retention.INTERVAL_MINUTES, id="retention")  # finished events, spent install records
    from jobs import reorder

    scheduler.add_job(reorder.enqueue_folds, "cron", args=[container], hour=reorder.FOLD_HOUR_UTC,
                      id="reorder-fold")  # captured orders into the sales history, daily per shop
    scheduler.add_job(reorder.enqueue_first_reads, "interval", args=[container],
                      minutes=reorder.FIRST_READ_MINUTES, id="reorder-first-reads")  # shops never read
    from jobs import reports

    scheduler.add_job(reports.enqueue_weekly_digests, "cron", args=[container], hour=reports.DIGEST_HOUR_UTC,
                      id="weekly-digest")  # daily tick; each shop's digest goes once per ISO week (the first tick)
    return scheduler
