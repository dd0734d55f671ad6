"""Process stored webhook events."""

from __future__ import annotations

from connector.services import events
from jobs import runtime

PROCESS_EVENT = "jobs.events.process_event"


def process_event(event_id: int) -> str:
    """Capture what one stored webhook says; re-enqueues itself with backoff on transient failure."""
    c = runtime.container()
    outcome = events.process_event(c.uow(), c.platform_for, event_id, max_attempts=c.settings.job_max_attempts)
    if outcome.retry_in is not None:
        c.queue.enqueue(PROCESS_EVENT, event_id, delay_seconds=outcome.retry_in)
    return outcome.status
