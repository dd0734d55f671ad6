"""Asking for the sales history read as a durable job run (the app's "read sales history now", the
daily fold of a shop not read yet, the first read after install): one read per shop at a time.

The read job is ``jobs.reorder.read_sales_history`` (named by its reference: a feature does not import
jobs/; a test holds the two equal). A request while a run of it is pending or running joins that run,
so two reads never fold the same pages side by side. The advice's "recompute now" is asked for the same
way (``request_recompute``).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from connector.db import job_runs
from connector.db.uow import UnitOfWork
from connector.ports import JobQueue
from connector.reorder.repository import ReorderRepository

READ_JOB = "jobs.reorder.read_sales_history"
RECOMPUTE_JOB = "jobs.reorder.recompute_advice"
"""The app's "recompute now": ``jobs.reorder.recompute_advice`` (connector/reorder/stored.py ``recompute``)."""


def request_read(engine: Engine, queue: JobQueue, uow: UnitOfWork, shop_id: int) -> int:
    """The id of the shop's history read run: the one pending or running, else a new one queued."""
    return _request(engine, queue, uow, shop_id, READ_JOB)


def request_recompute(engine: Engine, queue: JobQueue, uow: UnitOfWork, shop_id: int) -> int:
    """The id of the shop's advice recompute run: the one pending or running, else a new one queued."""
    return _request(engine, queue, uow, shop_id, RECOMPUTE_JOB)


def _request(engine: Engine, queue: JobQueue, uow: UnitOfWork, shop_id: int, job: str) -> int:
    with uow:
        running = uow.repo(ReorderRepository).unfinished_run(shop_id, job)
    if running is not None:
        return running
    run_id = job_runs.enqueue_run(engine, queue, job, (shop_id,), shop_id=shop_id, coalesce=True)
    if run_id is None:  # asked for a moment ago and not started yet: this request joins it
        with uow:
            running = uow.repo(ReorderRepository).unfinished_run(shop_id, job)
        return running or 0
    return run_id
