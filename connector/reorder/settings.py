"""Per-shop settings of reorder advice (listed by connector/settings_registry.py)."""

from __future__ import annotations

from typing import Any

from connector.shop_settings import ShopSettingSpec


def _service_level(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.5 <= value < 1


def _days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 365


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("reorder.service_level", 0.95,
                    "share of reorder cycles that should not run out before the goods arrive, 0.5 to 0.999 "
                    "(sets the safety stock: z of the normal quantile)", _service_level),
    ShopSettingSpec("reorder.cover_days", 28,
                    "days of sales each reorder should cover beyond the reorder point (order-up-to level), 1-365",
                    _days),
)
