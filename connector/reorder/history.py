"""The shop's sales history: read once in full through the platform's order pages (resumable: each page
is folded and its cursor kept in one transaction), then kept current from the orders capture stores
(``fold_captured``, the daily job). Both fold orders through the ``sales_orders`` ledger
(connector/domain/sales_history.py), so an order read twice, cancelled or refunded is never counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from connector.db.uow import UnitOfWork
from connector.domain.sales_history import Counted, SoldOrder, counted, deltas
from connector.ports import SalesHistory
from connector.reorder.repository import ReorderRepository

log = logging.getLogger(__name__)

FOLD_OVERLAP = timedelta(days=2)
"""Captured orders updated this long before the watermark are folded again (late webhooks; a re-fold
of an unchanged order changes nothing)."""
FOLD_BATCH = 500


@dataclass(frozen=True)
class HistoryProgress:
    status: str
    """none | running | done | failed"""
    pages: int
    orders_read: int
    orders_total: int | None
    until: datetime | None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = None
    folded_at: datetime | None = None
    """When captured orders were last folded in (the daily job)."""
    advice_at: datetime | None = None
    """When the stored reorder advice was computed (connector/reorder/stored.py); None: never."""
    advice_for: date | None = None
    """The shop's date the stored advice was computed for."""


def shop_zone(uow: UnitOfWork, shop_id: int) -> tzinfo:
    from connector.shop_settings import get_setting

    return ZoneInfo(str(get_setting(uow, shop_id, "dates.timezone")))


def _fold(repo: ReorderRepository, shop_id: int, orders: Sequence[SoldOrder], zone: tzinfo, source: str,
          now: datetime) -> None:
    latest: dict[str, SoldOrder] = {}
    for order in orders:
        latest[order.order_id] = order
    before = repo.counted(shop_id, latest)
    changes: dict[tuple[str, object], tuple[int, int]] = {}
    counts: dict[str, Counted] = {}
    for order_id, order in latest.items():
        counts[order_id] = counted(order, zone)
        deltas(before.get(order_id), counts[order_id], changes)  # type: ignore[arg-type]
    repo.record_counted(shop_id, counts, before, source, now)
    repo.add_to_days(shop_id, changes)  # type: ignore[arg-type]


def progress(uow: UnitOfWork, shop_id: int) -> HistoryProgress:
    with uow:
        row = uow.repo(ReorderRepository).history(shop_id)
        result = HistoryProgress(row.status, row.pages, row.orders_read, row.orders_total, row.until,
                                 row.started_at, row.finished_at, row.last_error, row.folded_at,
                                 row.advice_at, row.advice_for)
        uow.commit()
    return result


def read_history(uow: UnitOfWork, source: SalesHistory, shop_id: int, now: datetime, *,
                 on_page: Callable[[HistoryProgress], None] | None = None, max_pages: int | None = None,
                 restart: bool = False) -> HistoryProgress:
    """Read the shop's orders created before the read first started, page by page, from where the last
    run stopped. ``max_pages`` stops early (the next run resumes); ``restart`` reads everything again
    (the ledger keeps it from counting twice). The platform's errors propagate after the failure is recorded."""
    zone = shop_zone(uow, shop_id)
    with uow:
        row = uow.repo(ReorderRepository).history(shop_id)
        if restart or row.until is None:  # never started, or asked to start over
            row.status, row.cursor, row.until, row.pages, row.orders_read = "running", None, now, 0, 0
            row.started_at, row.finished_at, row.last_error = now, None, None
        elif row.status == "done":
            uow.commit()
            return HistoryProgress(row.status, row.pages, row.orders_read, row.orders_total, row.until)
        row.status = "running"
        cursor, until = row.cursor, row.until or now
        uow.commit()
    pages = 0
    while True:
        try:
            page = source.sales_page(cursor, until)
        except Exception as exc:
            with uow:
                row = uow.repo(ReorderRepository).history(shop_id)
                row.status, row.last_error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
                uow.commit()
            log.warning("sales history read failed", extra={"shop_id": shop_id, "error": type(exc).__name__})
            raise
        with uow:
            repo = uow.repo(ReorderRepository)
            _fold(repo, shop_id, page.orders, zone, "history", now)
            row = repo.history(shop_id)
            row.cursor = page.next_cursor
            row.pages += 1
            row.orders_read += len(page.orders)
            row.orders_total = page.total if page.total is not None else row.orders_total
            if page.next_cursor is None:
                row.status, row.finished_at = "done", now
                if row.folded_until is None:
                    row.folded_until = until
            state = HistoryProgress(row.status, row.pages, row.orders_read, row.orders_total, row.until)
            uow.commit()
        pages += 1
        if on_page is not None:
            on_page(state)
        cursor = page.next_cursor
        if cursor is None or (max_pages is not None and pages >= max_pages):
            log.info("sales history read", extra={"shop_id": shop_id, "status": state.status,
                                                  "orders": state.orders_read})
            return state


def fold_captured(uow: UnitOfWork, shop_id: int, now: datetime, *, overlap: timedelta = FOLD_OVERLAP) -> int:
    """Fold the captured orders updated since the watermark (less ``overlap``) into the daily sales:
    new orders add, cancellations and refunds take off. Returns the orders read."""
    zone = shop_zone(uow, shop_id)
    with uow:
        row = uow.repo(ReorderRepository).history(shop_id)
        since = row.folded_until - overlap if row.folded_until is not None else None
        uow.commit()
    after: tuple[datetime, int] | None = None
    read = 0
    latest = since
    while True:
        with uow:
            repo = uow.repo(ReorderRepository)
            rows = repo.captured_since(shop_id, since, after, FOLD_BATCH)
            if not rows:
                history = repo.history(shop_id)
                if latest is not None and (history.folded_until is None or latest > history.folded_until):
                    history.folded_until = latest
                history.folded_at = now
                uow.commit()
                return read
            orders: dict[int, SoldOrder] = {}
            lines: dict[int, list[tuple[str | None, int]]] = {}
            for pk, order_id, ordered_at, updated_at, status, sku, quantity in rows:
                lines.setdefault(pk, [])
                if sku is not None:
                    lines[pk].append((sku, int(quantity or 0)))
                orders[pk] = SoldOrder(order_id, ordered_at, (), cancelled=status == "cancelled")
                after = (updated_at, pk)
                latest = updated_at if latest is None or updated_at > latest else latest
            folded = [SoldOrder(o.order_id, o.created_at, tuple(lines[pk]), o.cancelled) for pk, o in orders.items()]
            _fold(repo, shop_id, folded, zone, "captured", now)
            uow.commit()
            read += len(folded)
