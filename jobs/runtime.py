"""What job functions use from the composition root: the bound container and durable enqueueing.

The container is built once per process by ``connector.bootstrap.bootstrap`` (the app, the CLI,
``connector worker`` at its start), which binds it; a job never builds one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector import bootstrap
from connector.db import job_runs
from connector.job_refs import Job, job_ref

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.bootstrap import Container

bind = bootstrap.bind
"""Bind the container the jobs of this process use (bootstrap does it; tests may rebind)."""


def container() -> Container:
    """The container bound in this process (RuntimeError when none is: call bootstrap first)."""
    return bootstrap.current()


def enqueue(c: Container, job: Job, *args: Any, delay_seconds: float = 0.0, shop_id: int | None = None) -> None:
    """Queue scheduled or self-renewing work without a record (the next tick asks for it again).

    Except the jobs the merchant's Jobs page lists (jobs/merchant.py ``LISTED``): those are recorded in
    job_runs like any one-off job, so every run shows on the page with when, how long, its counts and
    error, started by the clock ("schedule": asked for outside any job) or by the run that asks
    (``job_runs.current_trigger``). A scheduled ask joins the same job's scheduled run that has not
    started yet (coalesced), so a busy queue never piles up ticks. ``shop_id`` names the run's shop
    where the arguments do not (a supplier's poll); else it is found from them.
    """
    ref = job_ref(job)
    from jobs import merchant  # the listing imports this module

    if ref not in merchant.LISTED:
        c.queue.enqueue(ref, *args, delay_seconds=delay_seconds)
        return
    trigger = job_runs.current_trigger() or job_runs.SCHEDULE
    shop = shop_id if shop_id is not None else merchant.shop_of(c, ref, args)
    job_runs.enqueue_run(c.engine, c.queue, ref, args, shop_id=shop, coalesce=True, delay_seconds=delay_seconds,
                         trigger=trigger)


def enqueue_run(c: Container, job: Job | str, *args: Any, shop_id: int | None = None, coalesce: bool = False,
                delay_seconds: float = 0.0, session: Session | None = None, trigger: str | None = None) -> int | None:
    """Queue a one-off job durably: recorded in job_runs first, so a lost queue (Redis flushed, a
    worker or this process killed) loses nothing; the sweeper queues it again. Returns the run id,
    or None when ``coalesce`` joined the same job and arguments already waiting to start.

    Use it where the work is asked for once (after an event, a change, a request). Scheduled
    fan-outs use ``enqueue`` (which records the jobs the Jobs page lists). Webhook events use the
    inbox. See connector/db/job_runs.py.
    """
    return job_runs.enqueue_run(c.engine, c.queue, job_ref(job), args, shop_id=shop_id, coalesce=coalesce,
                                delay_seconds=delay_seconds, session=session, trigger=trigger)
