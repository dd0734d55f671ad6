"""Reconciliation: ask the store what changed since the watermark and capture it.

Shopify may deliver a webhook a day late or never; WooCommerce never retries a failed delivery.
This pass runs on a schedule per shop, reads orders updated since the last watermark minus an
overlap, and feeds each through the same capture path, which ignores what it already has.

One bad order does not hold the watermark back: an order that cannot be captured for a permanent
reason (an absurd value, a payload that cannot be stored) is counted as ``failed`` and logged, and
an order the store refuses to mark is recorded on the order and alerted (connector/capture/marks.py);
the watermark then advances past the pass. A transient failure (the store or the database down)
stops the pass without moving the watermark, so the next run reads the same window again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from connector.capture.capture import capture_order
from connector.capture.marks import write_marks
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, TransientError
from connector.ports import StorePlatform

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    seen: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    marked: int = 0
    refused: list[str] = field(default_factory=list)
    """Orders the store refused to mark (the reason is stored on each order)."""
    alerted: int = 0
    """New merchant alerts recorded for those refusals."""


def reconcile_shop(uow: UnitOfWork, platform: StorePlatform, shop_id: int, *, overlap: timedelta,
                   initial_lookback: timedelta,
                   progress: Callable[[int], None] | None = None) -> ReconcileReport:
    started = utcnow()
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is None or shop.status != "active":
            return ReconcileReport()
        since = (shop.reconciled_until - overlap) if shop.reconciled_until else started - initial_lookback
    report = ReconcileReport()
    for snapshot in platform.orders_updated_since(since):
        try:
            outcome = capture_order(uow, platform, shop_id, snapshot).outcome
        except ConnectorError as exc:
            if isinstance(exc, TransientError):
                raise
            outcome = "failed"
            log.error("reconciliation could not capture an order", extra={
                "shop_id": shop_id, "order": snapshot.order_id, "error": f"{type(exc).__name__}: {exc}"})
        report.seen += 1
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        if progress is not None:
            progress(report.seen)
    marks = write_marks(uow, platform, shop_id)
    report.marked, report.refused, report.alerted = marks.written, marks.refused, marks.alerted
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is not None:
            shop.reconciled_until = started
            uow.commit()
    log.info("shop reconciled", extra={"shop_id": shop_id, "since": since.isoformat(), "seen": report.seen,
                                       "outcomes": report.outcomes, "refused_marks": len(report.refused)})
    return report
