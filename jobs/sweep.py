"""The sweeper: the database is the truth, so anything stored but never finished is queued again.

Two ledgers: the inbox (webhook events, jobs.events.process_event) and the job-run record of
durable one-off jobs (job_runs, connector/db/job_runs.py and job_runs_sweep.py), which also holds the scheduled
runs of the jobs the merchant's Jobs page lists; other scheduled work is in neither: the clock asks for it again
on its next tick. The sweeper also prunes old finished runs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from connector.db import job_runs_sweep
from connector.domain.clock import utcnow
from connector.job_refs import RetryPolicy, job_ref, policy_for, retry_policy
from jobs import events, runtime

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=30)
"""A pending event or run younger than this is presumably still in the queue."""
HEAD_MARGIN = timedelta(seconds=1)
"""An event is stored just before its job is enqueued; the head job's own event is not a loss."""


def _oldest_waiting(queue: Any) -> datetime | None:
    """The enqueue time of the job at the head of the queue, where the queue can tell (RQ)."""
    oldest = getattr(queue, "oldest_waiting_at", None)
    if oldest is None:
        return None
    try:
        return cast("datetime | None", oldest())
    except Exception:  # noqa: BLE001 - Redis down: fall back to the plain grace period
        log.warning("queue head unknown; sweeping on the grace period alone", exc_info=True)
        return None


def _shop_job_held(c: Any, shop_id: int) -> bool:
    """Whether the shop's events job (jobs.events.process_shop_events) waits or runs: it processes the shop's
    pending events and queues its successor while any is left, so they are a backlog, not a loss. A job lost
    with its key set holds the shop for at most the key's life (adapters/queue/rq_queue.ONCE_TTL)."""
    holds = getattr(c.queue, "holds", None)
    if holds is None:
        return False
    try:
        return bool(holds(events.shop_key(shop_id)))
    except Exception:  # noqa: BLE001 - Redis down: queue the event (its claim makes a second job harmless)
        return False


@retry_policy(RetryPolicy(retries=0, timeout=120))  # the sweeper runs every 30 seconds anyway
def sweep(grace_seconds: float | None = None) -> int:
    """Enqueue events that are pending past the grace period, due for retry, or stuck processing, and
    job runs pending past the grace period or whose worker stopped beating; returns how many."""
    c = runtime.container()
    now = utcnow()
    grace = GRACE if grace_seconds is None else timedelta(seconds=grace_seconds)
    lease = timedelta(seconds=c.settings.event_lease_seconds)
    received_before = now - grace
    head = _oldest_waiting(c.queue)
    if head is not None:
        # A backlog, not a loss: every event received after the queue's head was enqueued is still
        # waiting behind it. (A burst once had the sweeper queue thousands of events a second time.)
        received_before = min(received_before, head - HEAD_MARGIN)
    with c.uow() as uow:
        found = list(uow.events.due_by_shop(now, received_before=received_before, stuck_before=now - lease))
    pending_shops = {shop_id for _, shop_id, status in found if status == "pending"}
    held = {shop_id: _shop_job_held(c, shop_id) for shop_id in pending_shops}
    due = [event_id for event_id, shop_id, status in found if status != "pending" or not held[shop_id]]
    for event_id in due:
        runtime.enqueue(c, events.process_event, event_id)
    if due:
        log.info("sweeper re-enqueued events", extra={"count": len(due)})
    report = sweep_runs(grace)
    return len(due) + report.requeued


def sweep_runs(grace: timedelta = GRACE) -> job_runs_sweep.SweepReport:
    """Queue again lost job runs, give up those that keep losing their worker, prune old ones."""
    c = runtime.container()
    lease = timedelta(seconds=c.settings.event_lease_seconds)
    report = job_runs_sweep.sweep_runs(c.engine, c.queue, grace=grace, lease=lease,
                                       max_starts=lambda job: policy_for(job).max_starts())
    pruned = job_runs_sweep.prune(c.engine)
    if pruned:
        log.info("sweeper pruned old job runs", extra={"count": pruned})
    return report


SWEEP = job_ref(sweep)
