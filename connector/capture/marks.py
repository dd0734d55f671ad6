"""Tell the store which orders are backordered (Shopify tag, WooCommerce note and meta).

The database records what was last written (``Order.marked``) and flags orders whose backorders
changed (``needs_mark``); this service writes only the difference, after the capture committed.

Each order stands alone. A transient failure (timeout, 429, 5xx) leaves the flag set and is
raised, so the next run (a retry, or reconciliation) finishes it. A store refusal for one order
(PlatformNotFound: the order was deleted or never existed; PlatformAuthError: a permission the app
lacks; PlatformRejected: a user error) is recorded on that order (``mark_error``,
``mark_error_at``), its flag cleared, and the merchant alerted once per order (a dedupe-keyed row
in ``dropship_alerts``, delivered by the shop's alert email and Slack webhook); the other orders
are marked as usual. A later change to the order sets the flag again and the mark is retried; a
success clears the recorded refusal.

Many orders to mark at once (a burst; ``BulkMarks.bulk_marks_min`` or more) go to a store that can as
one bulk write (Shopify: a ``bulkOperationRunMutation`` of ``tagsAdd`` lines, outside the per-call cost
budget that the tags otherwise spend most of). Each order records the operation and its line, and its
mark as written; the next run of the shop's marks (a later batch, the ``bulk_operations/finish``
webhook, or ``sync_marks`` queued to look again) reads the finished operation's result: a tagged line
clears the operation, a refused line is recorded as any refusal, a line the operation never reached sets
the flag again. An order whose operation still runs is left alone until then (so a later untag never
races the operation's tag). Tagging is idempotent: a run whose answer was lost is asked for again by
the next run, which at worst tags an order twice. A store at its bulk limit (BulkBusy) gets the calls
of one order, or a few, at a time as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from connector.capture.repository import CaptureRepository
from connector.db.uow import UnitOfWork
from connector.domain.bulk import BulkBusy
from connector.domain.clock import utcnow
from connector.domain.errors import PermanentError, PlatformError, TransientError
from connector.domain.model import BackorderMark, BackorderStatus
from connector.dropship import alerts as dropship_alerts
from connector.dropship.place import alert
from connector.ports import StorePlatform

log = logging.getLogger(__name__)

ALERT_KIND = "store_refused_mark"
"""The alert recorded when the store refuses to mark an order (one per order: ``store-mark:<shop>:<order>``)."""
dropship_alerts.TITLES.setdefault(ALERT_KIND, "the store refused to mark an order as backordered")


@dataclass
class MarkReport:
    written: int = 0
    """Orders whose mark was written to the store."""
    refused: list[str] = field(default_factory=list)
    """Orders the store refused to mark in this run (their reason is stored on the order)."""
    alerted: int = 0
    """Refusals that recorded a new merchant alert (the first refusal of an order)."""
    in_bulk: int = 0
    """Orders whose mark this run handed to the store's bulk write (counted in ``written`` once read back)."""
    waiting: bool = False
    """A bulk write of the shop's marks still runs at the store: a later run reads its result."""


def sync_marks(uow: UnitOfWork, platform: StorePlatform, shop_id: int) -> int:
    """Write pending marks for one shop; returns how many orders were written to the store."""
    return write_marks(uow, platform, shop_id).written


