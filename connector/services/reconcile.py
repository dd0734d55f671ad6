"""Reconciliation: ask the store what changed since the watermark and capture it.

Shopify may deliver a webhook a day late or never; WooCommerce never retries a failed delivery.
This pass runs on a schedule per shop, reads orders updated since the last watermark minus an
overlap, and feeds each through the same capture path, which ignores what it already has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from connector.db.models import utcnow
from connector.db.uow import UnitOfWork
from connector.ports import StorePlatform
from connector.services.capture import capture_order
from connector.services.marks import sync_marks

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    seen: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    marked: int = 0


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
        result = capture_order(uow, platform, shop_id, snapshot)
        report.seen += 1
        report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1
        if progress is not None:
            progress(report.seen)
    report.marked = sync_marks(uow, platform, shop_id)
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is not None:
            shop.reconciled_until = started
            uow.commit()
    log.info("shop reconciled", extra={"shop_id": shop_id, "since": since.isoformat(), "seen": report.seen,
                                       "outcomes": report.outcomes})
    return report
