"""The merchant's per-shop choices for customer messages and pile-up alerts.

Declared in SHOP_SETTINGS (listed by connector/settings_registry.py), so `connector shops settings S`
lists them and `connector shops set S KEY VALUE` validates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from connector.crypto import CredentialBox
from connector.db.repositories import ShopSettingRepository
from connector.db.uow import UnitOfWork
from connector.domain.errors import ConfigError, CredentialsError, DeliveryRejected
from connector.domain.notify import DelayPolicy, Policy
from connector.notify.languages import LANGUAGES, language_of
from connector.shop_settings import SealedSetting, ShopSettingSpec, all_settings

EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _email_or_empty(value: Any) -> bool:
    return value == "" or (isinstance(value, str) and bool(EMAIL.match(value)))


def _days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3650


def _consolation(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) - {"min_slip_days", "type", "amount", "valid_days"}:
        return False
    slip = value.get("min_slip_days")
    if slip is not None and not _days(slip):
        return False
    kind = value.get("type", "percentage")
    amount = value.get("amount")
    if kind == "percentage":
        return isinstance(amount, int | float) and 0 < amount <= 100
    return kind == "free_shipping" and _days(value.get("valid_days", 90))


def _thresholds(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) - {"count", "age_days", "value"}:
        return False
    return all(v is None or (isinstance(v, int | float) and not isinstance(v, bool) and v > 0)
               for v in value.values())


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("notify.grace_days", 7, "days ahead within which an expected date is not worth a message", _days),
    ShopSettingSpec("notify.shipping_promise_days", 30,
                    "days after the order by which shipping was promised when checkout stated no date", _days),
    ShopSettingSpec("notify.delay_reply_days", 7, "days a customer has to answer a delay notice that needs consent",
                    _days),
    ShopSettingSpec("notify.delay_policy", DelayPolicy.ASK_MERCHANT.value,
                    "when a delay needs consent and none came: cancel_and_refund | ask_merchant",
                    lambda v: v in {p.value for p in DelayPolicy}),
    ShopSettingSpec("notify.sender_name", "", "name customer emails come from (default: the shop's domain)",
                    lambda v: isinstance(v, str) and len(v) <= 100 and "\n" not in v),
    ShopSettingSpec("notify.sender_email", "", "address customer emails come from (default: deployment smtp.from)",
                    _email_or_empty),
    ShopSettingSpec("notify.support_email", "", "where customers reply and the merchant is asked to decide",
                    _email_or_empty),
    ShopSettingSpec("notify.consolation",
                    {"min_slip_days": None, "type": "percentage", "amount": 10, "valid_days": 90},
                    'discount for long slips: {"min_slip_days": N|null, "type": "percentage"|"free_shipping", '
                    '"amount": 1-100, "valid_days": N}', _consolation),
    ShopSettingSpec("notify.language", "en",
                    "language of customer messages when the order names none we ship (en | nl); also of alerts",
                    lambda v: v in LANGUAGES),
    ShopSettingSpec("alerts.thresholds", {"count": None, "age_days": None, "value": None},
                    'pile-up alert per SKU: {"count": N, "age_days": N, "value": N} (null: off)', _thresholds),
    ShopSettingSpec("alerts.email", "", "where pile-up alerts are emailed (default: notify.support_email)",
                    _email_or_empty),
    ShopSettingSpec("alerts.slack_webhook_url", "", "Slack incoming webhook URL for pile-up alerts (sealed at rest)",
                    lambda v: v == "" or (isinstance(v, str) and v.startswith(("https://", "http://"))), secret=True),
)


@dataclass(frozen=True)
class ShopNotifySettings:
    policy: Policy
    delay_policy: DelayPolicy
    sender_name: str
    sender_email: str
    support_email: str
    consolation_type: str
    consolation_amount: float | None
    consolation_valid_days: int
    alert_thresholds: dict[str, float]
    alert_email: str
    slack_webhook_url: SealedSetting | None
    """Sealed; opened (SealedSetting.open) only where the Slack adapter is built. None: no Slack."""
    language: str = "en"
    """The shop's default message language (notify.language): for customers whose order names none."""
    language_chosen: bool = True
    """True when notify.language is the merchant's choice (stored), not the deployment default."""
    site_language: str | None = None
    """WooCommerce: the store's site language as read from it ("nl_NL"; shops.site_language)."""
    logo_url: str = ""
    """brand.logo_url (connector/notify/brand.py); empty: the store's icon or the shop's name."""
    accent_color: str = ""
    """brand.accent_color; empty: brand.DEFAULT_ACCENT."""

    @property
    def customer_language(self) -> str:
        """The language (or locale) for customers whose order names none we ship: notify.language when the
        merchant chose it, else the WooCommerce site's language when we ship it, else notify.language."""
        if self.language_chosen:
            return self.language
        return language_of(self.site_language) or self.language


def load(uow: UnitOfWork, shop_id: int) -> ShopNotifySettings:
    values = all_settings(uow, shop_id)
    with uow:
        shop = uow.shops.get(shop_id)
        site_language = shop.site_language if shop is not None else None
        chosen = uow.repo(ShopSettingRepository).get(shop_id, "notify.language") is not None
    consolation = values["notify.consolation"]
    kind = consolation.get("type", "percentage")
    return ShopNotifySettings(
        policy=Policy(grace_days=values["notify.grace_days"],
                      shipping_promise_days=values["notify.shipping_promise_days"],
                      consolation_min_slip_days=consolation.get("min_slip_days"),
                      delay_reply_days=values["notify.delay_reply_days"]),
        delay_policy=DelayPolicy(values["notify.delay_policy"]),
        sender_name=values["notify.sender_name"],
        sender_email=values["notify.sender_email"],
        support_email=values["notify.support_email"],
        consolation_type=kind,
        consolation_amount=float(consolation["amount"]) if kind == "percentage" else None,
        consolation_valid_days=int(consolation.get("valid_days", 90)),
        alert_thresholds={k: float(v) for k, v in values["alerts.thresholds"].items() if v is not None},
        alert_email=values["alerts.email"] or values["notify.support_email"],
        slack_webhook_url=values["alerts.slack_webhook_url"] or None,
        language=values["notify.language"],
        language_chosen=chosen,
        site_language=site_language,
        logo_url=values.get("brand.logo_url") or "",
        accent_color=values.get("brand.accent_color") or "",
    )


def open_slack_url(settings: ShopNotifySettings, box: CredentialBox | None) -> str:
    """The shop's Slack webhook URL, unsealed: only for building the Slack adapter, never to show."""
    if settings.slack_webhook_url is None:
        raise DeliveryRejected("slack: no alerts.slack_webhook_url configured")
    try:
        return settings.slack_webhook_url.open(box)
    except (ConfigError, CredentialsError) as exc:
        raise DeliveryRejected(f"slack: the stored webhook URL cannot be unsealed ({exc})") from None
