"""Process stored webhook events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connector import events
from connector.capture.repository import CaptureRepository
from connector.config import Settings
from connector.db import job_runs
from connector.domain.errors import ConnectorError
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from connector.ports import StoreBudget
from jobs import runtime, supply


# process_event records its own retries (status 'retry', backoff) and re-enqueues itself; the queue's
# retries only cover a crash before that bookkeeping (e.g. the database unreachable at claim time).
@retry_policy(RetryPolicy(retries=5, intervals=(5, 30, 120, 600, 1800), timeout=300))
def process_event(event_id: int) -> str:
    """Capture what one stored webhook says; re-enqueues itself with backoff on transient failure."""
    with job_runs.started_by(job_runs.WEBHOOK):  # what it asks for shows as started by the store's event
        return _process_event(event_id)


def shop_key(shop_id: int) -> str:
    """The key under which a shop's events job waits or runs (``schedule``, ``process_shop_events``)."""
    return f"shop-events:{shop_id}"


def schedule(queue: Any, shop_id: int, event_id: int) -> None:
    """Queue the processing of a stored event (the webhook endpoints, after the inbox commit).

    On a queue that holds one job per key (RQ: ``enqueue_once``) that is one job per shop, not per event: a
    job of the shop already waiting or running takes this event too (a running one reads the shop's pending
    events again after it freed the key), and a webhook then costs one Redis round trip instead of an RQ
    job. Other queues (in process) get the event's own job, as before."""
    once = getattr(queue, "enqueue_once", None)
    if once is None:
        queue.enqueue(PROCESS_EVENT, event_id)
        return
    once(shop_key(shop_id), PROCESS_SHOP_EVENTS, shop_id)


def schedule_all(queue: Any, stored: list[tuple[int, int]]) -> None:
    """``schedule`` for several stored ``(shop_id, event_id)`` (webhooks/inbox_writer.py): on RQ one key check
    a shop, all in one round trip (``enqueue_once_many``); other queues get each event's own job. Every one
    is tried; the first failure is raised after (the events are committed: the sweeper queues them)."""
    many = getattr(queue, "enqueue_once_many", None)
    if many is not None:
        shops = dict.fromkeys(shop_id for shop_id, _ in stored)
        many([(shop_key(shop_id), PROCESS_SHOP_EVENTS, (shop_id,)) for shop_id in shops])
        return
    failure: Exception | None = None
    for shop_id, event_id in stored:
        try:
            schedule(queue, shop_id, event_id)
        except Exception as exc:  # noqa: BLE001 - the others still get their job; raised below
            failure = failure or exc
    if failure is not None:
        raise failure


@retry_policy(RetryPolicy(retries=5, intervals=(5, 30, 120, 600, 1800), timeout=300))
def process_shop_events(shop_id: int) -> str:
    """One round of the shop's pending events: the oldest and, through ``connector.events.process_event``, up
    to ``BATCH`` - 1 more of its orders. Then, if any is still pending, its successor is queued under the
    shop's key, behind the other shops' jobs (a shop's store budget refills meanwhile; a worker does not sit
    on one shop); else the key is freed and the shop read once more, so an event stored before the free is
    never left without a job. A round the shop's store budget cannot cover yet (``StoreBudget``, as this
    process last read it) is not started: the job is queued again under the key, delayed until the budget
    is there, and the worker takes other shops' jobs meanwhile. Retries keep their own delayed jobs
    (``process_event``); stuck or lost events are the sweeper's."""
    c = runtime.container()
    key = shop_key(shop_id)
    with c.uow().single() as uow:
        event_id = uow.events.next_pending(shop_id)
        pending = uow.events.pending_count(shop_id, events.BATCH + 1) if event_id is not None else 0
    if event_id is not None and hasattr(c.queue, "enqueue_held"):
        wait = store_budget_wait(c, shop_id, min(pending, events.BATCH))
        if wait > DEFER_ABOVE_SECONDS:  # the round would sleep on this shop's budget: other shops go first
            c.queue.enqueue_held(key, PROCESS_SHOP_EVENTS, shop_id, delay_seconds=wait)
            return "waiting for the store's budget"
    status = "nothing pending"
    if event_id is not None:
        with job_runs.started_by(job_runs.WEBHOOK):
            # more than a round's worth pending: a successor follows, so the round's dates refresh may wait a
            # little and serve the rounds after it too
            status = _process_event(event_id, successor_reads_marks=True,
                                    dates_delay=DATES_DELAY_SECONDS if pending > events.BATCH else 0.0)
    with c.uow().single() as uow:
        more = uow.events.next_pending(shop_id)
        # the last round of a run of the shop's events: a bulk write of its marks still running is looked at
        # again soon (a round with a successor leaves that to the successor's marks)
        running = event_id is not None and more is None and bool(uow.repo(CaptureRepository).mark_operations(shop_id))
    if more is not None and hasattr(c.queue, "enqueue_held"):
        c.queue.enqueue_held(key, PROCESS_SHOP_EVENTS, shop_id)
        return status
    if running:
        from jobs.shops import READ_BACK_SECONDS, read_marks_back

        with job_runs.started_by(job_runs.WEBHOOK):
            read_marks_back(shop_id, delay_seconds=READ_BACK_SECONDS)
    release = getattr(c.queue, "release", None)
    if release is not None:
        release(key)
        with c.uow().single() as uow:  # read again after the free: an event stored before it found the key taken
            more = uow.events.next_pending(shop_id)
    if more is not None:
        schedule(c.queue, shop_id, more)
    return status


