"""Supply jobs: poll a supplier, refresh a shop's dates, publish them, mirror the catalogue.

The chain: poll_supplier (changes stored) -> refresh_dates (SKU and backorder dates) ->
publish_dates (product pages) and, when the notify feature is installed,
jobs.notify.evaluate_backorders. sync_catalog -> refresh_dates. Every job takes ids and is safe
to run twice: each step writes only what differs from what is stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from connector.db import job_runs
from connector.job_refs import job_ref
from connector.shop_settings import get_setting
from connector.supply import catalog as catalog_service
from connector.supply import dates as dates_service
from connector.supply import publish as publish_service
from connector.supply import suppliers as supplier_service
from jobs import notify, runtime

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from connector.bootstrap import Container

log = logging.getLogger(__name__)

CATALOG_SYNC_MINUTES = 30
"""How often every active shop's catalogue (SKUs, stock, backorder setting, page dates) is re-read."""
SCHEDULE_RELOAD_SECONDS = 60
"""How often the scheduler picks up added, changed or removed supplier schedules."""

_publish_locks: dict[int, threading.Lock] = {}
_publish_guard = threading.Lock()


def poll_supplier(supplier_id: int, wait_seconds: float = 0.0) -> str:
    """Poll one supplier; ``wait_seconds``: how long to wait for a poll of it already running (a push
    asks for a poll after that one read the source), else ``busy``."""
    c = runtime.container()
    shop_id = supplier_service.supplier_shop(c.uow(), supplier_id)
    # a shop shipping from its supplier's stock allocates after every poll, also an unchanged one: keep its snapshot
    ships = shop_id is not None and bool(get_setting(c.uow(), shop_id, "restock.ship_from_supplier_stock"))
    report = supplier_service.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client,
                                            record_progress=True,  # rows so far, for the app's poll page
                                            wait_seconds=wait_seconds, keep_unchanged=ships,
                                            catalogue=c.catalog_for)  # a first poll reads the catalogue first
    if report.status == "busy":  # another poll of this supplier is running: it reads the same source
        return report.status
    if report.status == "ok" and report.rows_changed:  # the next poll sees no change: record this one
        runtime.enqueue_run(c, refresh_dates, report.shop_id, report.snapshot_id, shop_id=report.shop_id,
                            coalesce=True)
    if report.status == "postponed":  # the shop's catalogue could not be read: the next poll tries again
        return report.status
    if report.status == "failed":
        alert_supplier_down(report)
    elif ships and report.snapshot_id is not None:  # its stock ships to customers
        from jobs.restock import allocate_supplier_stock

        runtime.enqueue_run(c, allocate_supplier_stock, report.supplier_id, report.snapshot_id,
                            shop_id=report.shop_id)
    return report.status


def alert_supplier_down(report: supplier_service.PollReport) -> bool:
    """Tell the merchant once per outage (by the shop's alert email and Slack webhook) that a supplier
    keeps failing and that its last good stock and dates stay in force; an SFTP server whose host key
    changed gets its own alert, naming both keys and how to trust the new one."""
    from connector.dropship.place import alert
    from connector.supply.repository import SupplyRepository
    from jobs.dropship import deliver_alerts

    c = runtime.container()
    with c.uow() as uow:
        supplier = uow.repo(SupplyRepository).supplier(report.supplier_id)
        if supplier is None:
            return False
        name = supplier.name
        since = supplier.last_success_at.isoformat() if supplier.last_success_at else "never"
    if report.error_type == "HostKeyChanged":  # once per outage too: not on every refused poll
        kind, dedupe = "supplier_host_key_changed", f"host-key-changed:{report.supplier_id}:{since}"
        message = (f"Supplier {name}'s SFTP server presented a different host key, so the connector did not "
                   f"log in or read its feed ({report.error}). Someone may be impersonating the server, or the "
                   f"supplier replaced its key: check with the supplier before trusting the new key. Its last "
                   f"good stock and dates stay in force meanwhile.")
    else:  # in plain words, with what the merchant can do (connector/supply/outage.py)
        from connector.dropship.alerts import FEED_DOWN
        from connector.supply.outage import feed_down_alert

        found = feed_down_alert(c.uow(), report.supplier_id, report.error, report.error_type)
        if found is None:
            return False
        kind, dedupe, message = FEED_DOWN, found.dedupe_key, found.message
    new = alert(c.uow(), report.shop_id, kind, dedupe, message)
    deliver_alerts(report.shop_id)
    return new


def refresh_dates(shop_id: int, snapshot_id: int | None = None) -> int:
    """Recompute the shop's dates, or only those of the SKUs the supplier poll ``snapshot_id`` changed;
    returns how many SKU dates changed."""
    c = runtime.container()
    uow = c.uow()
    skus = dates_service.changed_skus(uow, shop_id, snapshot_id) if snapshot_id is not None else None
    with uow.shop_lock(shop_id):
        report = dates_service.refresh_dates(uow, shop_id, set_promised=not notify_available(), skus=skus)
    if report.changed_skus:  # recorded: the next refresh finds nothing changed and would not ask again
        runtime.enqueue_run(c, publish_dates, shop_id, shop_id=shop_id, coalesce=True)
        from jobs.selling_plans import after_dates_changed

        after_dates_changed(c, shop_id)  # the variants sold on backorder may have changed
    if (report.changed_skus or report.backorders_changed) and notify_available():
        runtime.enqueue_run(c, notify.evaluate_backorders, shop_id, shop_id=shop_id, coalesce=True)
    return len(report.changed_skus)


