"""The Suppliers pages' queries, every one scoped to the merchant's shop.

Reached with ``uow.repo(SupplierPagesRepository)`` inside ``with uow:``. A supplier or a job run of
another shop is not found (None), so a page never shows nor changes another shop's rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from connector.db.models_jobs import JobRun
from connector.db.repositories import Repository
from connector.domain.host_key import HostKey
from connector.supply.host_keys import stored_key
from connector.supply.models import Supplier, SupplierPush, SupplierSnapshot, SupplierStock

RECENT_POLLS = 5
"""Polls shown per supplier on the list."""


@dataclass(frozen=True)
class SupplierView:
    """A supplier row as the pages read it (plain values: usable after the unit of work closed)."""

    id: int
    name: str
    kind: str
    status: str
    settings: str
    secret: str | None
    handling_days: int
    transit_days: int
    lead_time_days: int | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    host_key: HostKey | None
    """The SFTP host key trusted (None: none yet)."""

    @classmethod
    def of(cls, s: Supplier) -> SupplierView:
        return cls(s.id, s.name, s.kind, s.status, s.settings or "{}", s.secret, s.handling_days or 0,
                   s.transit_days or 0, s.lead_time_days, s.last_polled_at, s.last_success_at,
                   s.consecutive_failures or 0, s.last_error, stored_key(s))


@dataclass(frozen=True)
class PollLine:
    id: int
    status: str
    """running | ok | unchanged | failed"""
    started_at: datetime
    finished_at: datetime | None
    rows_total: int
    rows_bad: int
    rows_changed: int
    error: str | None
    bad_rows: list[dict[str, Any]]
    """The first bad rows as stored: {line, reason} each."""


@dataclass(frozen=True)
class TermsLine:
    sku: str
    dropship: bool
    unit_cost: float | None
    quantity: int | None


@dataclass(frozen=True)
class RunLine:
    id: int
    status: str
    """pending | running | done | failed"""
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class PushColumns:
    """A supplier's push columns as stored (the key sealed; connector/supply/push.py opens it) and its
    last push, for the supplier page's Push section."""

    token: str | None
    sealed: str | None
    last: PushLine | None


@dataclass(frozen=True)
class PushLine:
    """One push in the supplier's inbox (``supplier_pushes``), without its body."""

    event_id: str
    kind: str
    """changed | rows"""
    status: str
    """pending | processing | done | failed"""
    attempts: int
    error: str | None
    received_at: datetime
    processed_at: datetime | None


def _poll(s: SupplierSnapshot) -> PollLine:
    return PollLine(s.id, s.status, s.started_at, s.finished_at, s.rows_total or 0, s.rows_bad or 0,
                    s.rows_changed or 0, s.error, json.loads(s.bad_rows) if s.bad_rows else [])


def _run(r: JobRun) -> RunLine:
    return RunLine(r.id, r.status, r.enqueued_at, r.started_at, r.finished_at, r.last_error)


