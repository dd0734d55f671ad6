"""The job-run ledger (storage): durable one-off jobs recorded in ``job_runs``, claimed, finished, swept.

A durable enqueue stores a pending row (in the caller's transaction when one is given, else in a
transaction of its own) and then hands the queue the run id. The worker wrapper (``execute``)
claims the row, beats while the job runs and marks it done, pending again (a retry is coming) or
failed (the retry policy is spent). The queue is only delivery: the sweeper (job_runs_sweep.py) queues
again rows that stayed pending past a grace period or whose worker stopped beating, unless the
queue still holds them. Only the claim holder may finish a run, so a late duplicate delivery does
nothing.

Each run records who started it (``trigger``): the caller says so ("run now", "cli", "schedule"), else
the context does: inside a recorded run it is "after <that job>" (``execute`` sets it), inside a block
``started_by(...)`` (the webhook event processor says "webhook") that; else None (the connector, after a
change). The clock's runs of the jobs the merchant's Jobs page lists are recorded through
``jobs.runtime.enqueue`` with "schedule", coalesced among scheduled asks only (``SCHEDULE_KEY``); its
other fan-outs are not recorded: the next tick asks for them again. A supplier polled every few seconds
keeps only its newest poll that found nothing changed (``quiet_result``), beside every poll that did
something and every failure. Webhook events are not recorded
here: the inbox (webhook_events) is their ledger, and processing one order writes no run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from connector.db.job_runs_triggers import (
    AFTER,
    CLI,
    RUN_NOW,
    SCHEDULE,
    SCHEDULE_KEY,
    WEBHOOK,
    check_trigger,
    current_trigger,
    started_by,
)
from connector.db.models_jobs import JobRun
from connector.domain.clock import utcnow
from connector.job_refs import check_job
from connector.ports import JobQueue, RunRescheduled

__all__ = ["AFTER", "CLI", "RUN_NOW", "SCHEDULE", "WEBHOOK", "current_trigger", "enqueue_run", "execute",
           "started_by"]

log = logging.getLogger(__name__)

_PUSH_LIST = "connector.job_runs.to_push"

def dedupe_key_for(job: str, args: Sequence[Any], *, scheduled: bool = False) -> str:
    """One key per (job, arguments): a second request for the same not-yet-started work joins it.
    Scheduled asks have keys of their own (``SCHEDULE_KEY``)."""
    key = f"{SCHEDULE_KEY if scheduled else ''}{job}:{json.dumps(list(args), separators=(',', ':'), sort_keys=True)}"
    if len(key) > 400:
        raise ValueError(f"dedupe key for {job} is over 400 characters; pass ids, not payloads")
    return key


def _push(queue: JobQueue, run_id: int, job: str, args: Sequence[Any], delay_seconds: float) -> None:
    push_run = getattr(queue, "push_run", None)
    if push_run is not None:
        push_run(run_id, job, tuple(args), delay_seconds=delay_seconds)
    else:  # a queue that knows nothing of runs (a test's recording queue): deliver the job itself
        queue.enqueue(job, *args, delay_seconds=delay_seconds)


def safe_push(queue: JobQueue, run_id: int, job: str, args: Sequence[Any], delay_seconds: float) -> None:
    try:
        _push(queue, run_id, job, args, delay_seconds)
    except Exception:  # noqa: BLE001 - the row is committed: the sweeper queues it after the grace period
        log.exception("job run recorded but not queued; the sweeper will queue it", extra={"run_id": run_id,
                                                                                           "job": job})


def _insert(job: str, args: Sequence[Any], shop_id: int | None, dedupe_key: str | None, now: datetime,
            delay_seconds: float, dialect: str, trigger: str | None) -> Any:
    values = {"job": job, "args": list(args), "shop_id": shop_id, "dedupe_key": dedupe_key, "status": "pending",
              "attempts": 0, "requeues": 0, "enqueued_at": now, "due_at": now + timedelta(seconds=delay_seconds),
              "trigger": trigger}
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(JobRun).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return statement.returning(JobRun.id)


def enqueue_run(engine: Engine, queue: JobQueue, job: str, args: Sequence[Any], *, shop_id: int | None = None,
                coalesce: bool = False, delay_seconds: float = 0.0, session: Session | None = None,
                trigger: str | None = None, quiet_result: Any = None) -> int | None:
    """Record a pending run of ``job`` and queue it; returns the run id, or None when ``coalesce`` found
    the same work (job and arguments) pending and not started yet, which then covers this request
    (scheduled asks, ``trigger`` "schedule", only join scheduled asks: ``SCHEDULE_KEY``).

    ``quiet_result`` (a scheduled ask of a shop's job, e.g. a supplier poll every 10 seconds and its
    "unchanged"): the newest scheduled run of the same job and arguments is deleted in the transaction
    that records this one when it finished done with exactly that result, so a schedule that keeps
    finding nothing keeps one run in the ledger (the newest), not one per tick. A failed run, a run
    that did something, or one still pending or running stays.

    ``trigger`` says who started it; without one the context does (``current_trigger``).

    With ``session`` the row is written in the caller's open transaction and queued only once that
    commits (a rollback leaves neither). Coalescing needs the caller's changes committed before the
    check (else a run starting in between would miss them), so it is refused inside a transaction.
    """
    check_job(job)
    try:
        json.dumps(list(args))
    except TypeError:
        raise ValueError(f"arguments of {job} must be JSON values (ids), got {args!r}") from None
    if coalesce and session is not None:
        raise ValueError("coalesce=True needs the caller's changes committed: enqueue after the commit")
    if delay_seconds < 0:
        raise ValueError(f"delay_seconds must not be negative, got {delay_seconds}")
    trigger = check_trigger(trigger) if trigger is not None else current_trigger()
    key = dedupe_key_for(job, args, scheduled=trigger == SCHEDULE) if coalesce else None
    if session is not None:
        statement = _insert(job, args, shop_id, key, utcnow(), delay_seconds, engine.dialect.name, trigger)
        run_id = int(session.execute(statement).scalar_one())
        _push_after_commit(session, queue, run_id, job, args, delay_seconds)
        return run_id
    with engine.begin() as connection:
        if key is not None and connection.execute(select(JobRun.id).where(JobRun.dedupe_key == key)).first():
            return None  # joined without a write (a read-only commit waits for no WAL flush)
        if quiet_result is not None and trigger == SCHEDULE and shop_id is not None:
            _drop_quiet(connection, job, args, shop_id, quiet_result)
        statement = _insert(job, args, shop_id, key, utcnow(), delay_seconds, engine.dialect.name, trigger)
        inserted = connection.execute(statement).scalar_one_or_none()
    if inserted is None:
        return None
    safe_push(queue, int(inserted), job, args, delay_seconds)
    return int(inserted)


QUIET_LOOK_BACK = 20
"""Newest runs of the job for the shop searched for the schedule's last run (other suppliers' polls between)."""


def _drop_quiet(connection: Any, job: str, args: Sequence[Any], shop_id: int, quiet_result: Any) -> None:
    """Delete the newest scheduled run of ``job`` with these arguments when it finished done with
    ``quiet_result`` (see enqueue_run)."""
    rows = connection.execute(select(JobRun.id, JobRun.args, JobRun.trigger, JobRun.status, JobRun.result)
                              .where(JobRun.shop_id == shop_id, JobRun.job == job)
                              .order_by(JobRun.id.desc()).limit(QUIET_LOOK_BACK))
    wanted = list(args)
    for run_id, run_args, run_trigger, status, result in rows:
        if run_trigger != SCHEDULE or run_args != wanted:
            continue
        if status == "done" and result == quiet_result:
            connection.execute(delete(JobRun).where(JobRun.id == run_id, JobRun.status == "done"))
        return


def _push_after_commit(session: Session, queue: JobQueue, run_id: int, job: str, args: Sequence[Any],
                       delay_seconds: float) -> None:
    waiting = session.info.get(_PUSH_LIST)
    if waiting is None:
        waiting = session.info[_PUSH_LIST] = []
        event.listen(session, "after_commit", _push_waiting)
        event.listen(session, "after_rollback", _drop_waiting)
    waiting.append((queue, run_id, job, tuple(args), delay_seconds))


def _push_waiting(session: Session) -> None:
    waiting = session.info.get(_PUSH_LIST) or []
    session.info[_PUSH_LIST] = []
    for queue, run_id, job, args, delay in waiting:
        safe_push(queue, run_id, job, args, delay)


def _drop_waiting(session: Session) -> None:
    session.info[_PUSH_LIST] = []


# -- the worker side ------------------------------------------------------------------------------

def new_claim() -> str:
    """Names one execution: host, process and a random token (two threads never share a claim)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim(engine: Engine, run_id: int, claim_id: str, lease: timedelta) -> int | None:
    """Take the run for this execution; returns its start count, or None when it is finished or
    another execution holds it and is still beating (a duplicate delivery: do nothing)."""
    claimed = _claim(engine, run_id, claim_id, lease)
    return None if claimed is None else claimed[0]


