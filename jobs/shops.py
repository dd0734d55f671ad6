"""Per-shop scheduled work: reconciliation and pending store marks."""

from __future__ import annotations

from datetime import timedelta

from connector.services import marks
from connector.services import reconcile as reconciliation
from jobs import runtime

RECONCILE = "jobs.shops.reconcile"
SYNC_MARKS = "jobs.shops.sync_marks"


def reconcile(shop_id: int) -> reconciliation.ReconcileReport:
    """Capture every order the store changed since the last watermark (with an overlap)."""
    c = runtime.container()
    settings = c.settings
    return reconciliation.reconcile_shop(
        c.uow(), c.platform_for(shop_id), shop_id,
        overlap=timedelta(minutes=settings.reconcile_overlap_minutes),
        initial_lookback=timedelta(hours=settings.reconcile_initial_lookback_hours),
    )


def sync_marks(shop_id: int) -> int:
    """Write backorder marks the store has not been told about yet."""
    c = runtime.container()
    return marks.sync_marks(c.uow(), c.platform_for(shop_id), shop_id)
