"""The sweeper's side of the job-run ledger (connector/db/job_runs.py): queue again what was lost,
give up what keeps losing its worker, prune old runs, and report runs for the CLI and metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from connector.db.job_runs import safe_push
from connector.db.models_jobs import JobRun
from connector.domain.clock import utcnow
from connector.ports import JobQueue

log = logging.getLogger(__name__)

KEEP_DONE = timedelta(days=7)
"""Finished runs are kept this long for the dashboard and CLI, then pruned by the sweeper."""
KEEP_FAILED = timedelta(days=30)
"""Failed runs are kept longer: someone may need to see why."""
SWEEP_BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    requeued: int = 0
    given_up: int = 0
    live: int = 0


def _is_live(queue: JobQueue, run_id: int) -> bool:
    is_live = getattr(queue, "is_live", None)
    return bool(is_live(run_id)) if is_live is not None else False


def sweep_runs(engine: Engine, queue: JobQueue, *, grace: timedelta, lease: timedelta,
               max_starts: Callable[[str], int]) -> SweepReport:
    """Queue again runs pending past ``grace`` that the queue no longer holds, and runs whose worker has
    not beaten for ``lease`` (the heartbeat is the truth for those: a killed worker can look alive in
    Redis for minutes); give up runs started ``max_starts(job)`` times. The rows are claimed
    with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite takes its write lock at BEGIN
    IMMEDIATE) and stamped due now, so a second sweeper at the same time skips them."""
    now = utcnow()
    stale = or_(and_(JobRun.status == "pending", JobRun.due_at <= now - grace),
                and_(JobRun.status == "running", JobRun.heartbeat_at < now - lease))
    query = select(JobRun.id, JobRun.job, JobRun.args, JobRun.attempts, JobRun.status).where(stale) \
        .order_by(JobRun.id).limit(SWEEP_BATCH)
    if engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    requeue: list[tuple[int, str, list[Any]]] = []
    given_up = live = 0
    with engine.begin() as connection:
        for run_id, job, args, attempts, status in connection.execute(query).all():
            if status == "pending" and _is_live(queue, run_id):
                live += 1
            elif attempts >= max_starts(job):
                _give_up(connection, run_id, attempts, now)
                given_up += 1
            else:
                requeue.append((run_id, job, list(args)))
        if requeue:
            connection.execute(update(JobRun).where(JobRun.id.in_([r[0] for r in requeue])).values(
                status="pending", due_at=now, worker=None, heartbeat_at=None, requeues=JobRun.requeues + 1))
    for run_id, job, args in requeue:
        safe_push(queue, run_id, job, args, 0.0)
    if requeue or given_up:
        log.info("sweeper re-enqueued job runs", extra={"count": len(requeue), "given_up": given_up})
    return SweepReport(len(requeue), given_up, live)


def _give_up(connection: Connection, run_id: int, attempts: int, now: datetime) -> None:
    connection.execute(update(JobRun).where(JobRun.id == run_id).values(
        status="failed", finished_at=now, worker=None, heartbeat_at=None, dedupe_key=None,
        last_error=func.coalesce(JobRun.last_error, "") + f" [given up: started {attempts} times without finishing]"))
    log.warning("job run given up", extra={"run_id": run_id, "attempts": attempts})


def prune(engine: Engine, *, keep_done: timedelta = KEEP_DONE, keep_failed: timedelta = KEEP_FAILED) -> int:
    """Delete done runs older than ``keep_done`` and failed runs older than ``keep_failed``."""
    now = utcnow()
    with engine.begin() as connection:
        result = connection.execute(delete(JobRun).where(or_(
            and_(JobRun.status == "done", JobRun.finished_at < now - keep_done),
            and_(JobRun.status == "failed", JobRun.finished_at < now - keep_failed))))
    return int(result.rowcount or 0)


def counts(engine: Engine) -> dict[str, int]:
    """Runs per status (pending, running, done, failed), zero where there are none."""
    with engine.connect() as connection:
        rows = connection.execute(select(JobRun.status, func.count()).group_by(JobRun.status)).all()
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in ("pending", "running", "done", "failed")}


def recent(engine: Engine, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest runs (optionally of one status), newest first, as plain dicts."""
    query = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if status is not None:
        query = query.where(JobRun.status == status)
    with Session(engine) as session:
        return [{"id": r.id, "job": r.job, "args": r.args, "shop_id": r.shop_id, "status": r.status,
                 "attempts": r.attempts, "requeues": r.requeues, "enqueued_at": r.enqueued_at,
                 "started_at": r.started_at, "finished_at": r.finished_at, "last_error": r.last_error}
                for r in session.scalars(query)]


def open_counts(engine: Engine) -> dict[str, int]:
    """Pending and running runs (the Prometheus gauge): only unfinished rows are counted."""
    with engine.connect() as connection:
        rows = connection.execute(select(JobRun.status, func.count()).where(
            JobRun.status.in_(("pending", "running"))).group_by(JobRun.status)).all()
    found = {str(status): int(n) for status, n in rows}
    return {"pending": found.get("pending", 0), "running": found.get("running", 0)}
