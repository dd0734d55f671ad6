"""One poll's rows into the database: diff against stored stock in chunks, write only what changed.

Rows arrive as tuples ``(sku, quantity, restock date, lead time, line, dropship, unit cost,
fingerprint, position)`` (adapters/suppliers/feed_scan.FeedLine); a supplier that yields SupplierRow objects
(the JSON API) gets ``None`` fingerprints. For a feed, ``hashes.known`` holds the fingerprints of the
lines behind the stored stock; the feed adapter skips lines found there, and each chunk written here
swaps a SKU's old fingerprint for its new one, so at the end it is what to keep for the next poll.
A SKU listed twice: the later line wins, also when the later line is one the adapter skipped
(``hits``: the fingerprints skipped since the last chunk was stored, in order; a row's ``position``
is how many there were when it was read). Its two lines in different chunks make one change row, not
one a line: the later chunk revises the row the earlier one wrote, or deletes it when the later line
puts back what the poll found (``_logged``); a first load writes none (its rows are its history).

A first load (``fresh``: the supplier had no stored rows when the poll began, as on its first poll)
compares nothing with the database: a chunk's SKUs can only be stored already when this poll wrote
them, so the stored state is read only for a chunk holding such a SKU (a SKU listed twice). On SQLite
a first load of a feed is also written by a thread of its own (BackgroundWriter) while the feed is read
on: the database's work on one chunk runs beside the parsing of the next. On PostgreSQL its rows go
into one ``COPY`` kept open across chunks (FeedRepository), which the server stores as they arrive.
The rows written and the history read are the same as the general path's
(tests/integration/test_first_poll.py); the history of a first load is its snapshot, named by its
stock rows, not a change row per SKU (migration 0037).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from connector.background import InOrder
from connector.domain.supply import SupplierRow
from connector.supply.feed_repository import FeedRepository, LineHashes

Line = tuple[Any, ...]
SKU, QUANTITY, RESTOCK, LEAD, LINE, DROPSHIP, COST, FINGERPRINT, POSITION = range(9)


@dataclass
class ChunkWriter:
    """Writes one poll's chunks; counts what changed and keeps ``hashes`` in step with the rows."""

    repo: FeedRepository
    shop_id: int
    supplier_id: int
    snapshot_id: int
    now: datetime
    hashes: LineHashes = field(default_factory=lambda: LineHashes(set()))
    changed: int = 0
    hashes_changed: bool = False
    fresh: bool = False
    """The supplier had no stored rows when the poll began: only SKUs written by this poll are stored. Its
    new rows name the snapshot and get no change row each (connector/supply/history.py reads them as
    written at ``now``: give the snapshot's start)."""
    _db_dates: dict[date | None, Any] = field(default_factory=dict)
    _written: set[str] = field(default_factory=set)
    _logged: dict[str, tuple[Any, Any, Any] | None] = field(default_factory=dict)
    """The SKUs this poll wrote a change row for (not a first load): the (quantity, restock date, lead time)
    they had before the poll, None for a SKU new to the supplier. A SKU met again in a later chunk (listed
    twice, further apart than a chunk) revises that row rather than writing a second one, so the history
    holds what the poll changed, not the earlier line's values, whatever the chunk size."""

    def apply(self, chunk: list[Line], hits: Sequence[int] = ()) -> int:
        latest: dict[str, Line] = dict(zip(map(_first, chunk), chunk, strict=True))  # the later line wins
        if self.fresh:  # only SKUs this poll wrote are stored; these are (all of them once applied)
            written, count = self._written, len(self._written)
            written.update(latest)
            if len(written) - count == len(latest):  # none of them written before: every row is new
                return self._insert_new(list(latest.values()) if len(latest) < len(chunk) else chunk)
        stored = self.repo.stock_for(self.supplier_id, list(latest))
        kept = _stored_line_later(latest, stored, hits)
        inserts: list[Line] = []
        updates: list[Line] = []
        rehash: list[tuple[int, int | None]] = []
        changes: list[Line] = []
        revised: list[Line] = []
        undone: list[str] = []
        terms: list[Line] = []
        logged, fresh = self._logged, self.fresh
        known, db_date, hashes = self.hashes.known, self._db_date, self.hashes
        track = hashes.base > 0  # what changed against the stored base (a first load writes a new one)
        order = hashes.order.append if hashes.order is not None else None
        for sku, row in latest.items():
            before = stored.get(sku)
            quantity, restock, lead, fp = row[QUANTITY], db_date(row[RESTOCK]), row[LEAD], row[FINGERPRINT]
            if before is None:
                inserts.append((sku, quantity, restock, lead, fp))  # its change row: see insert_stock
                if not fresh:
                    logged[sku] = None
                if fp is not None:
                    known.add(fp)
                    if track:
                        hashes.added(fp)
                    if order is not None:
                        order(fp)
            else:
                old_fp = before[4]
                if old_fp in kept:
                    continue  # the SKU's stored line comes again later in the feed: it stays
                if before[1:4] == (quantity, restock, lead):
                    if fp != old_fp:
                        rehash.append((before[0], fp))
                else:
                    updates.append((before[0], quantity, restock, lead, fp))
                    if not fresh:  # (a first load's rows are its own: a later line's values are what it loaded)
                        if sku not in logged:
                            changes.append((sku, quantity, restock, before[1], before[2]))
                            logged[sku] = before[1:4]
                        elif logged[sku] == (quantity, restock, lead):  # back where the poll found it
                            undone.append(sku)
                            del logged[sku]
                        else:
                            revised.append((sku, quantity, restock))
                if fp != old_fp:
                    if old_fp in known:
                        known.discard(old_fp)
                        if track:
                            hashes.removed(old_fp)
                    if fp is not None:
                        known.add(fp)
                        if track:
                            hashes.added(fp)
                        if order is not None:
                            order(fp)
            if row[DROPSHIP] is not None or row[COST] is not None:
                terms.append(row)
        self.hashes_changed = self.hashes_changed or bool(inserts or updates or rehash)
        self.repo.insert_stock(self.shop_id, self.supplier_id, self.snapshot_id, inserts, self.now,
                               first_load=self.fresh)
        self.repo.update_stock(updates, self.now)
        self.repo.set_line_hashes(rehash)
        self.repo.insert_changes(self.shop_id, self.supplier_id, self.snapshot_id, changes, self.now)
        self.repo.revise_changes(self.supplier_id, self.snapshot_id, revised, undone)
        if terms:  # drop-ship terms, when the feed maps them
            self.repo.apply_terms(self.supplier_id, (_row(t) for t in terms))
        count = len(inserts) + len(changes) - len(undone)
        self.changed += count
        return count

    def _insert_new(self, rows: Sequence[Line]) -> int:
        """A chunk of SKUs none of which is stored: what the loop in ``apply`` does for new rows, a
        column at a time (in C) rather than a row at a time."""
        hashes = self.hashes
        fps = list(map(_fingerprint, rows))
        if None in fps:  # rows not from feed lines
            fps = [fp for fp in fps if fp is not None]
        if hashes.base > 0:
            for fp in fps:
                if fp not in hashes.known:
                    hashes.added(fp)
        hashes.known.update(fps)
        if hashes.order is not None:
            hashes.order.extend(fps)
        if self.repo.dates_as_objects:
            inserts = list(map(_stock_cells, rows))
        else:
            inserts = list(zip(map(_first, rows), map(_quantity, rows), self._db_dates_of(rows),
                               map(_lead, rows), map(_fingerprint, rows), strict=True))
        self.hashes_changed = self.hashes_changed or bool(inserts)
        self.repo.insert_stock(self.shop_id, self.supplier_id, self.snapshot_id, inserts, self.now,
                               first_load=self.fresh)
        if _any_terms(rows):  # drop-ship terms, when the feed maps them
            self.repo.apply_terms(self.supplier_id, (_row(r) for r in rows if _has_terms(r)))
        self.changed += len(inserts)
        return len(inserts)

    def finish(self, *, abort: bool = False) -> None:
        """Every chunk handed over is written: end the first load's open ``COPY`` (PostgreSQL; ``abort``:
        the poll failed, keep nothing)."""
        self.repo.end_copy(abort=abort)

    def _db_dates_of(self, rows: Sequence[Line]) -> Iterator[Any]:
        """``_db_date`` of each row's restock date: each distinct date converted once, then every row's
        looked up by a dict inside map() (in C), not a Python call per row."""
        dates, known = list(map(_restock, rows)), self._db_dates
        for value in set(dates).difference(known):
            self._db_date(value)
        return map(known.get, dates)  # (None is not kept: get gives None for it)

    def _db_date(self, value: date | None) -> Any:
        if value is None:
            return None
        found = self._db_dates.get(value)
        if found is None:
            found = self._db_dates[value] = self.repo.db_value(value)
        return found