def write_marks(uow: UnitOfWork, platform: StorePlatform, shop_id: int) -> MarkReport:
    """Write pending marks for one shop, each order on its own (see the module docstring). A store that
    marks several orders a call (``BatchMarks``) gets the orders to mark together, or as one bulk write
    (``BulkMarks``) when there are many; what the database records about them is written in one statement
    at the end (also when a transient failure stops the run: what was written to the store is recorded)."""
    report = MarkReport()
    with uow.shop_lock(shop_id):
        bulk = platform if isinstance(platform, BulkMarks) else None
        if bulk is not None:
            _read_back(uow, bulk, shop_id, report)
        with uow.single():  # none when the shop is uninstalled or disconnected: leave the store alone
            domain, pending = _pending(uow.repo(CaptureRepository).pending_marks(shop_id))
        report.waiting = report.waiting or any(operation for _, _, _, _, operation, _ in pending)
        pending = [entry for entry in pending if entry[4] is None]  # its bulk write still runs: after it
        to_mark = [order_id for order_id, _, status, marked, _, desired in pending
                   if status == "open" and desired and [m.__dict__ for m in desired] != _loads(marked)]
        batched: dict[str, Exception] | None = None
        records: list[tuple[str, dict[str, object]]] = []
        try:
            if bulk is not None and len(to_mark) >= bulk.bulk_marks_min:
                records += _hand_to_bulk(bulk, shop_id, to_mark, pending, report)
                if report.in_bulk:
                    to_mark = []
            if isinstance(platform, BatchMarks) and len(to_mark) > 1:
                try:
                    desired_of = {order_id: desired for order_id, _, _, _, _, desired in pending}
                    batched = dict(platform.mark_many({order_id: desired_of[order_id] for order_id in to_mark}))
                except PermanentError as exc:  # the whole call refused: one order at a time finds which
                    log.warning("store refused a batch of marks, marking one by one",
                                extra={"shop_id": shop_id, "orders": len(to_mark), "error": str(exc)})
            in_bulk = {order_id for order_id, _ in records}
            for order_id, name, status, marked, _, desired in pending:
                if order_id in in_bulk:
                    continue
                wanted = [mark.__dict__ for mark in desired]
                values: dict[str, object] = {"needs_mark": False}
                if status == "open" and wanted != _loads(marked):
                    try:
                        if batched is not None and order_id in to_mark:
                            if order_id in batched:
                                raise batched[order_id]
                        elif desired:
                            platform.mark_backordered(order_id, desired)
                        else:
                            platform.unmark_backordered(order_id)
                    except PlatformError as exc:
                        if not isinstance(exc, PermanentError):
                            raise  # transient: the flag stays set, the caller retries
                        reason = f"{type(exc).__name__}: {exc}"[:2000]
                        records.append((order_id, {"needs_mark": False, "mark_error": reason,
                                                   "mark_error_at": utcnow()}))
                        report.refused.append(order_id)
                        report.alerted += _alert(uow, shop_id, domain, order_id, name, reason)
                        continue
                    report.written += 1
                    log.info("store order marked", extra={"shop_id": shop_id, "order": order_id,
                                                          "backordered_lines": len(desired)})
                if status == "open":
                    values.update(marked=json.dumps(wanted), mark_error=None, mark_error_at=None)
                records.append((order_id, values))
        finally:
            if records:
                with uow.single():  # one statement per set of columns (reloading the orders cost three queries)
                    uow.repo(CaptureRepository).set_order_columns(shop_id, records)
                    uow.commit()
    return report


def _hand_to_bulk(bulk: BulkMarks, shop_id: int, to_mark: list[str], pending: Sequence[_Pending],
                  report: MarkReport) -> list[tuple[str, dict[str, object]]]:
    """Start the bulk write of ``to_mark``; the orders' records (their operation and line, their mark as
    written). Empty when the store's bulk writes are at their limit or refused (the caller marks them by
    calls, as before)."""
    try:
        operation = bulk.mark_bulk(to_mark)
    except BulkBusy as exc:
        log.info("store bulk writes busy, marking by calls", extra={"shop_id": shop_id, "orders": len(to_mark),
                                                                     "reason": str(exc)})
        return []
    except PermanentError as exc:  # e.g. staged uploads refused: the calls still work
        log.warning("store refused the bulk write of marks, marking by calls",
                    extra={"shop_id": shop_id, "orders": len(to_mark), "error": f"{type(exc).__name__}: {exc}"})
        return []
    desired = {order_id: wanted for order_id, _, _, _, _, wanted in pending}
    report.in_bulk, report.waiting = len(to_mark), True
    log.info("store orders handed to a bulk write", extra={"shop_id": shop_id, "orders": len(to_mark),
                                                            "operation": operation})
    return [(order_id, {"needs_mark": False, "marked": json.dumps([m.__dict__ for m in desired[order_id]]),
                        "mark_error": None, "mark_error_at": None, "mark_operation": operation, "mark_line": line})
            for line, order_id in enumerate(to_mark)]


