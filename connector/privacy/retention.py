"""Retention: what the connector keeps only for a while is deleted, a bounded batch at a time.

- Webhook events (the inbox) once finished: done, failed, ignored or parked, and processed more than
  ``retention.webhook_events_days`` ago. An event that is pending, waiting for a retry or being
  processed (a worker's lease on it) is never deleted, however old. Deduplication needs a row only
  while a platform may deliver the event again: Shopify retries for 48 hours, WooCommerce for less.
- Shopify OAuth states and WooCommerce pending connects once expired or used, after
  ``retention.install_grace_minutes`` (a replayed state or user_id is refused either way).
- Supplier pushes (supplier_pushes) once done or failed, after the same ``retention.webhook_events_days``
  (a replayed push is refused on its signed time after five minutes either way); pending or running
  pushes are never deleted.
- The merchant app's single-use nonces (app_links: WooCommerce app links, the WordPress plugin's signed
  calls) once expired, after the same grace (a replay fails on its expiry either way).

Every DELETE names at most ``BATCH_ROWS`` ids chosen by a subquery, each in its own short
transaction, so a large backlog never holds a long lock (SQLite's one writer, PostgreSQL's row
locks); PostgreSQL skips rows another transaction holds. A run stops after ``MAX_BATCHES`` per table
and says so (``more``), and the job queues a follow-up. Job runs (job_runs) are pruned by the sweeper
(connector/db/job_runs_sweep.py). The DELETEs themselves are storage: connector/privacy/repository.py
(the inbox), connector/install/records.py (install records), connector/merchant/records.py (app links) and
connector/supply/push_records.py (supplier pushes).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from connector.db.repositories import BATCH_ROWS, MAX_BATCHES
from connector.domain.clock import utcnow
from connector.install.records import prune_install_records
from connector.merchant.records import prune_spent_links
from connector.privacy.repository import FINISHED_EVENT_STATUSES, prune_finished_events
from connector.supply.push_records import prune_finished_pushes

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["BATCH_ROWS", "FINISHED_EVENT_STATUSES", "MAX_BATCHES", "PruneReport", "RetentionPolicy", "prune"]

log = logging.getLogger(__name__)


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
        deleted, more = prune_finished_events(engine, now - timedelta(days=policy.webhook_events_days),
                                              batch_rows, max_batches)
        report.deleted["webhook_events"] = deleted
        report.more |= more
        deleted, more = prune_finished_pushes(engine, now - timedelta(days=policy.webhook_events_days),
                                              batch_rows=batch_rows, max_batches=max_batches)
        report.deleted["supplier_pushes"] = deleted
        report.more |= more
    for table, (deleted, more) in prune_install_records(engine, now - policy.install_grace, batch_rows=batch_rows,
                                                        max_batches=max_batches).items():
        report.deleted[table] = deleted
        report.more |= more
    deleted, more = prune_spent_links(engine, now - policy.install_grace, batch_rows=batch_rows,
                                      max_batches=max_batches)
    report.deleted["app_links"] = deleted
    report.more |= more
    if report.total:
        log.info("retention pruned old rows", extra={"deleted": report.deleted, "more": report.more})
    return report

