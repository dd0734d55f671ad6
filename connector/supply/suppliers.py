"""Suppliers: add and list them, and poll one (stream, diff against what we know, store, snapshot).

A poll is one transaction: rows are compared with the stored stock in chunks (one bulk read and
bulk writes per chunk), so memory does not grow with the feed and a feed that breaks off half
way, or has too many bad rows, changes nothing. SKUs missing from a feed keep their last known
data: a truncated or empty feed never wipes known stock. Only the SKUs the shop sells are stored
(its catalogue mirror and open backorders; a shop's first poll reads its catalogue first, or is
postponed: first_poll.py): a supplier's feed lists its whole range, and the other lines are
counted, not parsed. A SKU that
joins the catalogue is picked up by the next poll, whose fingerprints only cover stored rows.
A failed poll leaves the last good data in force, is recorded on the supplier (``last_error``,
``consecutive_failures``) and on its snapshot, logged at ERROR and passed to every hook in
``FAILURE_HOOKS`` (where merchant alerts by email or Slack plug in).
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConfigError, ConnectorError, InvalidPayload, SupplierFeedInvalid
from connector.domain.host_key import HostKeyTrust
from connector.domain.supply import SupplierRow, Validators
from connector.gc_pause import no_cycle_collection
from connector.ports import SupplierClient, SupplierClientFactory
from connector.supply import host_keys as supplier_host_keys
from connector.supply import poll_lease
from connector.supply.feed_repository import FeedRepository, LineHashes
from connector.supply.first_poll import CataloguePending, CatalogueSource, ensure_catalogue
from connector.supply.ingest import BackgroundWriter, ChunkWriter, as_lines
from connector.supply.models import Supplier, SupplierSnapshot
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

MAX_BAD_RATIO = 0.5
"""A feed with more bad rows than this share (and more than MIN_BAD_TO_REFUSE) is refused whole."""
MIN_BAD_TO_REFUSE = 10
ANALYZE_AFTER_ROWS = 50_000
"""A poll that changed this many rows refreshes the planner's statistics (PostgreSQL)."""
Progress = Callable[[int], None]


@dataclass(frozen=True)
class SupplierFailure:
    shop_id: int
    supplier_id: int
    supplier_name: str
    error: str
    consecutive_failures: int


FAILURE_HOOKS: list[Callable[[SupplierFailure], None]] = []
"""Called after a failed poll is recorded (e.g. the notify feature's merchant alert). A hook that
raises is logged and ignored."""


@dataclass(frozen=True)
class PollReport:
    supplier_id: int
    shop_id: int
    snapshot_id: int | None
    """None: no snapshot (an unchanged poll, or one that found another poll of the supplier running)."""
    status: str
    """ok | unchanged | failed | busy (another poll of the supplier was running) | postponed (the shop's
    catalogue has not been read and could not be read now: connector/supply/first_poll.py)"""
    rows_total: int = 0
    rows_bad: int = 0
    rows_changed: int = 0
    error: str | None = None
    rows_not_sold: int = 0
    """Rows of SKUs the shop does not sell: counted in rows_total, not stored."""
    catalogue_read: bool = True
    """False: the shop's catalogue has not been read yet: the poll was postponed (``postponed``), or, for a
    caller that cannot read the store (no ``catalogue``), every SKU was stored."""
    error_type: str | None = None
    """The failure's error class (``HostKeyChanged``, ``SupplierUnavailable``, ...)."""


# -- adding and listing ---------------------------------------------------------------------------

SPEC_KEYS = {"name", "kind", "settings", "secret", "handling_days", "transit_days", "lead_time_days", "status"}


