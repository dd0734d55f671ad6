"""Payment on shipment, as pure rules: what a store says about an order's money (``PaymentFacts``),
which route collects the rest (``route_of``) and how much to capture for what shipped
(``capture_plan``). Standard library only; every decision carries its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")
CENT = Decimal("0.01")

SUCCEEDED = "succeeded"
DECLINED = "declined"
PENDING = "pending"
UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class Transaction:
    """One store payment transaction (Shopify OrderTransaction; WooCommerce: the gateway's charge)."""

    id: str
    kind: str
    """AUTHORIZATION | CAPTURE | SALE | VOID | REFUND (Shopify's OrderTransactionKind)."""
    status: str
    """SUCCESS | FAILURE | PENDING | ERROR | AWAITING_RESPONSE | UNKNOWN"""
    amount: Decimal
    parent_id: str | None = None
    gateway: str | None = None
    authorization_expires_at: datetime | None = None
    multi_capturable: bool = False
    payment_id: str | None = None
    created_at: datetime | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class PaymentFacts:
    """What the store says about an order's payment, read fresh before every decision."""

    order_id: str
    currency: str
    total: Decimal
    outstanding: Decimal
    """What the customer still owes (Shopify ``totalOutstandingSet``)."""
    financial_status: str | None
    transactions: tuple[Transaction, ...] = ()
    mandate_ids: tuple[str, ...] = ()
    """Vaulted payment methods the connector may charge (Shopify ``paymentCollectionDetails``)."""
    payment_terms_type: str | None = None
    """FULFILLMENT (due on fulfillment: Shopify charges) | FIXED | RECEIPT | NET | None."""
    payment_schedule_id: str | None = None
    payment_due_at: datetime | None = None
    payment_link: str | None = None
    """Where the customer can pay the balance (Shopify ``additionalPaymentCollectionUrl``)."""
    gateway: str | None = None
    paid_at_checkout: bool = False
    """WooCommerce: the gateway took the money at checkout (nothing authorised is left to capture)."""
    capturable_by_status: bool = False
    """WooCommerce: the gateway captures its authorisation when the order moves to processing/completed."""
    capture_completes_order: bool = False
    """WooCommerce: only completing the order captures (WooPayments), so a capture before everything
    shipped would tell the store it shipped."""

    def authorization(self) -> Transaction | None:
        """The open (successful, not voided) authorisation, newest first."""
        voided = {t.parent_id for t in self.transactions if t.kind == "VOID" and t.status == "SUCCESS"}
        found = [t for t in self.transactions
                 if t.kind == "AUTHORIZATION" and t.status == "SUCCESS" and t.id not in voided]
        return found[-1] if found else None

    def captured_of(self, parent_id: str) -> Decimal:
        return sum((t.amount for t in self.transactions
                    if t.kind == "CAPTURE" and t.status == "SUCCESS" and t.parent_id == parent_id), ZERO)

    def captures_of(self, parent_id: str) -> list[Transaction]:
        return [t for t in self.transactions if t.kind == "CAPTURE" and t.parent_id == parent_id]

    def failed_charges(self) -> list[Transaction]:
        return [t for t in self.transactions
                if t.kind in ("SALE", "CAPTURE", "AUTHORIZATION") and t.status in ("FAILURE", "ERROR")]


@dataclass(frozen=True)
class Route:
    """How an order's money is collected, and why."""

    route: str
    """authorization | mandate | woocommerce | paid_at_checkout | none"""
    state: str
    trigger: str | None
    reasons: tuple[str, ...] = field(default_factory=tuple)


def route_of(facts: PaymentFacts, *, platform: str, under_plan: bool = False) -> Route:
    """Which route collects what the order still owes (see connector/payments/models.py STATES).

    ``under_plan`` (Shopify): a line was bought under the connector's own selling plan, so the balance
    on the vaulted card is the mandate route's even when checkout left an authorisation (a deposit only
    authorised), and its trigger is the plan's (payment terms FULFILLMENT: Shopify charges). Otherwise
    (not known, no plan, another app's plan) the order's authorisation, mandate and terms decide."""
    if platform != "woocommerce" and under_plan and facts.mandate_ids and facts.outstanding > ZERO:
        trigger = "on_fulfillment" if facts.payment_terms_type == "FULFILLMENT" else "backstop"
        how = "charged by Shopify on fulfillment" if trigger == "on_fulfillment" else "charged on shipment"
        return Route("mandate", "awaiting_shipment", trigger,
                     (f"bought under the connector's selling plan: the balance on the vaulted card is {how}",))
    if platform == "woocommerce":
        if facts.capturable_by_status:
            return Route("woocommerce", "authorized", None,
                         (f"gateway {facts.gateway} holds an authorisation captured by the order's status",))
        if facts.paid_at_checkout or facts.outstanding <= ZERO:
            return Route("paid_at_checkout", "paid", None, ("paid in full at checkout: left alone",))
        return Route("none", "none", None, (f"gateway {facts.gateway} leaves nothing for the connector to collect",))
    auth = facts.authorization()
    if auth is not None and facts.captured_of(auth.id) < auth.amount and facts.outstanding > ZERO:
        return Route("authorization", "partially_captured" if facts.captured_of(auth.id) > ZERO else "authorized",
                     None, (f"authorised {auth.amount} {facts.currency}, captured on shipment",))
    if facts.mandate_ids and facts.outstanding > ZERO:
        if facts.payment_terms_type == "FULFILLMENT":
            return Route("mandate", "awaiting_shipment", "on_fulfillment",
                         ("balance due on fulfillment: Shopify charges it, the connector watches",))
        return Route("mandate", "awaiting_shipment", "backstop",
                     ("balance on a vaulted card with a backstop due date: the connector charges it when the "
                      "goods are ready to ship",))
    if facts.outstanding <= ZERO:
        return Route("paid_at_checkout", "paid", None, ("paid in full at checkout: left alone",))
    return Route("none", "none", None, ("no authorisation or vaulted card to collect the balance with",))


@dataclass(frozen=True)
class CapturePlan:
    """How much to capture now, whether it is the last capture, and why."""

    amount: Decimal
    final: bool
    reasons: tuple[str, ...]


def capture_plan(*, authorized: Decimal, captured: Decimal, shipped_value: Decimal, everything_shipped: bool,
                 multi_capture: bool) -> CapturePlan:
    """What to capture of an authorisation once goods shipped.

    - everything shipped: the rest of the authorisation (shipping and taxes included), final;
    - partly shipped, multi-capture allowed: the value of what shipped not captured yet, not final;
    - partly shipped, the gateway captures only once: all of it now (a partial capture would void the
      rest of the authorisation), final.
    """
    left = max(ZERO, authorized - captured)
    if left <= ZERO:
        return CapturePlan(ZERO, True, ("nothing left to capture",))
    if everything_shipped:
        return CapturePlan(left, True, ("everything shipped: the rest of the authorisation",))
    if shipped_value <= captured:
        return CapturePlan(ZERO, False, (f"shipped {shipped_value} is already captured",))
    if not multi_capture:
        return CapturePlan(left, True, ("the authorisation can be captured once: all of it on the first shipment",))
    part = min(left, (shipped_value - captured).quantize(CENT))
    final = part >= left
    return CapturePlan(part, final, (f"value shipped {shipped_value}, captured {captured}: capture {part}",))


def expiry_due(expires_at: datetime | None, now: datetime, lead_hours: float) -> bool:
    """Whether an authorisation expiring at ``expires_at`` is within ``lead_hours`` of lapsing."""
    if expires_at is None:
        return False
    return (expires_at - now).total_seconds() <= lead_hours * 3600


SHOP_ROUTES = ("none", "selling_plan", "authorization")
"""``payments.route`` (declared in connector/payments/selling_plans.py; the same values as
connector/domain/selling_plans.py ROUTES)."""

COLLECTED: dict[str, frozenset[str]] = {
    "none": frozenset(),
    "authorization": frozenset({"authorization", "woocommerce"}),
    "selling_plan": frozenset({"authorization", "woocommerce", "mandate"}),
}
"""Which order payment routes (``route_of``) a shop's ``payments.route`` collects. ``selling_plan`` also
captures authorised orders on shipment: a merchant who asked that backorders be paid when they ship
means every backorder sale, not only those bought under the plan."""


@dataclass(frozen=True)
class ShopRoute:
    """How a shop's backorder sales are paid, and why: the one switch of payment on shipment."""

    route: str
    """none | selling_plan | authorization"""
    legacy: bool
    """Read from the deprecated ``payments.enabled`` (payments.route left at its default none)."""
    reasons: tuple[str, ...]

    @property
    def collects(self) -> frozenset[str]:
        """The order payment routes this shop's passes capture or charge."""
        return COLLECTED.get(self.route, frozenset())

    @property
    def on(self) -> bool:
        """Collection passes and the expiry watch run for the shop."""
        return bool(self.collects)


def shop_route(values: Mapping[str, Any]) -> ShopRoute:
    """The shop's payment route from its settings (every declared key, defaults included).

    ``payments.route`` decides. The deprecated ``payments.enabled`` (before the route existed it switched
    on captures and mandate charges) is read as ``authorization`` while ``payments.route`` is at its
    default ``none``, so a shop that set it keeps working; set ``payments.route`` (or
    ``payments.enabled`` false) to change it."""
    route = str(values.get("payments.route") or "none")
    if route not in SHOP_ROUTES:
        return ShopRoute("none", False, (f"unknown payments.route {route!r}: nothing collected",))
    if route == "none" and values.get("payments.enabled") is True:
        return ShopRoute("authorization", True, ("payments.enabled true (deprecated) with payments.route none: "
                                                 "read as payments.route authorization",))
    return ShopRoute(route, False, (f"payments.route {route}",))
