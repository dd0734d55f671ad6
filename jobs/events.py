"""Process stored webhook events."""

from __future__ import annotations

from datetime import timedelta

from connector import events
from connector.db import job_runs
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from jobs import runtime, supply


# process_event records its own retries (status 'retry', backoff) and re-enqueues itself; the queue's
# retries only cover a crash before that bookkeeping (e.g. the database unreachable at claim time).
@retry_policy(RetryPolicy(retries=5, intervals=(5, 30, 120, 600, 1800), timeout=300))
def process_event(event_id: int) -> str:
    """Capture what one stored webhook says; re-enqueues itself with backoff on transient failure."""
    with job_runs.started_by(job_runs.WEBHOOK):  # what it asks for shows as started by the store's event
        return _process_event(event_id)


def _process_event(event_id: int) -> str:
    c = runtime.container()
    outcome = events.process_event(c.uow(), c.platform_for, event_id, max_attempts=c.settings.job_max_attempts,
                                   lease=timedelta(seconds=c.settings.event_lease_seconds))
    if outcome.retry_in is not None:
        runtime.enqueue(c, process_event, event_id, delay_seconds=outcome.retry_in)
    if outcome.resume_publish and outcome.shop_id is not None:  # a bulk publish finished: read it now
        runtime.enqueue_run(c, supply.publish_dates, outcome.shop_id, shop_id=outcome.shop_id, coalesce=True)
        return outcome.status
    if outcome.alerts and outcome.shop_id is not None:  # the store refused to mark an order: tell the merchant
        from jobs.dropship import deliver_alerts

        deliver_alerts(outcome.shop_id)
    if outcome.allocated and outcome.shop_id is not None:  # stock arrived: release those lines' holds now
        from jobs.restock import release_allocated_holds

        runtime.enqueue_run(c, release_allocated_holds, outcome.shop_id, shop_id=outcome.shop_id, coalesce=True)
    if outcome.status == "done":  # a capture may have opened backorders: give them their dates
        shop_id = outcome.shop_id
        if shop_id is not None:  # recorded (job_runs) and coalesced: one waiting refresh per shop
            runtime.enqueue_run(c, supply.refresh_dates, shop_id, shop_id=shop_id, coalesce=True)
            from jobs.payments import after_event  # shipped or allocated goods may make a payment due

            after_event(c, shop_id)
    return outcome.status


PROCESS_EVENT = job_ref(process_event)
"""Its reference, as the webhook endpoints and the sweeper queue it."""