class BackgroundWriter:
    """A ChunkWriter run by a thread of its own: ``apply`` hands a chunk over (at most ``depth`` wait)
    and returns at once; ``finish`` waits until every chunk is written and raises what the writing
    raised. The thread is the only user of the poll's transaction until ``finish`` returns, so the
    caller must not touch the database meanwhile. For a first load only: the caller's line fingerprints
    must not be the writer's (a feed scan that skipped lines the writer has just stored would see them
    out of order), so such a scan skips nothing and a SKU listed twice is compared in the database."""

    def __init__(self, writer: ChunkWriter, depth: int = 2) -> None:
        self.writer = writer
        self._work = InOrder("feed-writer", depth)

    @property
    def changed(self) -> int:
        return self.writer.changed

    def apply(self, chunk: list[Line], hits: Sequence[int] = ()) -> int:
        """Hand a chunk over (a copy: the caller reuses its list); 0, as nothing is known written yet."""
        assert not hits, "a first load's scan skips no lines"
        rows = list(chunk)
        self._work.submit(lambda: self.writer.apply(rows))
        return 0

    def finish(self, *, abort: bool = False) -> None:
        self._work.finish(abort=True)  # every chunk handed over written (after a failure, the rest dropped)
        error = self._work.error
        self.writer.finish(abort=abort or error is not None)
        if error is not None and not abort:
            raise error


