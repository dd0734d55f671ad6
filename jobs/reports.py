"""Report jobs: the weekly KPI digest of one shop (connector/reports/digest.py), and the weekly tick that
queues it for every active shop that asked for it (jobs/schedules.py)."""

from __future__ import annotations

from typing import Any

from jobs import runtime

DIGEST_HOUR_UTC = 6
"""The daily tick (jobs/schedules.py): each shop's digest goes out on the first tick of its ISO week (Monday,
or the next day the scheduler runs); the ledger keeps it to once a week."""
SPREAD_SECONDS = 3600
"""The tick spreads the shops' digests over an hour."""


def weekly_digest(shop_id: int) -> str:
    """Send the shop's digest for this ISO week (at most once a week; see connector/reports/digest.py)."""
    from connector.reports.digest import send_weekly_digest

    c = runtime.container()
    return send_weekly_digest(c.uow(), c.smtp_mailer(), shop_id, sender=c.settings.smtp_from,
                              app_url=c.settings.app_url or "").status


def enqueue_weekly_digests(container: Any) -> int:
    """Queue the digest of every active shop with ``reports.weekly_digest`` on; returns how many."""
    from connector.reports.digest import digest_shops
    from jobs.schedules import spread_seconds

    shop_ids = digest_shops(container.uow())
    for shop_id in shop_ids:
        runtime.enqueue(container, weekly_digest, shop_id, delay_seconds=spread_seconds(shop_id, SPREAD_SECONDS))
    return len(shop_ids)
