"""Per-shop settings of payment on shipment (listed by connector/settings_registry.py)."""

from __future__ import annotations

from connector.shop_settings import ShopSettingSpec

EXPIRY_POLICIES = ("alert", "capture_now")

SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("payments.enabled", False,
                    "capture authorised payments and charge vaulted balances when backordered goods ship "
                    "(true/false)", lambda v: isinstance(v, bool)),
    ShopSettingSpec("payments.expiry_policy", "alert",
                    "before an authorisation lapses with goods still waiting: alert (with the amount at risk) "
                    "or capture_now", lambda v: v in EXPIRY_POLICIES),
    ShopSettingSpec("payments.expiry_lead_hours", 24,
                    "act on an authorisation this many hours before it lapses",
                    lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 24 * 30),
    ShopSettingSpec("payments.hold_until_paid", True,
                    "Shopify mandate route: hold the fulfillment (AWAITING_PAYMENT) until the balance is paid",
                    lambda v: isinstance(v, bool)),
)