def _claim(engine: Engine, run_id: int, claim_id: str, lease: timedelta) -> tuple[int, str] | None:
    """``claim``, also returning the run's job reference (what its follow-ups are started "after")."""
    now = utcnow()
    with engine.begin() as connection:
        result = connection.execute(
            update(JobRun)
            .where(JobRun.id == run_id, or_(JobRun.status == "pending",
                                            and_(JobRun.status == "running", JobRun.heartbeat_at < now - lease)))
            .values(status="running", worker=claim_id, started_at=now, heartbeat_at=now, finished_at=None,
                    attempts=JobRun.attempts + 1, dedupe_key=None)
            .returning(JobRun.attempts, JobRun.job))
        row = result.one_or_none()
    return None if row is None else (int(row[0]), str(row[1]))


def _settle(engine: Engine, run_id: int, claim_id: str, **values: Any) -> bool:
    with engine.begin() as connection:
        result = connection.execute(update(JobRun).where(JobRun.id == run_id, JobRun.worker == claim_id,
                                                         JobRun.status == "running").values(**values))
    return bool(result.rowcount)


def heartbeat(engine: Engine, run_id: int, claim_id: str) -> bool:
    return _settle(engine, run_id, claim_id, heartbeat_at=utcnow())


@contextmanager
def beating(engine: Engine, run_id: int, claim_id: str, every: float) -> Iterator[None]:
    """Renew the run's heartbeat every ``every`` seconds while the block runs (a short job never writes)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                heartbeat(engine, run_id, claim_id)
            except SQLAlchemyError as exc:
                log.warning("job run heartbeat failed", extra={"run_id": run_id, "error": type(exc).__name__})

    thread = threading.Thread(target=beat, name=f"job-run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def result_summary(value: Any) -> Any:
    """What a job returned, kept on its run as JSON for the merchant's Jobs page: numbers, text and
    flags as they are; a report (a dataclass) as its scalar fields, with collections as their sizes;
    anything else as None. Small by construction (no payloads, no secrets: jobs return counts)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:200]
    if isinstance(value, dict) and len(value) <= 20 and all(isinstance(v, bool | int | float) for v in value.values()):
        return {str(k)[:100]: v for k, v in value.items()}  # counts by kind (retention's deletions per table)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        summary: dict[str, Any] = {}
        for field in dataclasses.fields(value)[:20]:
            item = getattr(value, field.name)
            if item is None or isinstance(item, bool | int | float):
                summary[field.name] = item
            elif isinstance(item, str):
                summary[field.name] = item[:200]
            elif isinstance(item, dict) and len(item) <= 20 and all(
                    isinstance(v, bool | int | float) for v in item.values()):
                summary[field.name] = {str(k)[:100]: v for k, v in item.items()}  # counts by kind
            elif isinstance(item, list | tuple | set | frozenset | dict):
                summary[field.name] = len(item)
        return summary
    return None


