"""The merchant's per-shop choices for the KPI report and the weekly digest (issue 15).

The "manageable" wait of the time-to-fill KPI is not a setting of its own: it is ``notify.grace_days``, the
wait within which customers are not told anything (docs/reports.md).
"""

from __future__ import annotations

from typing import Any

from connector.shop_settings import ShopSettingSpec


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 3650


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("reports.review_backorders_per_month", 4,
                    "flag a SKU 'review ordering' when it is backordered this many times per 30 days or more",
                    _positive),
    ShopSettingSpec("reports.review_wait_days", 21,
                    "flag a SKU 'review ordering' when its backorders wait this many days on average or more",
                    _positive),
    ShopSettingSpec("reports.weekly_digest", False,
                    "e-mail the KPIs (and reorder advice, where there is some) to the shop's contact e-mail "
                    "once a week", lambda v: isinstance(v, bool)),
)
