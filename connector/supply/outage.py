"""The merchant's alert for a supplier's stock feed that keeps failing: plain words (what the feed did,
how often, since when, when the connector tries again) and what the merchant can do about it. The words
come from connector/domain/supplier_outage.py; delivery is connector/dropship/alerts.py (kind FEED_DOWN)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from connector.db.uow import UnitOfWork
from connector.domain.supplier_outage import FeedOutage, describe, feed_address, retry_words
from connector.supply.repository import SupplyRepository


@dataclass(frozen=True)
class FeedDownAlert:
    dedupe_key: str
    """One alert per outage: the supplier and its last good read."""
    message: str
    """The headline (the e-mail's subject) on the first line, then the body."""


def written_time(moment: datetime) -> str:
    """'09:12 UTC on Friday 20 November 2026'."""
    return f"{moment:%H:%M} UTC on {moment:%A} {moment.day} {moment:%B %Y}"


def feed_down_alert(uow: UnitOfWork, supplier_id: int, error: str | None, error_type: str | None
                    ) -> FeedDownAlert | None:
    """The alert for the supplier's failing feed; None when the supplier is gone."""
    with uow:
        supplier = uow.repo(SupplyRepository).supplier(supplier_id)
        if supplier is None:
            return None
        shop = uow.shops.get(supplier.shop_id)
        settings = json.loads(supplier.settings or "{}")
        name, failures, last_good = supplier.name, supplier.consecutive_failures or 1, supplier.last_success_at
        domain = shop.domain if shop is not None else ""
    outage = FeedOutage(name, error, error_type, failures, last_good, feed_address(settings),
                        retry_words(settings.get("schedule")))
    headline, body = describe(outage, written_time(last_good) if last_good else None)
    actions = ("What you can do:\n"
               f"- Check the supplier's status page, or ask {name} whether their stock feed is down.\n"
               f"- Check the feed address and sign-in on the app's Suppliers page ({name}); "
               "\"Poll now\" there reads the feed again at once and shows the answer.\n"
               f"- From a terminal: connector suppliers poll \"{name}\" --shop {domain} reads it now; "
               f"connector suppliers history \"{name}\" --shop {domain} lists the last polls.")
    since = last_good.isoformat() if last_good else "never"
    return FeedDownAlert(f"supplier-down:{supplier_id}:{since}", f"{headline}\n\n{body}\n\n{actions}")
