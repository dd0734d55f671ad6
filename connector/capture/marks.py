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
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from connector.capture.repository import CaptureRepository
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import PermanentError, PlatformError
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


def sync_marks(uow: UnitOfWork, platform: StorePlatform, shop_id: int) -> int:
    """Write pending marks for one shop; returns how many orders were written to the store."""
    return write_marks(uow, platform, shop_id).written


def write_marks(uow: UnitOfWork, platform: StorePlatform, shop_id: int) -> MarkReport:
    """Write pending marks for one shop, each order on its own (see the module docstring). A store that
    marks several orders a call (``BatchMarks``) gets the orders to mark together; what the database
    records about them is written in one statement at the end (also when a transient failure stops
    the run: what was written to the store is recorded)."""
    report = MarkReport()
    with uow.shop_lock(shop_id):
        with uow.single():  # none when the shop is uninstalled or disconnected: leave the store alone
            domain, pending = _pending(uow.repo(CaptureRepository).pending_marks(shop_id))
        to_mark = [order_id for order_id, _, status, marked, desired in pending
                   if status == "open" and desired and [m.__dict__ for m in desired] != _loads(marked)]
        batched: dict[str, Exception] | None = None
        records: list[tuple[str, dict[str, object]]] = []
        try:
            if isinstance(platform, BatchMarks) and len(to_mark) > 1:
                try:
                    batched = dict(platform.mark_many(to_mark))
                except PermanentError as exc:  # the whole call refused: one order at a time finds which
                    log.warning("store refused a batch of marks, marking one by one",
                                extra={"shop_id": shop_id, "orders": len(to_mark), "error": str(exc)})
            for order_id, name, status, marked, desired in pending:
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


def _loads(marked: str | None) -> list[Any]:
    return json.loads(marked) if marked else []


@runtime_checkable
class BatchMarks(Protocol):
    """A store that marks several orders a call (Shopify: aliased ``tagsAdd``, adapters/shopify/batched.py)."""

    def mark_many(self, order_ids: Sequence[str]) -> Mapping[str, Exception]:
        """Mark each order; returns the refused ones' errors by order id; a failure of the whole call is
        raised (PlatformError)."""
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


def _pending(rows: Sequence[tuple[Any, ...]]) -> tuple[str, list[tuple[str, str, str, str | None,
                                                                        list[BackorderMark]]]]:
    """The shop's domain and, per order (in the rows' order), its platform id, name, status, recorded
    mark and desired marks, from ``CaptureRepository.pending_marks`` rows."""
    domain = ""
    orders: dict[int, tuple[str, str, str, str | None, list[BackorderMark]]] = {}
    for shop_domain, pk, order_id, name, status, marked, line_id, sku, bo_status, backordered, shipped in rows:
        domain = shop_domain
        entry = orders.setdefault(pk, (order_id, name, status, marked, []))
        if bo_status is not None and bo_status in WAITING_VALUES:
            entry[4].append(BackorderMark(line_id=line_id, sku=sku, quantity=backordered - (shipped or 0)))
    return domain, [(o, n, s, m, sorted(marks, key=lambda mark: mark.line_id))
                    for o, n, s, m, marks in orders.values()]
