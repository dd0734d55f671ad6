"""The merchant app shell's queries: app-link nonces and the home page's summary, each scoped to one shop.

Reached with ``uow.repo(MerchantRepository)`` inside ``with uow:``. The summary counts in SQL (an
index on (shop_id, status) serves the waiting count), so the home page stays fast at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError

from connector.db.models import Backorder
from connector.db.models_jobs import JobRun
from connector.db.repositories import Repository
from connector.merchant.models import AppLink
from connector.supply.models import Supplier

WAITING = ("open", "allocated")
"""Backorder statuses that still wait for the customer's goods."""


@dataclass(frozen=True)
class SupplierLine:
    name: str
    status: str
    last_polled_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None


@dataclass(frozen=True)
class JobError:
    job: str
    finished_at: datetime | None
    error: str


class MerchantRepository(Repository):

    # -- app-link nonces ----------------------------------------------------------------------------

    def add_link(self, link: AppLink) -> AppLink:
        self.session.add(link)
        self.session.flush()
        return link

    def link(self, nonce_hash: str) -> AppLink | None:
        return self.session.scalar(select(AppLink).where(AppLink.nonce_hash == nonce_hash))

    def take_link(self, link_id: int, now: datetime) -> bool:
        """Mark the link used if nobody has: True for the one caller that did."""
        result = cast(CursorResult[tuple[()]], self.session.execute(
            update(AppLink).where(AppLink.id == link_id, AppLink.used_at.is_(None), AppLink.expires_at > now)
            .values(used_at=now)))
        return result.rowcount == 1

    def use_nonce(self, shop_id: int, purpose: str, nonce_hash: str, expires_at: datetime, now: datetime,
                  actor: str | None = None) -> bool:
        """Record a single-use nonce seen now: True the first time, False for a replay (any shop, any
        purpose: digests are unique). The row is flushed in a savepoint, so a replay leaves the unit of
        work usable."""
        try:
            with self.session.begin_nested():
                self.session.add(AppLink(shop_id=shop_id, purpose=purpose, nonce_hash=nonce_hash, actor=actor,
                                         created_at=now, expires_at=expires_at, used_at=now))
        except IntegrityError:
            return False
        return True

    def prune_links(self, before: datetime) -> int:
        """Delete nonces that expired before ``before`` (a replay of those fails on expiry anyway)."""
        from sqlalchemy import delete

        result = cast(CursorResult[tuple[()]], self.session.execute(
            delete(AppLink).where(AppLink.expires_at < before)))
        return result.rowcount

    # -- the home page's summary -------------------------------------------------------------------

    def waiting_backorders(self, shop_id: int) -> tuple[int, int]:
        """(backorder lines, units) still waiting: open or allocated."""
        row = self.session.execute(
            select(func.count(Backorder.id), func.coalesce(func.sum(Backorder.quantity_backordered), 0))
            .where(Backorder.shop_id == shop_id, Backorder.status.in_(WAITING))).one()
        return int(row[0]), int(row[1])

    def suppliers(self, shop_id: int) -> Sequence[SupplierLine]:
        rows = self.session.execute(
            select(Supplier.name, Supplier.status, Supplier.last_polled_at, Supplier.last_success_at,
                   Supplier.consecutive_failures, Supplier.last_error)
            .where(Supplier.shop_id == shop_id).order_by(Supplier.name))
        return [SupplierLine(*row) for row in rows]

    def recent_job_errors(self, shop_id: int, limit: int = 5) -> Sequence[JobError]:
        rows = self.session.execute(
            select(JobRun.job, JobRun.finished_at, JobRun.last_error)
            .where(JobRun.shop_id == shop_id, JobRun.status == "failed")
            .order_by(JobRun.finished_at.desc(), JobRun.id.desc()).limit(limit))
        return [JobError(job, finished, error or "") for job, finished, error in rows]