DATES_DELAY_SECONDS = 10.0
"""A shop's round with a successor asks for its dates refresh this much later (coalesced): the rounds of a
burst then share one refresh every so often, not one each (a refresh reads the whole shop's SKUs); the
last round's ask joins the waiting one, so dates trail a burst's last capture by this at most."""

DEFER_ABOVE_SECONDS = 1.0
"""A round whose store budget is further away than this is not started: its job is queued again, delayed
until the budget is there (``process_shop_events``); a shorter wait is slept inside the round."""


def store_budget_wait(c: Any, shop_id: int, orders: int) -> float:
    """Seconds until the shop's store budget, as this process last read it, covers capturing ``orders``
    orders (``StoreBudget``); 0 for stores without such a budget, or when the shop cannot be read (the
    round then says what is wrong)."""
    try:
        platform = c.platform_for(shop_id)
    except ConnectorError:
        return 0.0
    return platform.capture_wait(orders) if isinstance(platform, StoreBudget) else 0.0


def _process_event(event_id: int, *, successor_reads_marks: bool = False, dates_delay: float = 0.0) -> str:
    """Process the event and queue what its outcome asks for. ``successor_reads_marks``: the caller (a shop's
    round) sees to a bulk write of marks the round left running, so it is not queued a look of its own.
    ``dates_delay``: seconds the dates refresh it asks for waits (``DATES_DELAY_SECONDS``)."""
    c = runtime.container()
    outcome = events.process_event(c.uow(), c.platform_for, event_id, max_attempts=c.settings.job_max_attempts,
                                   lease=timedelta(seconds=c.settings.event_lease_seconds),
                                   linger=linger_seconds(c.settings))
    if outcome.retry_in is not None:
        runtime.enqueue(c, process_event, event_id, delay_seconds=outcome.retry_in)
    for other_id, delay in outcome.retries:  # batch-mates (connector/events.py) with a retry of their own
        runtime.enqueue(c, process_event, other_id, delay_seconds=delay)
    look = outcome.marks_finished or (outcome.marks_waiting and not successor_reads_marks)
    if look and outcome.shop_id is not None:
        from jobs.shops import READ_BACK_SECONDS, read_marks_back  # a bulk write of marks: read it back

        read_marks_back(outcome.shop_id, delay_seconds=0.0 if outcome.marks_finished else READ_BACK_SECONDS)
        if outcome.marks_finished:  # the event was only that
            return outcome.status
    if outcome.resume_publish and outcome.shop_id is not None:  # a bulk publish finished: read it now
        runtime.enqueue_run(c, supply.publish_dates, outcome.shop_id, shop_id=outcome.shop_id, coalesce=True)
        return outcome.status
    if outcome.alerts and outcome.shop_id is not None:  # the store refused to mark an order: tell the merchant
        from jobs.dropship import deliver_alerts

        deliver_alerts(outcome.shop_id)
    if outcome.allocated and outcome.shop_id is not None:  # stock arrived: release those lines' holds now
        from jobs.restock import release_allocated_holds

        runtime.enqueue_run(c, release_allocated_holds, outcome.shop_id, shop_id=outcome.shop_id, coalesce=True)
    if outcome.status == "done" or outcome.done_with:  # captures may have opened backorders: give them their dates
        # once for the whole batch of the shop's events this job processed
        shop_id = outcome.shop_id
        if shop_id is not None:  # recorded (job_runs) and coalesced: one waiting refresh per shop
            runtime.enqueue_run(c, supply.refresh_dates, shop_id, shop_id=shop_id, coalesce=True,
                                delay_seconds=dates_delay)
            from jobs.payments import after_event  # shipped or allocated goods may make a payment due

            after_event(c, shop_id)
    return outcome.status


def linger_seconds(settings: Settings) -> float:
    """How long a job waits for more of its shop's orders (``workers.event_batch_linger_seconds``): by default
    only RQ workers wait, where bursts of one shop's orders spread over several workers; in-process workers
    (one small deployment) capture at once."""
    if settings.event_batch_linger_seconds is not None:
        return settings.event_batch_linger_seconds
    return events.LINGER if settings.redis_url else 0.0


PROCESS_EVENT = job_ref(process_event)
"""Its reference, as the sweeper, retries and in-process queues queue it."""
PROCESS_SHOP_EVENTS = job_ref(process_shop_events)
"""A shop's events job, as ``schedule`` queues it on RQ."""
