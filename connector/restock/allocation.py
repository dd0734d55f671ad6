"""Allocation: units that arrived go to the backorders waiting for them, first come, first served.

Run inside an open ``with uow:`` while the caller holds ``uow.shop_lock(shop_id)``; nothing here
commits or calls a store. Each backorder that gets units gains ``quantity_allocated``, an
``allocations`` row (who got what, from which source and arrival), ``allocated_at`` and an
``expected_date`` of today; it becomes ``allocated`` once its units are all set aside (a partial one
stays ``open``). Its fulfillment hold is released after the commit (connector/dropship/holds.py, where
'allocated' counts as settled).

Set-based: a batch of arrivals reads its waiting backorders in one query and writes allocations,
backorders and arrivals with one statement each, so queries grow with the batches, not the backorders.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain.allocation import Claim, Grant, allocate_units, priority_tag_of
from connector.domain.clock import utcnow
from connector.domain.model import BackorderStatus
from connector.restock.models import SOURCES, Allocation
from connector.restock.repository import RestockRepository
from connector.restock.settings import AllocationPolicy, policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Waiting:
    """One open backorder still short of units, as columns."""

    backorder_id: int
    sku: str | None
    stock_key: str | None
    quantity_backordered: int
    quantity_allocated: int
    order_id: str
    line_id: str
    ordered_at: datetime
    tags: str | None

    @property
    def need(self) -> int:
        return max(0, self.quantity_backordered - (self.quantity_allocated or 0))

    def claim(self, rules: AllocationPolicy) -> Claim:
        return Claim(self.order_id, self.line_id, self.ordered_at, self.need,
                     priority_tag_of(self.tags, rules.priority_tags))


@dataclass(frozen=True)
class Granted:
    """Units set aside for one backorder by one arrival."""

    backorder_id: int
    order_id: str
    quantity: int
    fully_allocated: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Arrival:
    """Units of one SKU (or one stock position) that arrived, under an idempotency reference."""

    sku: str | None
    units: int
    source: str
    reference: str
    stock_key: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown arrival source {self.source!r}; known: {', '.join(SOURCES)}")
        if self.units < 0:
            raise ValueError(f"arrival {self.reference!r} has {self.units} units")
        if not self.reference or len(self.reference) > 255:
            raise ValueError(f"arrival reference must be 1-255 characters, got {self.reference!r}")


@dataclass(frozen=True)
class AllocationReport:
    """What one arrival did."""

    source: str
    reference: str
    units: int
    granted: tuple[Granted, ...] = field(default_factory=tuple)
    duplicate: bool = False
    """The arrival (source, reference) had been processed before: nothing was allocated now."""

    @property
    def units_allocated(self) -> int:
        return sum(g.quantity for g in self.granted)

    @property
    def units_left(self) -> int:
        return self.units - self.units_allocated


def granted_values(backorder_quantity: int, allocated_before: int, quantity: int, now: datetime,
                   today: date) -> dict[str, Any]:
    """The backorder columns after ``quantity`` more units are set aside for it."""
    allocated = allocated_before + quantity
    status = BackorderStatus.ALLOCATED if allocated >= backorder_quantity else BackorderStatus.OPEN
    return {"quantity_allocated": allocated, "allocated_at": now, "expected_date": today,
            "status": status.value, "updated_at": now}


def _grants(units: int, waiting: Sequence[Waiting], allocated: dict[int, int],
            rules: AllocationPolicy) -> list[tuple[Waiting, Grant]]:
    by_key = {(w.order_id, w.line_id): w for w in waiting}
    claims = [Claim(w.order_id, w.line_id, w.ordered_at, w.quantity_backordered - allocated[w.backorder_id],
                    priority_tag_of(w.tags, rules.priority_tags)) for w in waiting]
    grants = allocate_units(units, claims, whole_lines_first=rules.whole_lines_first)
    return [(by_key[(g.order_id, g.line_id)], g) for g in grants]


def allocate_arrivals(uow: UnitOfWork, shop_id: int, arrivals: Iterable[Arrival],
                      rules: AllocationPolicy | None = None) -> list[AllocationReport]:
    """Allocate each arrival, in the order given, to the waiting backorders of its SKU (or stock
    position); an arrival whose (source, reference) was processed before allocates nothing."""
    arrivals = list(arrivals)
    if not arrivals:
        return []
    repo = uow.repo(RestockRepository)
    rules = rules if rules is not None else policy(uow, shop_id)
    seen: set[tuple[str, str]] = set()
    for source in {a.source for a in arrivals}:
        refs = [a.reference for a in arrivals if a.source == source]
        seen |= {(source, ref) for ref in repo.seen_arrivals(shop_id, source, refs)}
    fresh = [a for a in arrivals if (a.source, a.reference) not in seen]
    skus = {a.sku for a in fresh if a.stock_key is None and a.sku}
    keys = {a.stock_key for a in fresh if a.stock_key}
    rows = []
    if skus:
        rows += [Waiting(*row) for row in repo.waiting_rows(shop_id, skus=skus)]
    if keys:
        rows += [Waiting(*row) for row in repo.waiting_rows(shop_id, keys=keys)]
    by_sku: dict[str, dict[int, Waiting]] = defaultdict(dict)
    by_stock: dict[str, dict[int, Waiting]] = defaultdict(dict)
    for row in rows:
        by_sku[row.sku or ""][row.backorder_id] = row
        by_stock[row.stock_key or ""][row.backorder_id] = row
    now, today = utcnow(), utcnow().date()
    allocated: dict[int, int] = {row.backorder_id: row.quantity_allocated or 0 for row in rows}
    grants_of: dict[int, list[tuple[Arrival, int]]] = defaultdict(list)
    arrival_rows: list[dict[str, Any]] = []
    credits: dict[str, int] = defaultdict(int)
    reports = []
    for arrival in arrivals:
        if (arrival.source, arrival.reference) in seen:
            reports.append(AllocationReport(arrival.source, arrival.reference, arrival.units, duplicate=True))
            continue
        seen.add((arrival.source, arrival.reference))
        pool = by_stock[arrival.stock_key] if arrival.stock_key else by_sku[arrival.sku or ""]
        waiting = [row for bid, row in pool.items() if row.quantity_backordered > allocated[bid]]
        granted = []
        for row, grant in _grants(arrival.units, waiting, allocated, rules):
            allocated[row.backorder_id] += grant.quantity
            grants_of[row.backorder_id].append((arrival, grant.quantity))
            if arrival.source == "purchase_order" and row.stock_key:
                credits[row.stock_key] += grant.quantity
            granted.append(Granted(row.backorder_id, row.order_id, grant.quantity,
                                   allocated[row.backorder_id] >= row.quantity_backordered, grant.reasons))
        arrival_rows.append({"shop_id": shop_id, "source": arrival.source, "reference": arrival.reference,
                             "sku": arrival.sku, "stock_key": arrival.stock_key, "units": arrival.units,
                             "units_allocated": sum(g.quantity for g in granted), "received_at": now})
        reports.append(AllocationReport(arrival.source, arrival.reference, arrival.units, tuple(granted)))
    repo.add_arrivals(arrival_rows)
    _write(repo, shop_id, {row.backorder_id: row for row in rows}, grants_of, now, today)
    _add_credits(repo, shop_id, credits)
    for report in reports:
        if report.granted:
            log.info("arrival allocated", extra={"shop_id": shop_id, "source": report.source,
                                                 "reference": report.reference, "units": report.units,
                                                 "allocated": report.units_allocated,
                                                 "backorders": len(report.granted)})
    return reports


def _write(repo: RestockRepository, shop_id: int, rows: dict[int, Waiting],
           grants_of: dict[int, list[tuple[Arrival, int]]], now: datetime, today: date) -> None:
    """Write the batch's grants. The common case, one arrival filling a backorder's whole need, is
    written in SQL per arrival (INSERT ... SELECT of its allocations, then one UPDATE of those
    backorders), so the statements grow with the arrivals, not the backorders; the rest (a partial
    grant, two arrivals sharing a backorder) row by row."""
    whole: dict[tuple[str, str], list[int]] = defaultdict(list)
    allocation_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for backorder_id, given in grants_of.items():
        row = rows[backorder_id]
        before = row.quantity_allocated or 0
        if len(given) == 1 and before + given[0][1] >= row.quantity_backordered:
            arrival = given[0][0]
            whole[(arrival.source, arrival.reference)].append(backorder_id)
            continue
        for arrival, quantity in given:
            allocation_rows.append({"shop_id": shop_id, "backorder_id": backorder_id, "quantity": quantity,
                                    "source": arrival.source, "reference": arrival.reference, "created_at": now})
        total = sum(quantity for _, quantity in given)
        updates.append({"id": backorder_id, **granted_values(row.quantity_backordered, before, total, now, today)})
    for (source, reference), ids in whole.items():
        repo.allocate_whole(shop_id, ids, source, reference, now, today)
    repo.add_allocations(allocation_rows)
    repo.set_backorders(updates)


def _add_credits(repo: RestockRepository, shop_id: int, credits: dict[str, int]) -> None:
    """Units allocated from purchase-order receipts that the store's count does not show yet."""
    if not credits:
        return
    positions = repo.positions(shop_id, credits)
    new = []
    for key, units in credits.items():
        position = positions.get(key)
        if position is None:
            new.append({"shop_id": shop_id, "stock_key": key, "credit": units})
        else:
            position.credit = (position.credit or 0) + units
    repo.add_positions(new)


def grant_entity(uow: UnitOfWork, shop_id: int, backorder: Backorder, quantity: int, *, source: str,
                 reference: str) -> None:
    """Set ``quantity`` units aside for one loaded backorder (the stock-position evaluation's path,
    which holds the entity)."""
    now = utcnow()
    values = granted_values(backorder.quantity_backordered, backorder.quantity_allocated or 0, quantity, now,
                            now.date())
    for name, value in values.items():
        setattr(backorder, name, value)
    uow.repo(RestockRepository).add_allocation(Allocation(
        shop_id=shop_id, backorder_id=backorder.id, quantity=quantity, source=source, reference=reference,
        created_at=now))
