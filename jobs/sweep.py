"""The sweeper: the database is the truth, so anything stored but never finished is queued again."""

from __future__ import annotations

import logging
from datetime import timedelta

from connector.db.models import utcnow
from jobs import runtime
from jobs.events import PROCESS_EVENT

log = logging.getLogger(__name__)

SWEEP = "jobs.sweep.sweep"
GRACE = timedelta(seconds=30)
"""A pending event younger than this is presumably still in the queue."""


def sweep(grace_seconds: float | None = None) -> int:
    """Enqueue events that are pending past the grace period, due for retry, or stuck processing."""
    c = runtime.container()
    now = utcnow()
    grace = GRACE if grace_seconds is None else timedelta(seconds=grace_seconds)
    with c.uow() as uow:
        lease = timedelta(seconds=c.settings.event_lease_seconds)
        due = list(uow.events.due(now, received_before=now - grace, stuck_before=now - lease))
    for event_id in due:
        c.queue.enqueue(PROCESS_EVENT, event_id)
    if due:
        log.info("sweeper re-enqueued events", extra={"count": len(due)})
    return len(due)
