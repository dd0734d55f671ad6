"""Allocation: units that arrived go to the backorders waiting for them, first come, first served.

Run inside an open ``with uow:`` while the caller holds ``uow.shop_lock(shop_id)``; nothing here
commits or calls a store. Each backorder that gets units gains ``quantity_allocated``, an
``allocations`` row (who got what, from which source and arrival), ``allocated_at`` and an
``expected_date`` of today; it becomes ``allocated`` once its units are all set aside (a partial one
stays ``open``). Its fulfillment hold is released after the commit (connector/dropship/holds.py, where
'allocated' counts as settled).

Set-based: a batch of arrivals reads its waiting backorders in one query (columns, no entities) and
writes arrivals with one statement and allocations and backorders with one per chunk of arrivals
(connector/restock/repository.py ``write_allocations``), so statements grow with the batches, not the
backorders. The ranking keeps numbers; the reasons are rendered only when a ``Granted`` is asked for them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from typing import Any, NamedTuple

from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain.allocation import Claim, Grant, allocate_units, priority_tag_of
from connector.domain.clock import utcnow
from connector.domain.model import BackorderStatus
from connector.gc_pause import no_cycle_collection
from connector.restock.models import SOURCES, Allocation, StockPosition
from connector.restock.repository import RestockRepository
from connector.restock.settings import AllocationPolicy, policy

log = logging.getLogger(__name__)


ARRIVALS_PER_WRITE = 50
"""Arrivals whose grants are written together. One chunk's writes run while the next chunk is ranked here
(``RestockRepository.writes_in_flight``: on the PostgreSQL server, or by a thread beside this one on
SQLite); statements still grow with the arrivals, not the backorders."""

WAITING_COLUMNS = ("backorder_id", "sku", "stock_key", "quantity_backordered", "quantity_allocated", "order_id",
                   "line_id", "ordered_at", "tags")
"""The columns of one waiting row (``RestockRepository.waiting_rows``), in order."""


class Granted(NamedTuple):
    """Units set aside for one backorder by one arrival."""

    backorder_id: int
    order_id: str
    quantity: int
    fully_allocated: bool
    grant: Grant | None = None
    """The ranking's decision, kept to say why (``reasons``)."""

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the backorder got these units, in the words shown to a merchant (rendered when read)."""
        return self.grant.reasons if self.grant is not None else ()


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

    counted_ahead: int = 0
    """Of a purchase-order receipt's units, those the store had counted in before the receipt was read
    (they were allocated then, as store stock, if anyone waited): matched, not allocated again."""

    @property
    def units_allocated(self) -> int:
        return sum(g.quantity for g in self.granted)

    @property
    def units_left(self) -> int:
        return self.units - self.counted_ahead - self.units_allocated


def granted_values(backorder_quantity: int, allocated_before: int, quantity: int, now: datetime,
                   today: date) -> dict[str, Any]:
    """The backorder columns after ``quantity`` more units are set aside for it."""
    allocated = allocated_before + quantity
    status = BackorderStatus.ALLOCATED if allocated >= backorder_quantity else BackorderStatus.OPEN
    return {"quantity_allocated": allocated, "allocated_at": now, "expected_date": today,
            "status": status.value, "updated_at": now}


def allocate_arrivals(uow: UnitOfWork, shop_id: int, arrivals: Iterable[Arrival],
                      rules: AllocationPolicy | None = None, *,
                      waiting: Sequence[tuple[Any, ...]] | None = None) -> list[AllocationReport]:
    """Allocate each arrival, in the order given, to the waiting backorders of its SKU (or stock
    position); an arrival whose (source, reference) was processed before allocates nothing.

    ``waiting``: the waiting rows (``RestockRepository.waiting_rows``) of these arrivals' SKUs, read ahead
    by connector/restock/batches.py under the shop lock, which it held since; used only when every
    arrival is by SKU (otherwise, and when None, they are read here, in the transaction)."""
    arrivals = list(arrivals)
    if not arrivals:
        return []
    with no_cycle_collection():  # (a batch's tuples hold no cycles: connector/gc_pause.py)
        return _allocate_arrivals(uow, shop_id, arrivals, rules, waiting)


def _allocate_arrivals(uow: UnitOfWork, shop_id: int, arrivals: list[Arrival], rules: AllocationPolicy | None,
                       waiting: Sequence[tuple[Any, ...]] | None) -> list[AllocationReport]:
    repo = uow.repo(RestockRepository)
    rules = rules if rules is not None else policy(uow, shop_id)
    seen: set[tuple[str, str]] = set()
    for source in {a.source for a in arrivals}:
        refs = [a.reference for a in arrivals if a.source == source]
        seen |= {(source, ref) for ref in repo.seen_arrivals(shop_id, source, refs)}
    fresh = [a for a in arrivals if (a.source, a.reference) not in seen]
    skus = {a.sku for a in fresh if a.stock_key is None and a.sku}
    keys = {a.stock_key for a in fresh if a.stock_key}
    if waiting is not None and not keys:
        found: tuple[Sequence[Any], Sequence[Any]] = ([row for row in waiting if row[1] in skus], [])
    else:
        found = (repo.waiting_rows(shop_id, skus=skus) if skus else [],
                 repo.waiting_rows(shop_id, keys=keys) if keys else [])
    rows: dict[int, Any] = {}
    by_sku: dict[str, list[int]] = defaultdict(list)
    by_stock: dict[str, list[int]] = defaultdict(list)
    priority: dict[int, str | None] = {}
    allocated: dict[int, int] = {}
    tags_wanted = rules.priority_tags
    for row in chain(*found):  # one pass: what the ranking needs of each row, indexed once
        backorder_id = row[0]
        if backorder_id in rows:  # waiting on a SKU and a stock position of this batch both
            continue
        rows[backorder_id] = row
        by_sku[row[1] or ""].append(backorder_id)
        by_stock[row[2] or ""].append(backorder_id)
        priority[backorder_id] = priority_tag_of(row[8], tags_wanted) if row[8] else None
        allocated[backorder_id] = row[4] or 0
    now = utcnow()
    today = now.date()
    arrival_rows: list[dict[str, Any]] = []
    credits: dict[str, int] = defaultdict(int)
    receipts = {a.sku for a in fresh if a.source == "purchase_order" and a.sku}
    stock = _Positions(repo, shop_id, receipts, {row[2] for row in rows.values() if row[2]}
                       if any(a.source == "purchase_order" for a in fresh) else set())
    ahead = _CountedAhead(repo, shop_id, receipts, stock.counted_ahead)
    reports = []
    with repo.writes_in_flight():
        for first in range(0, len(arrivals), ARRIVALS_PER_WRITE):
            given: list[tuple[int, int, str, str]] = []
            """(backorder id, units, source, reference): one allocation row each."""
            for arrival in arrivals[first:first + ARRIVALS_PER_WRITE]:
                if (arrival.source, arrival.reference) in seen:
                    reports.append(AllocationReport(arrival.source, arrival.reference, arrival.units, duplicate=True))
                    continue
                seen.add((arrival.source, arrival.reference))
                pool = by_stock.get(arrival.stock_key, ()) if arrival.stock_key else by_sku.get(arrival.sku or "", ())
                matched = ahead.match(arrival.sku, arrival.units) if arrival.source == "purchase_order" else 0
                units = arrival.units - matched
                granted = _allocate(arrival, units, pool, rows, allocated, priority, rules) if units > 0 else []
                for grant in granted:
                    given.append((grant.backorder_id, grant.quantity, arrival.source, arrival.reference))
                if arrival.source == "purchase_order":
                    for grant in granted:
                        key = rows[grant.backorder_id][2]
                        if key:
                            credits[key] += grant.quantity
                arrival_rows.append({"shop_id": shop_id, "source": arrival.source, "reference": arrival.reference,
                                     "sku": arrival.sku, "stock_key": arrival.stock_key, "units": arrival.units,
                                     "units_allocated": sum(g.quantity for g in granted), "received_at": now})
                reports.append(AllocationReport(arrival.source, arrival.reference, arrival.units, tuple(granted),
                                                counted_ahead=matched))
            _write(repo, shop_id, given, rows, allocated, now, today)
    repo.add_arrivals(arrival_rows)
    stock.add_new(credits, {key: rows[ids[0]][1] for key, ids in by_stock.items() if key and ids})
    ahead.settle()
    stock.add_credits(credits)
    for report in reports:
        if report.granted:
            log.info("arrival allocated", extra={"shop_id": shop_id, "source": report.source,
                                                 "reference": report.reference, "units": report.units,
                                                 "allocated": report.units_allocated,
                                                 "backorders": len(report.granted)})
    return reports


def _write(repo: RestockRepository, shop_id: int, given: list[tuple[int, int, str, str]], rows: dict[int, Any],
           allocated: dict[int, int], now: datetime, today: date) -> None:
    """The allocation rows of a chunk of arrivals and its backorders' columns as they stand now (a
    later chunk that gives a backorder more units writes its columns again)."""
    if not given:
        return
    changed = sorted({backorder_id for backorder_id, _, _, _ in given})
    full, short = BackorderStatus.ALLOCATED.value, BackorderStatus.OPEN.value
    repo.write_allocations(shop_id, given, [(backorder_id, allocated[backorder_id],
                                             full if allocated[backorder_id] >= rows[backorder_id][3] else short)
                                            for backorder_id in changed], now, today)


def _allocate(arrival: Arrival, units: int, pool: Sequence[int], rows: dict[int, Any], allocated: dict[int, int],
              priority: dict[int, str | None], rules: AllocationPolicy) -> list[Granted]:
    """One arrival's units down the ranking of the pool's backorders still short; ``allocated`` moves on."""
    claims = []
    by_key: dict[tuple[str, str], int] = {}
    for backorder_id in pool:
        row = rows[backorder_id]
        need = row[3] - allocated[backorder_id]
        if need > 0:
            claims.append(Claim(row[5], row[6], row[7], need, priority[backorder_id]))
            by_key[(row[5], row[6])] = backorder_id
    granted = []
    for grant in allocate_units(units, claims, whole_lines_first=rules.whole_lines_first):
        backorder_id = by_key[(grant.order_id, grant.line_id)]
        allocated[backorder_id] += grant.quantity
        granted.append(Granted(backorder_id, grant.order_id, grant.quantity,
                               allocated[backorder_id] >= rows[backorder_id][3], grant))
    return granted


class _CountedAhead:
    """Units the store counted in while they were on order and no receipt named yet (the negative
    purchase-order balance of the SKU's stock positions, connector/domain/allocation.py ``counted_in``):
    a receipt of the SKU is matched against them first, so a delivered case the merchant counted into
    the store before the receipt was read is allocated once (as store stock), not again.

    Everything is read before the batch's writes go in flight and the positions are written back only
    after (``settle``): nothing here reads or flushes while PostgreSQL pipelines the writes."""

    def __init__(self, repo: RestockRepository, shop_id: int, skus: set[str], positions: list[StockPosition]) -> None:
        self.positions = positions
        self.ahead = {position.id: -position.credit for position in self.positions}
        """Position id -> units counted ahead, as the batch's receipts match them."""
        self.on_order = repo.units_on_order(shop_id, skus) if self.positions else {}
        """Units still on order per SKU. A receipt is recorded before it is allocated, so its own units
        are no longer on order when read here."""

    def match(self, sku: str | None, units: int) -> int:
        """Units of a receipt of ``sku`` the store already counted in (at most what was on order with
        them); those positions' count ahead goes down by as many."""
        mine = [position.id for position in self.positions if position.sku == sku]
        if not mine:
            return 0
        self._cap(mine, self.on_order.get(sku or "", 0) + units)
        matched = 0
        for position_id in mine:
            take = min(units - matched, self.ahead[position_id])
            self.ahead[position_id] -= take
            matched += take
        return matched

    def settle(self) -> None:
        """Write the positions back; what is still counted ahead never exceeds the units still on order
        (an order received in full or cancelled leaves nothing to match)."""
        for sku in {position.sku for position in self.positions}:
            self._cap([p.id for p in self.positions if p.sku == sku], self.on_order.get(sku or "", 0))
        for position in self.positions:
            position.credit = -self.ahead[position.id]

    def _cap(self, position_ids: list[int], units: int) -> None:
        for position_id in position_ids:
            self.ahead[position_id] = min(self.ahead[position_id], max(0, units))
            units -= self.ahead[position_id]


class _Positions:
    """The stock positions a batch reads, in one query before its writes go in flight: those of its
    receipts' SKUs counted ahead (``_CountedAhead``) and those of its waiting backorders' stock keys, which
    purchase-order receipts credit with the units they allocate (the store's count does not show them yet)."""

    def __init__(self, repo: RestockRepository, shop_id: int, skus: set[str], keys: set[str]) -> None:
        self.repo, self.shop_id = repo, shop_id
        found = repo.positions_of(shop_id, skus=skus, keys=keys) if skus or keys else []
        self.by_key = {position.stock_key: position for position in found if position.stock_key in keys}
        self.counted_ahead = [position for position in found
                              if position.sku in skus and position.credit is not None and position.credit < 0]
        """Key order, as ``RestockRepository.positions_of`` returns them."""

    def add_new(self, credits: dict[str, int], skus: dict[str, str | None]) -> None:
        """Insert the positions credited that do not exist yet (one executemany). Not in flight with the
        allocations: a single-row ORM insert reads its new primary key back."""
        self.repo.add_positions([{"shop_id": self.shop_id, "stock_key": key, "sku": skus.get(key), "credit": units}
                                 for key, units in credits.items() if key not in self.by_key])

    def add_credits(self, credits: dict[str, int]) -> None:
        """Credit the positions that existed (written with the session's flush)."""
        for key, units in credits.items():
            position = self.by_key.get(key)
            if position is not None:
                position.credit = (position.credit or 0) + units


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