notify_available = dates_service.notify_available


BULK_WAIT_SECONDS = 20.0
"""How long a publish run waits on a running bulk operation before it leaves it to check_bulk_publish."""
BULK_CHECK_SECONDS = 30.0
"""When a bulk operation is still running, its status is read again this much later (or when Shopify's
bulk_operations/finish webhook arrives, whichever comes first)."""


def publish_dates(shop_id: int) -> int:
    """Write changed dates to the product pages; returns how many pages were written or cleared."""
    c = runtime.container()
    with _publish_guard:
        lock = _publish_locks.setdefault(shop_id, threading.Lock())
    with lock:  # one publisher per shop in this process; a second run then finds only what is left
        report = publish_service.publish_dates(c.uow(), c.catalog_for(shop_id), shop_id,
                                               wait_seconds=BULK_WAIT_SECONDS)
    if report.bulk_waiting is not None:  # a job of its own, so a webhook's publish_dates is not held back by it
        runtime.enqueue_run(c, check_bulk_publish, shop_id, shop_id=shop_id, coalesce=True,
                            delay_seconds=BULK_CHECK_SECONDS)
    return report.written + report.removed


def check_bulk_publish(shop_id: int) -> int:
    """Read a running bulk publish again (publish_dates, later): finish it, or check again later."""
    return publish_dates(shop_id)


def sync_catalog(shop_id: int) -> int:
    c = runtime.container()
    report = catalog_service.sync_catalog(c.uow(), c.catalog_for(shop_id), shop_id)
    runtime.enqueue_run(c, refresh_dates, shop_id, shop_id=shop_id, coalesce=True)
    return report.skus


# -- schedules ------------------------------------------------------------------------------------

def trigger_for(schedule: Mapping[str, Any]) -> Any:
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if schedule.get("cron"):
        return CronTrigger.from_crontab(str(schedule["cron"]), timezone="UTC")
    return IntervalTrigger(seconds=supplier_service.interval_seconds(schedule), timezone="UTC")


def sync_supplier_schedules(scheduler: BaseScheduler, container: Container) -> int:
    """Make the scheduler's ``supplier-<id>`` jobs match the suppliers' schedules; returns how many."""
    wanted = {f"supplier-{sid}": (sid, shop_id, schedule)
              for sid, shop_id, schedule in supplier_service.supplier_schedules(container.uow())}
    for job in scheduler.get_jobs():
        if job.id.startswith("supplier-") and job.id not in wanted:
            job.remove()
    for job_id, (supplier_id, shop_id, schedule) in wanted.items():
        existing = scheduler.get_job(job_id)
        signature = repr(sorted(schedule.items()))
        if existing is not None and existing.name == signature:
            continue
        if existing is not None:
            existing.remove()
        scheduler.add_job(enqueue_scheduled_poll, trigger_for(schedule), args=[container, supplier_id, shop_id],
                          id=job_id, name=signature, replace_existing=True)
    return len(wanted)


UNCHANGED = "unchanged"
"""What poll_supplier returns when the supplier said nothing changed."""


def enqueue_scheduled_poll(container: Container, supplier_id: int, shop_id: int) -> int | None:
    """The clock's poll of a supplier, recorded for the app's Jobs page like runtime.enqueue's scheduled
    runs (coalesced with a scheduled poll not started yet). A poll that found nothing changed is replaced
    by the next one (``quiet_result``): at a poll every 10 seconds the ledger keeps the newest unchanged
    poll per supplier, every poll that changed something, and every failure."""
    return job_runs.enqueue_run(container.engine, container.queue, POLL_SUPPLIER, [supplier_id], shop_id=shop_id,
                                coalesce=True, trigger=job_runs.SCHEDULE, quiet_result=UNCHANGED)


def enqueue_catalog_syncs(container: Container) -> int:
    with container.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    for shop_id in shop_ids:
        runtime.enqueue(container, sync_catalog, shop_id)
    return len(shop_ids)


def add_supply_schedules(scheduler: BaseScheduler, container: Container) -> None:
    sync_supplier_schedules(scheduler, container)
    scheduler.add_job(sync_supplier_schedules, "interval", args=[scheduler, container],
                      seconds=SCHEDULE_RELOAD_SECONDS, id="supplier-schedules")
    scheduler.add_job(enqueue_catalog_syncs, "interval", args=[container], minutes=CATALOG_SYNC_MINUTES,
                      id="catalog-sync")


POLL_SUPPLIER = job_ref(poll_supplier)
REFRESH_DATES = job_ref(refresh_dates)
PUBLISH_DATES = job_ref(publish_dates)
CHECK_BULK_PUBLISH = job_ref(check_bulk_publish)
SYNC_CATALOG = job_ref(sync_catalog)
NOTIFY_EVALUATE = notify.EVALUATE_BACKORDERS
"""The notify feature's job, enqueued after dates change (while the notify feature is installed)."""