def _read_back(uow: UnitOfWork, bulk: BulkMarks, shop_id: int, report: MarkReport) -> None:
    """Read the result of each finished bulk write of the shop's marks and record it on its orders (see
    the module docstring); one still running, or that the store did not answer about now, sets
    ``report.waiting``; one whose result cannot be read has its orders marked again."""
    with uow.single():
        operations = uow.repo(CaptureRepository).mark_operations(shop_id)
    for operation in operations:
        try:
            outcome = bulk.bulk_marks_outcome(operation)
        except PermanentError as exc:  # its result cannot be read: its orders are marked again (tags are idempotent)
            log.warning("store bulk marks unreadable, marking its orders again",
                        extra={"shop_id": shop_id, "operation": operation, "error": f"{type(exc).__name__}: {exc}"})
            outcome = {}
        except TransientError:  # the store did not answer now: the next look reads it
            report.waiting = True
            continue
        if outcome is None:
            report.waiting = True
            continue
        refusals: list[tuple[str, str, str]] = []
        with uow.single():
            repo = uow.repo(CaptureRepository)
            orders = repo.orders_of_operation(shop_id, operation)
            domain = repo.shop_domain(shop_id)
            records: list[tuple[str, dict[str, object]]] = []
            cleared: dict[str, object] = {"mark_operation": None, "mark_line": None}
            for order_id, name, line in orders:
                errors = outcome.get(line) if line is not None else None
                if errors is None:  # never reached: marked by a later run
                    records.append((order_id, {**cleared, "needs_mark": True, "marked": None}))
                elif errors:
                    reason = f"PlatformRejected: tagsAdd: {'; '.join(errors)}"[:2000]
                    records.append((order_id, {**cleared, "marked": None, "mark_error": reason,
                                               "mark_error_at": utcnow()}))
                    refusals.append((order_id, name, reason))
                else:
                    records.append((order_id, cleared))
                    report.written += 1
            repo.set_order_columns(shop_id, records)
            uow.commit()
        for order_id, name, reason in refusals:
            report.refused.append(order_id)
            report.alerted += _alert(uow, shop_id, domain, order_id, name, reason)
        log.info("store bulk marks read back", extra={"shop_id": shop_id, "operation": operation,
                                                      "orders": len(orders), "refused": len(refusals)})


def _loads(marked: str | None) -> list[Any]:
    return json.loads(marked) if marked else []


@runtime_checkable
class BulkMarks(Protocol):
    """A store that marks many orders as one asynchronous bulk write (Shopify: adapters/shopify/bulk.py)."""

    bulk_marks_min: int
    """Orders to mark at once from which the bulk write is used."""

    def mark_bulk(self, order_ids: Sequence[str]) -> str:
        """Start marking the orders, line n marking ``order_ids[n]``; returns the operation's id. Raises
        BulkBusy when the store runs as many of the app's bulk writes as it allows (nothing started)."""
        ...

    def bulk_marks_outcome(self, operation_id: str) -> Mapping[int, tuple[str, ...]] | None:
        """None while the operation runs; then each line it reached and its errors (empty: marked)."""
        ...


@runtime_checkable
class BatchMarks(Protocol):
    """A store that marks several orders a call (Shopify: aliased ``tagsAdd``, adapters/shopify/batched.py;
    WooCommerce: their meta through ``orders/batch``, adapters/woocommerce/platform.py)."""

    def mark_many(self, marks: Mapping[str, Sequence[BackorderMark]]) -> Mapping[str, Exception]:
        """Mark each order (platform id: its backordered lines); returns the refused ones' errors by order id;
        a failure of the whole call is raised (PlatformError)."""
        ...


def _alert(uow: UnitOfWork, shop_id: int, domain: str, order_id: str, name: str, reason: str) -> bool:
    log.warning("store refused to mark order", extra={"shop_id": shop_id, "order": order_id, "reason": reason})
    message = (f"{domain} refused to mark order {name} (id {order_id}) as backordered: {reason}. "
               f"The connector will not retry until the order changes; other orders are marked as usual.")
    return alert(uow, shop_id, ALERT_KIND, f"store-mark:{shop_id}:{order_id}", message)


WAITING = (BackorderStatus.OPEN, BackorderStatus.ALLOCATED)
"""A backorder still waiting for its units (open, or allocated from restock and not shipped) keeps the
order marked; a fulfilled, cancelled or withdrawn one does not (connector/shipping/closing.py)."""
WAITING_VALUES = frozenset(status.value for status in WAITING)


_Pending = tuple[str, str, str, str | None, str | None, list[BackorderMark]]
"""An order whose mark is due: platform id, name, status, recorded mark, bulk operation, desired marks."""


def _pending(rows: Sequence[tuple[Any, ...]]) -> tuple[str, list[_Pending]]:
    """The shop's domain and, per order (in the rows' order), its platform id, name, status, recorded
    mark, bulk operation in flight and desired marks, from ``CaptureRepository.pending_marks`` rows."""
    domain = ""
    orders: dict[int, _Pending] = {}
    for (shop_domain, pk, order_id, name, status, marked, operation, line_id, sku, bo_status, backordered,
         shipped) in rows:
        domain = shop_domain
        entry = orders.setdefault(pk, (order_id, name, status, marked, operation, []))
        if bo_status is not None and bo_status in WAITING_VALUES:
            entry[5].append(BackorderMark(line_id=line_id, sku=sku, quantity=backordered - (shipped or 0)))
    return domain, [(o, n, s, m, op, sorted(marks, key=lambda mark: mark.line_id))
                    for o, n, s, m, op, marks in orders.values()]