def add_supplier(uow: UnitOfWork, box: CredentialBox, shop_id: int, spec: Mapping[str, Any], *,
                 clients: SupplierClientFactory) -> int:
    """Create or update (by name) a supplier from a spec; secrets are sealed. Returns its id. ``clients``
    builds the supplier's client once, which checks its kind, URL, auth and mapping. An update replaces
    the settings with the spec's, but keeps the ``purchasing`` and ``dropship`` blocks the spec does not
    name (``kept_blocks``)."""
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise InvalidPayload(f"unknown supplier field(s) {sorted(unknown)}; known: {sorted(SPEC_KEYS)}")
    name = str(spec.get("name") or "").strip()
    if not name:
        raise InvalidPayload("a supplier needs a name")
    kind = str(spec.get("kind") or "")
    settings = dict(spec.get("settings") or {})
    secret = spec.get("secret")
    if secret is not None and not isinstance(secret, Mapping):
        raise InvalidPayload("secret must be an object (token, password, api_key, private_key)")
    _check_schedule(settings.get("schedule"))
    clients(kind, settings, secret, name)  # validates kind, URL, auth and mapping
    days = {key: _days(spec, key) for key in ("handling_days", "transit_days", "lead_time_days")}
    with uow:
        repo = uow.repo(SupplyRepository)
        row = repo.supplier_by_name(shop_id, name)
        if row is None:
            row = repo.add(Supplier(shop_id=shop_id, name=name, kind=kind, settings="{}"))
        before = json.loads(row.settings or "{}")
        supplier_host_keys.forget_on_new_server(row, before.get("source"), settings.get("source"))
        row.kind = kind
        row.settings = json.dumps(kept_blocks(before, settings))
        if secret is not None:
            row.secret = box.seal_json(dict(secret))
        row.handling_days = days["handling_days"] or 0
        row.transit_days = days["transit_days"] or 0
        row.lead_time_days = days["lead_time_days"]
        row.status = str(spec.get("status", "active"))
        row.etag = row.last_modified = row.page_state = None  # new settings: read everything once
        supplier_id = row.id
        uow.commit()
    return supplier_id


KEPT_BLOCKS = ("purchasing", "dropship")
"""Settings blocks set by their own commands (``connector suppliers purchasing-terms``, ``connector dropship
terms`` and the drop-ship desk), kept when a spec file run again for the supplier does not name them."""