SKIPPED = "skipped"
"""What ``execute`` returns for a delivery whose run is finished or held by a live execution."""


def throttled_for(exc: BaseException) -> float | None:
    """Seconds a throttled platform or supplier asked to wait (``retry_after`` of PlatformThrottled or
    SupplierThrottled), or None when ``exc`` is no throttle with a wait."""
    from connector.domain.errors import TransientError

    wait = getattr(exc, "retry_after", None)
    if isinstance(exc, TransientError) and isinstance(wait, int | float) and wait > 0:
        return float(wait)
    return None


def execute(engine: Engine, run_id: int, call: Callable[[], Any], *, lease: timedelta,
            retry_in: Callable[[int], float | None]) -> Any:
    """Run ``call`` as run ``run_id``: claim, beat, then done; on an exception the run goes back to
    pending when ``retry_in(starts)`` gives a delay (the queue retries it), else failed; the exception
    propagates. A throttle with a wait (``throttled_for``) puts the run back to pending, due after that
    wait, without counting the start, and raises ``RunRescheduled`` for the queue to deliver it then.
    A finish that cannot be written leaves the run to the sweeper (jobs are idempotent)."""
    claim_id = new_claim()
    claimed = _claim(engine, run_id, claim_id, lease)
    if claimed is None:
        log.info("job run already finished or running elsewhere; delivery skipped", extra={"run_id": run_id})
        return SKIPPED
    attempts, job = claimed
    with beating(engine, run_id, claim_id, max(lease.total_seconds() / 3, 0.5)):
        try:
            with started_by(f"{AFTER}{job}"):  # what it asks for is its follow-up
                result = call()
        except Exception as exc:
            now = utcnow()
            wait = throttled_for(exc)
            if wait is not None:
                try:
                    _settle(engine, run_id, claim_id, status="pending", due_at=now + timedelta(seconds=wait),
                            worker=None, heartbeat_at=None, attempts=JobRun.attempts - 1,
                            last_error=error_text(exc))
                except SQLAlchemyError as db_exc:
                    log.warning("could not record the job run's reschedule", extra={
                        "run_id": run_id, "error": type(db_exc).__name__})
                log.warning("job run throttled; rescheduled", extra={"run_id": run_id, "retry_in": wait})
                raise RunRescheduled(run_id, wait, exc) from exc
            delay = retry_in(attempts)
            try:
                if delay is not None:
                    _settle(engine, run_id, claim_id, status="pending", due_at=now + timedelta(seconds=delay),
                            worker=None, heartbeat_at=None, last_error=error_text(exc))
                else:
                    _settle(engine, run_id, claim_id, status="failed", finished_at=now, heartbeat_at=None,
                            last_error=error_text(exc))
            except SQLAlchemyError as db_exc:
                log.warning("could not record the job run's failure", extra={"run_id": run_id,
                                                                             "error": type(db_exc).__name__})
            raise
    try:
        if not _settle(engine, run_id, claim_id, status="done", finished_at=utcnow(), heartbeat_at=None,
                       result=result_summary(result)):
            log.warning("job run finished after its claim was taken over", extra={"run_id": run_id})
    except SQLAlchemyError as exc:
        log.warning("job run done but not recorded; it may run again", extra={"run_id": run_id,
                                                                               "error": type(exc).__name__})
    return result