class SupplierPagesRepository(Repository):

    def suppliers(self, shop_id: int) -> list[SupplierView]:
        return [SupplierView.of(s) for s in self.session.scalars(
            select(Supplier).where(Supplier.shop_id == shop_id).order_by(Supplier.name, Supplier.id))]

    def supplier(self, shop_id: int, supplier_id: int) -> SupplierView | None:
        found = self.session.scalar(select(Supplier).where(Supplier.shop_id == shop_id, Supplier.id == supplier_id))
        return SupplierView.of(found) if found is not None else None

    def supplier_named(self, shop_id: int, name: str) -> bool:
        return self.session.scalar(select(Supplier.id).where(Supplier.shop_id == shop_id,
                                                             Supplier.name == name)) is not None

    def recent_polls(self, shop_id: int, limit: int = RECENT_POLLS) -> dict[int, list[PollLine]]:
        """The last ``limit`` polls of each of the shop's suppliers, newest first, in one query."""
        number = func.row_number().over(partition_by=SupplierSnapshot.supplier_id,
                                        order_by=SupplierSnapshot.id.desc()).label("n")
        ranked = (select(SupplierSnapshot.id, number).where(SupplierSnapshot.shop_id == shop_id).subquery())
        rows = self.session.scalars(
            select(SupplierSnapshot).join(ranked, ranked.c.id == SupplierSnapshot.id)
            .where(ranked.c.n <= limit).order_by(SupplierSnapshot.supplier_id, SupplierSnapshot.id.desc()))
        found: dict[int, list[PollLine]] = {}
        for snapshot in rows:
            found.setdefault(snapshot.supplier_id, []).append(_poll(snapshot))
        return found

    def polls(self, shop_id: int, supplier_id: int, limit: int = 10) -> list[PollLine]:
        rows = self.session.scalars(
            select(SupplierSnapshot).where(SupplierSnapshot.shop_id == shop_id,
                                           SupplierSnapshot.supplier_id == supplier_id)
            .order_by(SupplierSnapshot.id.desc()).limit(limit))
        return [_poll(s) for s in rows]

    def last_poll_id(self, shop_id: int, supplier_id: int) -> int:
        """The newest poll's id (0: never polled): a poll asked for now is one after it."""
        return int(self.session.scalar(select(func.max(SupplierSnapshot.id)).where(
            SupplierSnapshot.shop_id == shop_id, SupplierSnapshot.supplier_id == supplier_id)) or 0)

    def poll_after(self, shop_id: int, supplier_id: int, after: int) -> PollLine | None:
        """The first poll of the supplier that started after poll ``after``."""
        snapshot = self.session.scalar(
            select(SupplierSnapshot).where(SupplierSnapshot.shop_id == shop_id,
                                           SupplierSnapshot.supplier_id == supplier_id, SupplierSnapshot.id > after)
            .order_by(SupplierSnapshot.id).limit(1))
        return _poll(snapshot) if snapshot is not None else None

    def terms(self, shop_id: int, supplier_id: int, limit: int = 200) -> list[TermsLine]:
        """SKUs with drop-ship terms (offered, or a unit cost known), by SKU."""
        rows = self.session.execute(
            select(SupplierStock.sku, SupplierStock.dropship, SupplierStock.unit_cost, SupplierStock.quantity)
            .where(SupplierStock.shop_id == shop_id, SupplierStock.supplier_id == supplier_id,
                   or_(SupplierStock.dropship.is_(True), SupplierStock.unit_cost.is_not(None)))
            .order_by(SupplierStock.sku).limit(limit))
        return [TermsLine(sku, bool(dropship), None if cost is None else float(cost), quantity)
                for sku, dropship, cost, quantity in rows]

    def push(self, shop_id: int, supplier_id: int) -> PushColumns | None:
        """The supplier's push columns and its newest push (None: no such supplier in this shop)."""
        row = self.session.execute(select(Supplier.push_token, Supplier.push_secret).where(
            Supplier.shop_id == shop_id, Supplier.id == supplier_id)).first()
        if row is None:
            return None
        last = self.session.execute(  # not the body: only what the page shows
            select(SupplierPush.event_id, SupplierPush.kind, SupplierPush.status, SupplierPush.attempts,
                   SupplierPush.error, SupplierPush.received_at, SupplierPush.processed_at)
            .where(SupplierPush.shop_id == shop_id, SupplierPush.supplier_id == supplier_id)
            .order_by(SupplierPush.id.desc()).limit(1)).first()
        line = None if last is None else PushLine(last.event_id, last.kind, last.status, last.attempts or 0,
                                                  last.error, last.received_at, last.processed_at)
        return PushColumns(row.push_token, row.push_secret, line)

    def run(self, shop_id: int, run_id: int) -> RunLine | None:
        row = self.session.scalar(select(JobRun).where(JobRun.shop_id == shop_id, JobRun.id == run_id))
        return _run(row) if row is not None else None

    def waiting_run(self, shop_id: int, dedupe_key: str) -> RunLine | None:
        """The run not started yet that a coalesced request joined."""
        row = self.session.scalar(select(JobRun).where(JobRun.shop_id == shop_id, JobRun.dedupe_key == dedupe_key))
        return _run(row) if row is not None else None
