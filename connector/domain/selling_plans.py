"""The connector's pre-order selling plan, as the merchant's settings define it (standard library only).

One plan in one group per shop, category PRE_ORDER:

- checkout charge: ``deposit_percent`` of the price (0: nothing at checkout);
- remaining balance: ``ON_FULFILLMENT`` (Shopify 2026-04: the balance is due when the goods ship and the
  checkout says so), or the backstop ``TIME_AFTER_CHECKOUT`` ``backstop_days`` after checkout, for
  gateways or API versions where ``ON_FULFILLMENT`` cannot serve; the connector then charges the balance
  when the goods ship (payments feature) and the due date is only the latest it may come;
  ``NO_REMAINING_BALANCE`` when the deposit is 100%;
- delivery: ``UNKNOWN`` fulfillment trigger (a backorder waits for restock: no date is promised by the
  plan; the product page carries the expected date);
- inventory: reserved ``ON_SALE``, as any backorder sale is, so that the store's (negative) stock
  counts the units sold and arriving stock is allocated to them first come, first served.

``wanted_variants`` says which variants carry the plan: sold on backorder (an in-stock date on the
page and the store keeps selling when out of stock). Each rule returns its reasons.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

ROUTES = ("none", "selling_plan", "authorization")
"""``payments.route``: how a shop's backorder sales are paid. ``selling_plan`` is this module's."""
TRIGGERS = ("on_fulfillment", "backstop")
"""``payments.balance_trigger``."""

GROUP_NAME = "Pre-order"
MERCHANT_CODE = "backorder-connector-preorder"
"""How the connector finds its own group again (``merchantCode``), e.g. after a crash between the
create call and storing the id."""
APP_ID = "backorder-connector"


@dataclass(frozen=True)
class PlanSpec:
    """What the store's selling plan should say."""

    deposit_percent: int
    balance_trigger: str
    """ON_FULFILLMENT | TIME_AFTER_CHECKOUT | NO_REMAINING_BALANCE"""
    backstop_days: int | None
    """Days after checkout the balance is due (TIME_AFTER_CHECKOUT only)."""
    fulfillment_trigger: str = "UNKNOWN"
    reserve: str = "ON_SALE"
    category: str = "PRE_ORDER"

    def __post_init__(self) -> None:
        if not 0 <= self.deposit_percent <= 100:
            raise ValueError(f"deposit_percent must be 0-100, got {self.deposit_percent}")
        if self.balance_trigger == "TIME_AFTER_CHECKOUT" and not (self.backstop_days or 0) > 0:
            raise ValueError(f"a backstop needs backstop_days > 0, got {self.backstop_days}")

    @property
    def name(self) -> str:
        """The customer-facing plan name (the checkout and the product form show it)."""
        if self.balance_trigger == "NO_REMAINING_BALANCE":
            return "Pre-order: paid in full now, ships when back in stock"
        now = f"{self.deposit_percent}% deposit now, " if self.deposit_percent else "Nothing to pay now, "
        if self.balance_trigger == "ON_FULFILLMENT":
            return f"Pre-order: {now}{'balance' if self.deposit_percent else 'pay'} when it ships"
        return (f"Pre-order: {now}{'balance' if self.deposit_percent else 'pay'} when it ships "
                f"(at the latest {self.backstop_days} days after ordering)")

    @property
    def time_after_checkout(self) -> str | None:
        """ISO 8601 duration of the backstop (``P30D``), None for the other triggers."""
        return f"P{self.backstop_days}D" if self.balance_trigger == "TIME_AFTER_CHECKOUT" else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name}

    def digest(self) -> str:
        """Changes whenever anything the store's plan says changes."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()


def plan_spec(settings: Mapping[str, Any]) -> tuple[PlanSpec, list[str]]:
    """The plan for a shop's settings (``payments.*``, declared defaults filled in), and why."""
    deposit = int(settings.get("payments.deposit_percent") or 0)
    trigger = str(settings.get("payments.balance_trigger") or "on_fulfillment")
    days = int(settings.get("payments.backstop_days") or 0)
    reasons = [f"checkout charge {deposit}%"]
    if deposit >= 100:
        reasons.append("deposit is 100%: nothing is left to charge (NO_REMAINING_BALANCE)")
        return PlanSpec(100, "NO_REMAINING_BALANCE", None), reasons
    if trigger == "backstop":
        reasons.append(f"balance: the connector charges it on shipment; due at the latest {days} days "
                       "after checkout (TIME_AFTER_CHECKOUT)")
        return PlanSpec(deposit, "TIME_AFTER_CHECKOUT", days), reasons
    reasons.append("balance: charged by Shopify when the order is fulfilled (ON_FULFILLMENT)")
    return PlanSpec(deposit, "ON_FULFILLMENT", None), reasons


@dataclass(frozen=True)
class CatalogVariant:
    """One store variant as the catalogue and the dates know it."""

    variant_id: str
    sku: str
    backorders_allowed: bool
    """The store keeps selling when out of stock (Shopify inventory policy CONTINUE)."""
    page_date: object | None
    """The in-stock date on its product page (None: in stock, or no date known)."""


def sold_on_backorder(variant: CatalogVariant) -> list[str]:
    """Why this variant may not carry the plan (empty: it should)."""
    reasons = []
    if not variant.backorders_allowed:
        reasons.append("the store does not sell it when out of stock (inventory policy DENY)")
    if variant.page_date is None:
        reasons.append("no in-stock date on its page (in stock, or no date known)")
    return reasons


@dataclass(frozen=True)
class Attachment:
    """What to change on the group: variants to add and to remove."""

    add: tuple[str, ...]
    remove: tuple[str, ...]


def attachment(wanted: Iterable[str], attached: Iterable[str]) -> Attachment:
    """Only the difference between the variants that should carry the plan and those that do."""
    want, have = set(wanted), set(attached)
    return Attachment(tuple(sorted(want - have, key=_key)), tuple(sorted(have - want, key=_key)))


def _key(variant_id: str) -> tuple[int, str]:
    return (int(variant_id), "") if variant_id.isdigit() else (0, variant_id)


@dataclass(frozen=True)
class StoreGroup:
    """The connector's selling plan group as the store has it."""

    group_id: str
    plan_id: str | None
    merchant_code: str
    variant_ids: tuple[str, ...] = ()
    """Numeric ids of the variants attached to it (every page read)."""
    plan_name: str | None = None
    balance_trigger: str | None = None
