"""When the clock runs each of the merchant's jobs (jobs/merchant.py) next for one shop, for the Jobs page.

Worked out from what the clock itself uses: the intervals and hours the schedules are declared with
(jobs/schedules.py and the feature job modules' constants), the shop's settings that switch a fan-out on
or off, a supplier's own interval or cron, and the per-shop spread. An interval schedule's phase is the
clock's (it counts from when the clock took the lead), so its next run is estimated from the last run the
clock started for the shop (job_runs.trigger "schedule"): that tick plus whole intervals, with the same
spread. A daily or cron schedule is exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from connector.domain.clock import utcnow
from connector.job_refs import job_ref
from connector.merchant.job_runs import JobRunRepository, Planned
from connector.shop_settings import get_setting
from jobs import (
    dropship,
    install,
    notify,
    payments,
    purchasing,
    reorder,
    reports,
    restock,
    selling_plans,
    shops,
    supply,
)
from jobs.schedules import spread_seconds

if TYPE_CHECKING:
    from connector.bootstrap import Container


def _minutes(value: float) -> str:
    value = float(value)
    if value >= 60 and value % 60 == 0:
        hours = int(value // 60)
        return "every hour" if hours == 1 else f"every {hours} hours"
    whole = int(value) if value == int(value) else value
    return "every minute" if whole == 1 else f"every {whole} minutes"


def _interval(c: Container, shop_id: int, ref: str, minutes: float, now: datetime,
              args: list[Any] | None = None, subject: str | None = None) -> Planned:
    """An interval schedule: the next start estimated from the last scheduled run (its tick + whole
    intervals, plus the same spread); none yet: no estimate."""
    with c.uow() as uow:
        last = uow.repo(JobRunRepository).last_scheduled(shop_id, ref, args)
    words = _minutes(minutes)
    if last is None:
        return Planned(words, subject=subject)
    due = last.due_at or last.enqueued_at
    if last.status == "pending" and due > now:  # the clock's last ask waits for its spread delay
        return Planned(words, due, subject=subject)
    every = timedelta(minutes=float(minutes))
    tick = last.enqueued_at + every
    if tick + (due - last.enqueued_at) <= now:
        tick += every * ((now - tick) // every + 1)
    return Planned(words, tick + (due - last.enqueued_at), subject=subject)


def _daily(hour: int, spread: float, now: datetime, *, skip: Callable[[datetime], bool] | None = None) -> datetime:
    """The next daily tick at ``hour`` UTC plus ``spread`` seconds after ``now`` (one ``skip`` says no to)."""
    day = now.replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(seconds=spread)
    if day <= now:
        day += timedelta(days=1)
    for _ in range(8):
        if skip is None or not skip(day):
            break
        day += timedelta(days=1)
    return day


def _suppliers(c: Container, shop_id: int, now: datetime) -> list[Planned]:
    from apscheduler.triggers.cron import CronTrigger

    from connector.supply.repository import SupplyRepository

    with c.uow() as uow:
        found = [(s.id, s.name, json.loads(s.settings or "{}").get("schedule"))
                 for s in uow.repo(SupplyRepository).suppliers(shop_id) if s.status == "active"]
    planned = []
    for supplier_id, name, schedule in found:
        if not schedule:
            planned.append(Planned("no schedule: polled when you ask", subject=name))
        elif schedule.get("cron"):
            trigger = CronTrigger.from_crontab(str(schedule["cron"]), timezone="UTC")
            planned.append(Planned(f"on the schedule {schedule['cron']} (cron, UTC)",
                                   trigger.get_next_fire_time(None, now), exact=True, subject=name))
        else:
            planned.append(_interval(c, shop_id, supply.POLL_SUPPLIER, max(1 / 60, float(schedule["interval_minutes"])),
                                     now, [supplier_id], subject=name))
    return planned


def _stock_reads(c: Container, shop_id: int, now: datetime) -> list[Planned]:
    interval = int(get_setting(c.uow(), shop_id, "restock.stock_read_minutes"))
    if interval <= 0:
        return [Planned("not on a schedule: stock reads are off (restock.stock_read_minutes is 0)")]
    minute = int(now.timestamp() // 60)
    offset = shop_id % interval
    boundary = minute + (interval - (minute - offset) % interval)  # restock.due: the next interval boundary
    tick = restock.TICK_MINUTES  # the clock's tick after the boundary reads it
    start = datetime.fromtimestamp(boundary * 60, tz=now.tzinfo) + timedelta(minutes=tick)
    return [Planned(_minutes(interval), start)]


def _weekly_digest(c: Container, shop_id: int, now: datetime) -> list[Planned]:
    from connector.domain.kpis import iso_week
    from connector.reports.digest import SETTING
    from connector.reports.kpi_repository import DigestRepository

    if not get_setting(c.uow(), shop_id, SETTING):
        return [Planned(f"not on a schedule: the weekly digest is off ({SETTING})")]
    with c.uow() as uow:
        sent_this_week = uow.repo(DigestRepository).get(shop_id, iso_week(now.date())) is not None

    def skip(day: datetime) -> bool:  # a week's digest goes once, on its first tick
        return sent_this_week and iso_week(day.date()) == iso_week(now.date())

    start = _daily(reports.DIGEST_HOUR_UTC, spread_seconds(shop_id, reports.SPREAD_SECONDS), now, skip=skip)
    return [Planned("once a week, on the first daily tick of the week", start, exact=True)]


def planned(c: Container, shop_id: int, platform: str, now: datetime | None = None) -> dict[str, list[Planned]]:
    """Per merchant job name, when the clock runs it for the shop (see the module's docstring)."""
    from connector.payments import selling_plans as plans
    from connector.payments import work as payment_work

    now = now or utcnow()
    reconcile_every = c.settings.reconcile_interval_minutes

    def every(job: Callable[..., Any], minutes: float) -> list[Planned]:
        return [_interval(c, shop_id, job_ref(job), minutes, now)]

    def off(reason: str) -> list[Planned]:
        return [Planned(f"not on a schedule: {reason}")]

    dropship_on = bool(get_setting(c.uow(), shop_id, "dropship.enabled"))
    fold = _daily(reorder.FOLD_HOUR_UTC, spread_seconds(shop_id, reorder.FOLD_SPREAD_SECONDS), now)
    found: dict[str, Callable[[], list[Planned]]] = {
        "poll-suppliers": lambda: _suppliers(c, shop_id, now),
        "refresh-dates": lambda: off("after a supplier poll changes stock or dates, each catalogue read and "
                                     "each new backorder"),
        "publish-dates": lambda: off("after expected dates change"),
        "sync-catalog": lambda: every(supply.sync_catalog, supply.CATALOG_SYNC_MINUTES),
        "reconcile": lambda: every(shops.reconcile, reconcile_every),
        "sync-marks": lambda: every(shops.sync_marks, reconcile_every),
        "evaluate-messages": lambda: every(notify.evaluate_backorders, reconcile_every),
        "check-pileups": lambda: every(notify.check_pileups, reconcile_every),
        "route-dropship": lambda: (every(dropship.route_dropship, dropship.INTERVAL_MINUTES) if dropship_on
                                   else off("drop-shipping is off (dropship.enabled)")),
        "poll-shipments": lambda: (every(dropship.poll_shipments, dropship.INTERVAL_MINUTES) if dropship_on
                                   else off("drop-shipping is off (dropship.enabled)")),
        "purchase-orders": lambda: every(purchasing.run_purchasing, purchasing.INTERVAL_MINUTES),
        "read-stock": lambda: _stock_reads(c, shop_id, now),
        "collect-payments": lambda: (every(payments.collect_payments, payments.INTERVAL_MINUTES)
                                     if payment_work.enabled(c.uow(), shop_id)
                                     else off("the connector collects no payments (payments.route)")),
        "sync-selling-plans": lambda: (every(selling_plans.sync_selling_plans, selling_plans.INTERVAL_MINUTES)
                                       if plans.shop_needs_sync(c.uow(), shop_id)
                                       else off("the shop sells no pre-order purchase option")),
        "health-check": lambda: every(install.check_shop, install.HEALTH_INTERVAL_MINUTES),
        "read-sales-history": lambda: [Planned("the day's captured orders are folded in every night", fold,
                                               exact=True)],
        "weekly-digest": lambda: _weekly_digest(c, shop_id, now),
    }
    from jobs.merchant import MERCHANT_JOBS

    return {job.name: found[job.name]() if job.name in found else []
            for job in MERCHANT_JOBS if platform in job.platforms}

