"""The job-run record: one row per durable one-off job (the ledger: connector/db/job_runs.py).

The queue (Redis or this process's threads) only delivers; this row is the truth about a job that
was asked for. A sweeper queues again rows that stayed pending or whose worker stopped beating.
Scheduled runs of the jobs the merchant's Jobs page lists are recorded too (``trigger`` "schedule");
the clock's other fan-outs are not: the next tick asks for them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow

RUN_STATUSES = ("pending", "running", "done", "failed")


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_status_due", "status", "due_at"),
        Index("ix_job_runs_status_finished", "status", "finished_at"),
        Index("ix_job_runs_shop_job", "shop_id", "job", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    job: Mapped[str] = mapped_column(String(200))
    """Dotted job reference (jobs.*), as given to the queue."""
    args: Mapped[list[Any]] = mapped_column(JSON)
    """The job's positional arguments: ids only (JSON)."""
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    """Held while the run has not started: a second request for the same work joins this run.
    Cleared when a worker claims the run (work asked for after that start needs a run of its own)."""
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | running | done | failed"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """How many times a worker started it (retries and restarts after a lost worker)."""
    requeues: Mapped[int] = mapped_column(Integer, default=0)
    """How many times the sweeper queued it again."""
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """Not to be run before this (a delayed job or a retry); the sweeper's grace counts from here."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Renewed while the job runs; a running row whose heartbeat is older than the lease lost its worker."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    """The claim of the execution that holds it (host:pid:token); only that execution may finish it."""
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    """What a done run returned, summarised to JSON (counts: job_runs.result_summary), for the Jobs page."""
    trigger: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Who started it: "schedule", "run now", "cli", "webhook" or "after <job reference>" (a follow-up);
    None when the connector asked for it outside any job (a change) or before 0032. Retries keep it."""
