"""Per-shop scheduled work: reconciliation and pending store marks."""

from __future__ import annotations

from datetime import timedelta

from connector.capture import marks
from connector.capture import reconcile as reconciliation
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from jobs import runtime


@retry_policy(RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=1800))
def reconcile(shop_id: int) -> reconciliation.ReconcileReport:
    """Capture every order the store changed since the last watermark (with an overlap)."""
    c = runtime.container()
    settings = c.settings
    report = reconciliation.reconcile_shop(
        c.uow(), c.platform_for(shop_id), shop_id,
        overlap=timedelta(minutes=settings.reconcile_overlap_minutes),
        initial_lookback=timedelta(hours=settings.reconcile_initial_lookback_hours),
    )
    if report.alerted:
        _deliver_alerts(shop_id)
    return report


@retry_policy(RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=900))
def sync_marks(shop_id: int) -> int:
    """Write backorder marks the store has not been told about yet; returns how many were written.
    An order the store refuses is recorded on the order and the merchant alerted once."""
    c = runtime.container()
    report = marks.write_marks(c.uow(), c.platform_for(shop_id), shop_id)
    if report.alerted:
        _deliver_alerts(shop_id)
    if report.waiting:  # a bulk write of the shop's marks still runs at the store: look again soon
        read_marks_back(shop_id, delay_seconds=READ_BACK_SECONDS)
    return report.written


READ_BACK_SECONDS = 3.0
"""How long after a look that found a bulk write of marks still running the next look is (its
``bulk_operations/finish`` webhook usually comes first; this is for one that never does)."""


def read_marks_back(shop_id: int, *, delay_seconds: float = 0.0) -> None:
    """Queue ``sync_marks`` for the shop (it reads back the finished bulk writes of its marks first),
    joining one already waiting."""
    runtime.enqueue_run(runtime.container(), sync_marks, shop_id, shop_id=shop_id, coalesce=True,
                        delay_seconds=delay_seconds)


def _deliver_alerts(shop_id: int) -> None:
    """Send the new alerts by the shop's alert email and Slack webhook (jobs/dropship.py)."""
    from jobs.dropship import deliver_alerts

    deliver_alerts(shop_id)


RECONCILE = job_ref(reconcile)
SYNC_MARKS = job_ref(sync_marks)
