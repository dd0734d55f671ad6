"""Retention: what the connector keeps only for a while is deleted, a bounded batch at a time.

- Webhook events (the inbox) once finished: done, failed, ignored or parked, and processed more than
  ``retention.webhook_events_days`` ago. An event that is pending, waiting for a retry or being
  processed (a worker's lease on it) is never deleted, however old. Deduplication needs a row only
  while a platform may deliver the event again: Shopify retries for 48 hours, WooCommerce for less.
- Shopify OAuth states and WooCommerce pending connects once expired or used, after
  ``retention.install_grace_minutes`` (a replayed state or user_id is refused either way).

Every DELETE names at most ``BATCH_ROWS`` ids chosen by a subquery, each in its own short
transaction, so a large backlog never holds a long lock (SQLite's one writer, PostgreSQL's row
locks); PostgreSQL skips rows another transaction holds. A run stops after ``MAX_BATCHES`` per table
and says so (``more``), and the job queues a follow-up. Job runs (job_runs) are pruned by the sweeper
(adapters/queue/run_sweep.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.engine import Engine

from connector.db.models import WebhookEvent
from connector.domain.clock import utcnow
from connector.install.models import OAuthState, PendingConnect

log = logging.getLogger(__name__)

FINISHED_EVENT_STATUSES = ("done", "failed", "ignored", "parked")
"""Inbox states nothing will process again. pending, retry and processing are never pruned."""
BATCH_ROWS = 1000
"""Rows per DELETE statement."""
MAX_BATCHES = 50
"""Statements per table per run; a larger backlog is left to a follow-up run."""


@dataclass(frozen=True)
class RetentionPolicy:
    webhook_events_days: float = 30.0
    """0 keeps webhook events forever."""
    install_grace: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Any) -> RetentionPolicy:
        return cls(webhook_events_days=settings.retention_webhook_events_days,
                   install_grace=timedelta(minutes=settings.retention_install_grace_minutes))


@dataclass
class PruneReport:
    deleted: dict[str, int] = field(default_factory=dict)
    more: bool = False
    """A table still had prunable rows when the run stopped (MAX_BATCHES): run again."""

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def prune(engine: Engine, policy: RetentionPolicy, *, now: datetime | None = None,
          batch_rows: int | None = None, max_batches: int | None = None) -> PruneReport:
    """Delete what the policy no longer keeps; returns the counts per table."""
    now = now or utcnow()
    batch_rows, max_batches = batch_rows or BATCH_ROWS, max_batches or MAX_BATCHES
    report = PruneReport()
    if policy.webhook_events_days > 0:
        deleted, more = _prune_events(engine, now - timedelta(days=policy.webhook_events_days),
                                      batch_rows, max_batches)
        report.deleted["webhook_events"] = deleted
        report.more |= more
    for table, (deleted, more) in prune_install_records(engine, now - policy.install_grace, batch_rows=batch_rows,
                                                        max_batches=max_batches).items():
        report.deleted[table] = deleted
        report.more |= more
    if report.total:
        log.info("retention pruned old rows", extra={"deleted": report.deleted, "more": report.more})
    return report


def prune_install_records(engine: Engine, before: datetime, *, batch_rows: int | None = None,
                          max_batches: int | None = None) -> dict[str, tuple[int, bool]]:
    """Delete OAuth states and pending connects that expired or were used before ``before``:
    {table: (rows deleted, more left)}."""
    batch_rows, max_batches = batch_rows or BATCH_ROWS, max_batches or MAX_BATCHES
    found: dict[str, tuple[int, bool]] = {}
    for model in (OAuthState, PendingConnect):
        condition = or_(model.expires_at < before, model.used_at < before)
        ids = select(model.id).where(condition).order_by(model.id)
        found[model.__tablename__] = _delete_in_batches(engine, model, ids, batch_rows, max_batches)
    return found


def _prune_events(engine: Engine, before: datetime, batch_rows: int, max_batches: int) -> tuple[int, bool]:
    # Ids grow with received_at, and an event is processed after it is received: every prunable event
    # lies below the first one received since ``before``. Bounding the batches by that id keeps each
    # one from reading the recent part of the table (there is no index on processed_at).
    with engine.connect() as connection:
        boundary = connection.scalar(select(WebhookEvent.id).where(WebhookEvent.received_at >= before)
                                     .order_by(WebhookEvent.id).limit(1))
    conditions: list[ColumnElement[bool]] = [
        WebhookEvent.status.in_(FINISHED_EVENT_STATUSES),
        func.coalesce(WebhookEvent.processed_at, WebhookEvent.received_at) < before,
    ]
    if boundary is not None:
        conditions.append(WebhookEvent.id < boundary)
    ids = select(WebhookEvent.id).where(*conditions).order_by(WebhookEvent.id)
    return _delete_in_batches(engine, WebhookEvent, ids, batch_rows, max_batches)


def _delete_in_batches(engine: Engine, model: Any, ids: Select[Any], batch_rows: int,
                       max_batches: int) -> tuple[int, bool]:
    chosen = ids.limit(batch_rows)
    if engine.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    statement = delete(model).where(model.id.in_(chosen.scalar_subquery())) \
        .execution_options(synchronize_session=False)
    total = 0
    for _ in range(max_batches):
        with engine.begin() as connection:
            deleted = int(connection.execute(statement).rowcount or 0)
        total += deleted
        if deleted < batch_rows:
            return total, False
    return total, True