def kept_blocks(before: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The supplier's new settings: the spec's, plus the stored KEPT_BLOCKS it does not name (a block the
    spec names replaces the stored one; named null, it is removed)."""
    merged = dict(settings)
    for key in KEPT_BLOCKS:
        if key not in merged and key in before:
            merged[key] = before[key]
        elif key in merged and merged[key] is None:
            del merged[key]
    return merged


def _days(spec: Mapping[str, Any], key: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidPayload(f"{key} must be a whole number of days, at least 0; got {value!r}")
    return value


MIN_INTERVAL_SECONDS = 10.0
"""The shortest time between two scheduled polls of one supplier: an unchanged poll costs the supplier a
304 per resource (page or file), and a supplier that can call us pushes instead (connector/supply/push.py)."""
SCHEDULE_HELP = "must be {interval_seconds: N}, {interval_minutes: N} or {cron: '*/15 * * * *'}"


def interval_seconds(schedule: Mapping[str, Any]) -> float:
    """Seconds between two polls of an interval schedule (``interval_seconds``, or ``interval_minutes``,
    fractions allowed), never below MIN_INTERVAL_SECONDS."""
    if "interval_seconds" in schedule:
        seconds = float(schedule["interval_seconds"])
    else:
        seconds = float(schedule["interval_minutes"]) * 60
    return max(MIN_INTERVAL_SECONDS, seconds)


def _check_schedule(schedule: Any) -> None:
    if schedule is None:
        return
    keys = {"interval_seconds", "interval_minutes", "cron"}
    if not isinstance(schedule, Mapping) or not (keys & set(schedule)):
        raise ConfigError("settings.schedule", SCHEDULE_HELP)
    if len(keys & set(schedule)) > 1:
        raise ConfigError("settings.schedule", f"name one of {sorted(keys)}, not {sorted(keys & set(schedule))}")
    unknown = set(schedule) - keys
    if unknown:
        raise ConfigError("settings.schedule", f"unknown key(s) {sorted(unknown)}: {SCHEDULE_HELP}")
    for key, unit in (("interval_seconds", 1), ("interval_minutes", 60)):
        if key in schedule:
            value = schedule[key]
            if not isinstance(value, int | float) or isinstance(value, bool) or value != value or value <= 0:
                raise ConfigError(f"settings.schedule.{key}", f"must be positive, got {value!r}")
            if value * unit < MIN_INTERVAL_SECONDS:
                raise ConfigError(f"settings.schedule.{key}", f"polls at most every {MIN_INTERVAL_SECONDS:.0f} "
                                  f"seconds (to spare the supplier), got {value!r}; a supplier that can call "
                                  "us can push its changes instead")
    if "cron" in schedule:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(str(schedule["cron"]))
        except ValueError as exc:
            raise ConfigError("settings.schedule.cron", str(exc)) from None


def supplier_shop(uow: UnitOfWork, supplier_id: int) -> int | None:
    """The supplier's shop id (None: no such supplier)."""
    with uow:
        supplier = uow.repo(SupplyRepository).supplier(supplier_id)
        return supplier.shop_id if supplier is not None else None


def list_suppliers(uow: UnitOfWork, shop_id: int | None = None) -> list[dict[str, Any]]:
    with uow:
        return [{
            "id": s.id, "shop_id": s.shop_id, "name": s.name, "kind": s.kind, "status": s.status,
            "schedule": json.loads(s.settings).get("schedule"),
            "last_success_at": s.last_success_at.isoformat(timespec="seconds") if s.last_success_at else None,
            "consecutive_failures": s.consecutive_failures, "last_error": s.last_error,
            "host_key": str(key) if (key := supplier_host_keys.stored_key(s)) else None,
        } for s in uow.repo(SupplyRepository).suppliers(shop_id)]


# -- polling --------------------------------------------------------------------------------------

def poll_supplier(uow: UnitOfWork, box: CredentialBox, supplier_id: int, *, clients: SupplierClientFactory,
                  progress: Progress | None = None, record_progress: bool = False, wait_seconds: float = 0.0,
                  keep_unchanged: bool = False, client: SupplierClient | None = None,
                  catalogue: CatalogueSource | None = None) -> PollReport:
    """Read one supplier (its client built by ``clients``) and store what changed; never raises for a
    supplier's failure. ``record_progress``: the rows read so far are written to the running snapshot
    (``rows_total``) as the poll goes, for the merchant's app (see SnapshotProgress).

    One poll of a supplier at a time (``poll_lease``): while another runs this one waits up to
    ``wait_seconds``, then answers ``busy``. The source is asked first, outside any transaction; when
    it did not change (every request answered 304, or the file's size and time are the same) the poll
    parses nothing and writes only the supplier's poll times, and no snapshot unless ``keep_unchanged``.
    ``client``: read this client instead of the supplier's own (the rows of a push, connector/supply/push.py).

    A shop's first poll reads the shop's catalogue first through ``catalogue`` (the container's
    ``catalog_for``: every scheduled, manual, pushed and command-line poll passes it) and waits for it;
    when the store cannot be read the poll is ``postponed``: nothing is read or stored
    (connector/supply/first_poll.py). Without ``catalogue`` (a caller with no store to read: tests, a
    library use) a shop whose catalogue was never read gets every SKU stored, as before."""
    shop_id = poll_lease.claim(uow, supplier_id, wait_seconds=wait_seconds)
    if shop_id is None:
        return PollReport(supplier_id, _shop_of(uow, supplier_id), None, "busy")
    snapshot_id: int | None = None
    try:
        ensure_catalogue(uow, shop_id, catalogue)
    except CataloguePending as exc:
        return _postpone(uow, shop_id, supplier_id, exc)
    except BaseException:
        poll_lease.release(uow, supplier_id)
        raise
    try:
        state = _poll_state(uow, supplier_id)
        if client is None:
            secret = box.open_json(state.sealed) if state.sealed else None
            client = clients(state.kind, state.settings, secret if isinstance(secret, Mapping) else None, state.name)
        own = getattr(client, "host_key_trust", None)  # an SFTP feed: the key it must see, and the key it saw
        trust = state.trust
        if isinstance(own, HostKeyTrust):
            own.pinned, trust = trust.pinned, own
        try:
            with _Probe(uow, client, state) as probe:
                if probe.unchanged and not keep_unchanged:
                    poll_lease.release_unchanged(uow, supplier_id)
                    log.info("supplier polled", extra={"supplier_id": supplier_id, "shop_id": shop_id,
                                                       "status": "unchanged"})
                    return PollReport(supplier_id, shop_id, None, "unchanged")
                snapshot_id = _new_snapshot(uow, shop_id, supplier_id)
                if record_progress and progress is None and SnapshotProgress.possible(uow):
                    progress = SnapshotProgress(uow.fresh(), snapshot_id)
                return _ingest(uow, probe, shop_id, supplier_id, snapshot_id, progress)
        finally:  # a first connection's key is trusted even when the poll then failed
            supplier_host_keys.remember(uow, supplier_id, trust)
    except CataloguePending as exc:
        return _postpone(uow, shop_id, supplier_id, exc)
    except ConnectorError as exc:
        if snapshot_id is None:
            snapshot_id = _new_snapshot(uow, shop_id, supplier_id)
        return _record_failure(uow, shop_id, supplier_id, _name_of(uow, supplier_id), snapshot_id, exc)
    except BaseException:  # a bug or an interrupt: the next poll need not wait for the lease to run out
        poll_lease.release(uow, supplier_id)
        raise


@dataclass
class _PollState:
    supplier_id: int
    shop_id: int
    name: str
    kind: str
    settings: dict[str, Any]
    sealed: str | None
    validators: Validators
    page_state: dict[str, Any]
    trust: HostKeyTrust
    sold: frozenset[str] | None
    """None: the catalogue was never read and the caller could not read it (see poll_supplier)."""
    sold_key: str


def _poll_state(uow: UnitOfWork, supplier_id: int) -> _PollState:
    """What a poll needs, read in one short transaction (no writes)."""
    with uow:
        repo = uow.repo(SupplyRepository)
        supplier = repo.supplier(supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id}")
        sold = repo.sold(supplier.shop_id)
        validators = Validators(supplier.etag, supplier.last_modified)
        page_state = json.loads(supplier.page_state) if supplier.page_state else {}
        sold_key = sold.key
        if page_state.get("sold") != sold_key:  # the shop sells other SKUs now: read everything once
            validators, page_state = Validators(None, None), {}
        return _PollState(supplier_id, supplier.shop_id, supplier.name, supplier.kind,
                          json.loads(supplier.settings or "{}"), supplier.secret, validators, page_state,
                          HostKeyTrust(pinned=supplier_host_keys.stored_key(supplier)), sold.skus, sold_key)


def _shop_of(uow: UnitOfWork, supplier_id: int) -> int:
    with uow:
        supplier = uow.repo(SupplyRepository).supplier(supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id}")
        return supplier.shop_id


def _name_of(uow: UnitOfWork, supplier_id: int) -> str:
    with uow:
        supplier = uow.repo(SupplyRepository).supplier(supplier_id)
        return supplier.name if supplier is not None else str(supplier_id)


def _new_snapshot(uow: UnitOfWork, shop_id: int, supplier_id: int) -> int:
    with uow:
        snapshot = uow.repo(SupplyRepository).add(SupplierSnapshot(shop_id=shop_id, supplier_id=supplier_id,
                                                                   status="running"))
        snapshot_id = int(snapshot.id)
        uow.commit()
    return snapshot_id


_END = object()


class _Probe:
    """The supplier's answer, opened before any transaction: ``unchanged`` once the source said so and
    no row came; else the rows (the first one already read) and, for a feed, the line fingerprints,
    loaded only now that they are needed."""

    def __init__(self, uow: UnitOfWork, client: SupplierClient, state: _PollState) -> None:
        self.uow, self.client, self.state = uow, client, state
        self.by_line = hasattr(client, "fetch_lines")  # a feed: unchanged lines are skipped by fingerprint
        self.hashes = LineHashes(set())
        self.rows: _SoldRows | None = None
        self._context: Any = None

    def _load_hashes(self) -> set[int]:
        with self.uow:
            self.hashes = self.uow.repo(FeedRepository).line_hashes(self.state.supplier_id)
        return self.hashes.known

    def __enter__(self) -> _Probe:
        feed: Any = self.client
        state = self.state
        self._context = (feed.fetch_lines(state.validators, self._load_hashes, state.sold) if self.by_line
                         else self.client.fetch(state.validators, state.page_state))
        self.fetched: Any = self._context.__enter__()
        try:
            if self.by_line:
                self.lines: Iterator[Any] = self.fetched.lines
            else:
                self.rows = _SoldRows(self.fetched.rows, state.sold)
                self.lines = as_lines(self.rows)
            first = next(self.lines, _END)  # an API's pages are asked for until one row comes, or none
            self.unchanged = first is _END and bool(self.fetched.unchanged)
            if first is not _END:
                self.lines = itertools.chain((first,), self.lines)
        except BaseException:
            self._context.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._context.__exit__(*exc)


class SnapshotProgress:
    """Writes the rows a running poll has read to its snapshot, at most once per ``every`` seconds, in
    transactions of its own beside the poll's (which commits only at the end). PostgreSQL only:
    SQLite has one writer at a time, and the poll holds it. A write that fails is skipped: progress
    is for showing, the poll's own result is what counts."""

    def __init__(self, uow: UnitOfWork, snapshot_id: int, every: float = 1.0) -> None:
        self.uow, self.snapshot_id, self.every = uow, snapshot_id, every
        self._last = 0.0

    @staticmethod
    def possible(uow: UnitOfWork) -> bool:
        return uow.engine.dialect.name != "sqlite"

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        try:
            with self.uow:
                snapshot = self.uow.repo(SupplyRepository).snapshot(self.snapshot_id)
                if snapshot is not None and snapshot.status == "running":
                    snapshot.rows_total = rows
                    self.uow.commit()
        except ConnectorError as exc:  # StorageUnavailable: the next call tries again
            log.debug("poll progress not recorded", extra={"snapshot_id": self.snapshot_id, "error": str(exc)})


def _ingest(uow: UnitOfWork, probe: _Probe, shop_id: int, supplier_id: int, snapshot_id: int,
            progress: Progress | None) -> PollReport:
    state, fetched, by_line = probe.state, probe.fetched, probe.by_line
    sold = state.sold
    with uow:
        repo, stock = uow.repo(SupplyRepository), uow.repo(FeedRepository)
        fresh = not stock.has_stock(supplier_id)  # a first load: nothing stored to compare with
        background = fresh and by_line and not probe.hashes.known and stock.writes_beside_reading
        started = repo.snapshot(snapshot_id)
        assert started is not None
        # a first load's rows are its history, read as written when the snapshot began (history.py)
        chunks = ChunkWriter(stock, shop_id, supplier_id, snapshot_id, started.started_at if fresh else utcnow(),
                             LineHashes(set(), order=array("q")) if background else probe.hashes, fresh=fresh)
        # written beside the reading; the scan keeps its own (empty) fingerprints
        writer: ChunkWriter | BackgroundWriter = BackgroundWriter(chunks) if background else chunks
        with no_cycle_collection():  # the rows are tuples without cycles (connector/gc_pause.py)
            if by_line:
                scan = fetched.scan
                total = _write(stock, writer, probe.lines, scan, progress)
                total += scan.skipped if scan else 0
                not_sold = scan.untracked if scan else 0
            else:
                total = _write(stock, writer, probe.lines, None, progress)
                not_sold = probe.rows.skipped if probe.rows is not None else 0
        bad = fetched.bad
        seen = total + not_sold + bad.count
        read = total + bad.count  # the rows parsed or skipped as unchanged: what the bad share is of
        if bad.count > MIN_BAD_TO_REFUSE and bad.count > MAX_BAD_RATIO * read:
            first = "; ".join(f"line {b.line}: {b.reason}" for b in bad.kept[:5])
            raise SupplierFeedInvalid(f"{bad.count} of {read} rows are bad, feed refused ({first})")
        status = "unchanged" if fetched.unchanged else "ok"
        new_validators, new_state = fetched.validators, getattr(fetched, "page_state", None)
        # a first load stored only SKUs the shop sells: nothing to prune (and no count of its rows to wait for)
        pruned = repo.prune_unsold(shop_id, supplier_id, len(sold)) if sold is not None and not fresh else 0
        if pruned or not by_line:  # deleted rows' lines must be read again; an API's rows have no lines
            stock.forget_line_hashes(supplier_id)  # the next feed poll rebuilds them from the stored rows
        elif chunks.hashes_changed:
            stock.save_line_hashes(shop_id, supplier_id, chunks.hashes)
        changed = writer.changed
        supplier = repo.supplier(supplier_id)
        assert supplier is not None
        now = utcnow()
        supplier.etag, supplier.last_modified = new_validators.etag, new_validators.last_modified
        supplier.page_state = json.dumps({**(new_state or state.page_state), "sold": state.sold_key})
        supplier.last_success_at = now
        supplier.consecutive_failures = 0
        supplier.last_error = None
        supplier.poll_lease_until = None
        snapshot = repo.snapshot(snapshot_id)
        assert snapshot is not None
        snapshot.status, snapshot.finished_at = status, now
        snapshot.rows_total, snapshot.rows_bad, snapshot.rows_changed = seen, bad.count, changed
        snapshot.bad_rows = json.dumps([{"line": b.line, "reason": b.reason} for b in bad.kept]) if bad.kept else None
        uow.commit()
    if changed >= ANALYZE_AFTER_ROWS:
        with uow:
            uow.repo(FeedRepository).refresh_statistics()
            uow.commit()
    if pruned:
        log.info("supplier stock of SKUs the shop does not sell deleted", extra={
            "supplier_id": supplier_id, "shop_id": shop_id, "rows": pruned})
    if bad.count:
        log.warning("supplier feed had bad rows (skipped)", extra={
            "supplier_id": supplier_id, "shop_id": shop_id, "rows_bad": bad.count,
            "first_bad": [f"line {b.line}: {b.reason}" for b in bad.kept[:3]]})
    log.info("supplier polled", extra={"supplier_id": supplier_id, "shop_id": shop_id, "status": status,
                                       "rows": seen, "changed": changed, "rows_not_sold": not_sold})
    return PollReport(supplier_id, shop_id, snapshot_id, status, seen, bad.count, changed, rows_not_sold=not_sold,
                      catalogue_read=sold is not None)


class _SoldRows:
    """A supplier's rows, those of SKUs the shop does not sell counted (``skipped``) and left out."""

    def __init__(self, rows: Iterable[SupplierRow], sold: Set[str] | None) -> None:
        self.rows, self.sold, self.skipped = rows, sold, 0

    def __iter__(self) -> Iterator[SupplierRow]:
        sold = self.sold
        for row in self.rows:
            if sold is None or row.sku in sold:
                yield row
            else:
                self.skipped += 1


def writer_of(writer: ChunkWriter | BackgroundWriter) -> ChunkWriter:
    return writer.writer if isinstance(writer, BackgroundWriter) else writer


def _write(repo: FeedRepository, writer: ChunkWriter | BackgroundWriter, lines: Iterator[tuple[Any, ...] | None],
           scan: Any, progress: Progress | None) -> int:
    """Write the rows chunk by chunk (None asks for the chunk in hand to be written); returns the count.
    ``scan`` (a feed's) has the lines it skipped since the last chunk (``hits``) and wants to know
    when a chunk is stored (``applied``)."""
    total = written_total = 0
    analyze_at = ANALYZE_AFTER_ROWS
    chunk: list[tuple[Any, ...]] = []
    size = repo.FIRST_LOAD_CHUNK_ROWS if writer_of(writer).fresh else repo.chunk_rows

    def flush() -> None:
        nonlocal written_total, analyze_at
        written = writer.apply(chunk, scan.hits) if scan is not None else writer.apply(chunk)
        chunk.clear()
        if scan is not None:
            scan.applied()
        written_total += written
        if written_total >= analyze_at and not writer_of(writer).fresh:  # the table grew under the planner's feet
            repo.refresh_statistics()
            analyze_at = 2 * written_total  # at 50k, 100k, 200k...: each ANALYZE costs more as it grows
        if progress is not None:
            progress(total)

    append = chunk.append
    try:
        for line in lines:
            if line is None:
                if chunk:
                    flush()
                elif scan is not None:
                    scan.applied()
                continue
            append(line)
            total += 1
            if len(chunk) >= size:
                flush()
        if chunk:
            flush()
        writer.finish()
    finally:
        writer.finish(abort=True)  # a feed that broke off: the writing thread ends before the rollback
    return total


def _postpone(uow: UnitOfWork, shop_id: int, supplier_id: int, exc: CataloguePending) -> PollReport:
    """The shop's catalogue could not be read: the supplier is not read. The snapshot says so (status
    ``postponed``, for the merchant's pages and history); no failure is counted and no alert sent."""
    message = str(exc)[:2000]
    with uow:
        repo = uow.repo(SupplyRepository)
        snapshot = repo.add(SupplierSnapshot(shop_id=shop_id, supplier_id=supplier_id, status="postponed",
                                             finished_at=utcnow(), error=message))
        snapshot_id = int(snapshot.id)
        supplier = repo.supplier(supplier_id)
        if supplier is not None:
            supplier.poll_lease_until = None
        uow.commit()
    log.warning("supplier poll postponed until the shop's catalogue is read", extra={
        "supplier_id": supplier_id, "shop_id": shop_id, "error": message})
    return PollReport(supplier_id, shop_id, snapshot_id, "postponed", error=message, catalogue_read=False,
                      error_type=type(exc).__name__)


def _record_failure(uow: UnitOfWork, shop_id: int, supplier_id: int, name: str, snapshot_id: int,
                    exc: ConnectorError) -> PollReport:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    with uow:
        repo = uow.repo(SupplyRepository)
        supplier = repo.supplier(supplier_id)
        snapshot = repo.snapshot(snapshot_id)
        failures = 1
        if supplier is not None:
            supplier.poll_lease_until = None
            supplier.consecutive_failures = (supplier.consecutive_failures or 0) + 1
            supplier.last_error = message
            failures = supplier.consecutive_failures
        if snapshot is not None:
            snapshot.status, snapshot.finished_at, snapshot.error = "failed", utcnow(), message
        uow.commit()
    log.error("supplier poll failed; its last good data stays in force", extra={
        "supplier_id": supplier_id, "supplier": name, "shop_id": shop_id, "error": message,
        "category": exc.category, "consecutive_failures": failures})
    _alert(SupplierFailure(shop_id, supplier_id, name, message, failures))
    return PollReport(supplier_id, shop_id, snapshot_id, "failed", error=message, error_type=type(exc).__name__)


def _alert(failure: SupplierFailure) -> None:
    for hook in list(FAILURE_HOOKS):
        try:
            hook(failure)
        except Exception:  # a broken alert channel must not turn a recorded failure into a crash
            log.exception("supplier failure hook failed", extra={"supplier_id": failure.supplier_id})


def supplier_schedules(uow: UnitOfWork) -> list[tuple[int, int, Mapping[str, Any]]]:
    """(supplier id, shop id, schedule) of every active supplier that has a schedule."""
    with uow:
        found = []
        for s in uow.repo(SupplyRepository).suppliers(active_only=True):
            schedule = json.loads(s.settings or "{}").get("schedule")
            if schedule:
                found.append((s.id, s.shop_id, schedule))
        return found


def last_snapshots(uow: UnitOfWork, supplier_id: int, limit: int = 10) -> list[dict[str, Any]]:
    with uow:
        return [_snapshot_dict(s) for s in uow.repo(SupplyRepository).snapshots(supplier_id, limit)]


def _snapshot_dict(s: SupplierSnapshot) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {"id": s.id, "status": s.status, "started_at": when(s.started_at), "finished_at": when(s.finished_at),
            "rows_total": s.rows_total, "rows_bad": s.rows_bad, "rows_changed": s.rows_changed,
            "bad_rows": json.loads(s.bad_rows) if s.bad_rows else [], "error": s.error}