def _stored_line_later(latest: Mapping[str, Line], stored: Mapping[str, Any], hits: Sequence[int]) -> set[int]:
    """Stored fingerprints of SKUs in the chunk whose stored line was skipped after their new line."""
    if not hits:
        return set()
    read_at = {before[4]: latest[sku][POSITION] for sku, before in stored.items() if before[4] is not None}
    if read_at.keys().isdisjoint(hits):  # the usual case, checked in C
        return set()
    return {fp for at, fp in enumerate(hits) if fp in read_at and at >= read_at[fp]}


_first, _quantity, _restock, _lead, _fingerprint = map(itemgetter, (SKU, QUANTITY, RESTOCK, LEAD, FINGERPRINT))
_stock_cells = itemgetter(SKU, QUANTITY, RESTOCK, LEAD, FINGERPRINT)
"""A row as insert_stock takes it (when the driver takes dates as they are)."""
_dropship, _cost = itemgetter(DROPSHIP), itemgetter(COST)


def _any_terms(rows: Sequence[Line]) -> bool:
    """Whether a row carries a drop-ship flag or unit cost (a column at a time, in C)."""
    return list(map(_dropship, rows)).count(None) < len(rows) or list(map(_cost, rows)).count(None) < len(rows)


def _has_terms(line: Line) -> bool:
    return line[DROPSHIP] is not None or line[COST] is not None


def _row(line: Line) -> SupplierRow:
    return SupplierRow(*line[:FINGERPRINT])


def as_lines(rows: Iterable[SupplierRow]) -> Iterator[Line]:
    """A SupplierRow stream (no fingerprints) as the tuples the writer takes."""
    for r in rows:
        yield (r.sku, r.quantity, r.restock_date, r.lead_time_days, r.line, r.dropship, r.unit_cost, None, 0)
