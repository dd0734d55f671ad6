"""Process stored webhook events."""

from __future__ import annotations

from datetime import timedelta

from connector import events
from jobs import runtime

PROCESS_EVENT = "jobs.events.process_event"
REFRESH_DATES = "jobs.supply.refresh_dates"


def process_event(event_id: int) -> str:
    """Capture what one stored webhook says; re-enqueues itself with backoff on transient failure."""
    c = runtime.container()
    outcome = events.process_event(c.uow(), c.platform_for, event_id, max_attempts=c.settings.job_max_attempts,
                                   lease=timedelta(seconds=c.settings.event_lease_seconds))
    if outcome.retry_in is not None:
        c.queue.enqueue(PROCESS_EVENT, event_id, delay_seconds=outcome.retry_in)
    if outcome.alerts and outcome.shop_id is not None:  # the store refused to mark an order: tell the merchant
        from jobs.dropship import deliver_alerts

        deliver_alerts(outcome.shop_id)
    if outcome.status == "done":  # a capture may have opened backorders: give them their dates
        shop_id = outcome.shop_id
        if shop_id is not None:  # recorded (job_runs) and coalesced: one waiting refresh per shop
            runtime.enqueue_run(c, REFRESH_DATES, shop_id, shop_id=shop_id, coalesce=True)
    return outcome.status
