"""Per-shop settings of payment on shipment (listed by connector/settings_registry.py). The switch is
``payments.route`` (connector/payments/selling_plans.py; read by connector/domain/payments.py
``shop_route``); ``payments.enabled`` stays declared, deprecated, so shops and scripts that set it keep
working."""

from __future__ import annotations

from connector.shop_settings import ShopSettingSpec

EXPIRY_POLICIES = ("alert", "capture_now")

SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("payments.enabled", False,
                    "deprecated: use payments.route. true is read as payments.route authorization while "
                    "payments.route is none (a shop that set it keeps capturing on shipment); false or a "
                    "payments.route other than none leaves the route to payments.route (true/false)",
                    lambda v: isinstance(v, bool)),
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
