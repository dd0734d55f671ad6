"""Drop-ship routing: for one backordered line, drop-ship now, wait for restock, or split.

Pure rules over plain facts (standard library only). ``decide`` checks, in this order, what must
hold for any drop-ship (drop-ship enabled, order payable and open, line not yet fulfilled, a
destination country that is served), then whether the wait is long enough to be worth it, then
picks the cheapest supplier offer that drop-ships the SKU with enough margin after its cost and
the drop-ship fee. Every failed check is a reason; a drop-ship decision also states why it passed,
so a merchant can read, for each line, why it was or was not drop-shipped.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


class Action(enum.StrEnum):
    DROPSHIP = "dropship"
    """The supplier ships every backordered unit straight to the customer."""
    SPLIT = "split"
    """The supplier ships what it has now; the rest waits for restock."""
    WAIT = "wait"
    """Nothing is drop-shipped: the line waits for restock."""


class Payment(enum.StrEnum):
    PAID = "paid"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PENDING = "pending"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    VOIDED = "voided"
    UNKNOWN = "unknown"


PAYABLE = frozenset({Payment.PAID, Payment.AUTHORIZED})
"""Payment states in which goods may leave: paid, or authorized (captured when they ship)."""


@dataclass(frozen=True)
class Reason:
    """One rule's verdict: a stable code (for filters and tests) and a sentence for the merchant."""

    code: str
    text: str
    passed: bool = False


@dataclass(frozen=True)
class RoutingRules:
    """A merchant's drop-ship rules (per-shop settings ``dropship.*``)."""

    enabled: bool = False
    min_margin_percent: Decimal = Decimal("15")
    """Margin left after supplier cost and drop-ship fee, as a share of the line's revenue."""
    max_wait_days: int = 7
    """Drop-ship only when the expected wait is longer than this ("don't make them wait longer")."""
    served_countries: frozenset[str] = frozenset()
    """ISO 3166 alpha-2 codes the merchant drop-ships to; empty means every country."""
    fee: Decimal = Decimal("0")
    """The supplier's drop-ship fee per drop-ship order (one per line)."""
    allow_split: bool = True

    def __post_init__(self) -> None:
        if self.max_wait_days < 0:
            raise ValueError(f"max_wait_days must be at least 0, got {self.max_wait_days}")
        if self.fee < 0:
            raise ValueError(f"fee must not be negative, got {self.fee}")
        if not Decimal("-100") <= self.min_margin_percent <= Decimal("100"):
            raise ValueError(f"min_margin_percent must be within -100..100, got {self.min_margin_percent}")


@dataclass(frozen=True)
class SupplierOffer:
    supplier_id: int
    supplier_name: str
    dropship: bool
    available: int | None
    """Units the supplier says it has (None: it does not say)."""
    unit_cost: Decimal | None


@dataclass(frozen=True)
class LineFacts:
    """What is known about one backordered line when it is routed."""

    sku: str | None
    quantity_backordered: int
    unit_price: Decimal | None
    """What the customer pays per unit, after line discounts (None: unknown)."""
    payment: Payment
    cancelled: bool = False
    flagged: bool = False
    """The store or the merchant flagged the order (high fraud risk, on hold)."""
    fulfilled: bool = False
    """The line has been fulfilled in the store already (nothing left to ship)."""
    country: str | None = None
    expected_wait_days: int | None = None
    """Days until the expected restock; None when no date is known (an unknown wait counts as long)."""
    offers: tuple[SupplierOffer, ...] = ()


@dataclass(frozen=True)
class Decision:
    action: Action
    reasons: tuple[Reason, ...]
    supplier_id: int | None = None
    quantity_dropship: int = 0
    quantity_wait: int = 0
    unit_cost: Decimal | None = None
    margin_percent: Decimal | None = None

    @property
    def summary(self) -> str:
        failed = [r.text for r in self.reasons if not r.passed]
        shown = failed if self.action == Action.WAIT else [r.text for r in self.reasons]
        return f"{self.action.value}: " + "; ".join(shown)


def margin_percent(unit_price: Decimal, unit_cost: Decimal, quantity: int, fee: Decimal) -> Decimal:
    """(revenue - cost - fee) / revenue, in percent, rounded to 0.1."""
    revenue = unit_price * quantity
    if revenue <= 0:
        return Decimal("-100")
    value = (revenue - unit_cost * quantity - fee) / revenue * 100
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _order_checks(facts: LineFacts, rules: RoutingRules) -> list[Reason]:
    failed: list[Reason] = []
    if not rules.enabled:
        failed.append(Reason("disabled", "drop-shipping is switched off for this shop"))
    if facts.cancelled:
        failed.append(Reason("order_cancelled", "the order is cancelled"))
    if facts.payment in (Payment.REFUNDED, Payment.PARTIALLY_REFUNDED, Payment.VOIDED):
        failed.append(Reason("order_refunded", f"the order is {facts.payment.value.replace('_', ' ')}"))
    elif facts.payment not in PAYABLE:
        failed.append(Reason("not_paid", f"the order is not paid or authorized ({facts.payment.value})"))
    if facts.flagged:
        failed.append(Reason("order_flagged", "the order is flagged (fraud risk or on hold)"))
    if facts.fulfilled:
        failed.append(Reason("already_fulfilled", "the line is already fulfilled"))
    if facts.quantity_backordered <= 0:
        failed.append(Reason("nothing_short", "no units are short"))
    if not facts.sku:
        failed.append(Reason("no_sku", "the line has no SKU to order from a supplier"))
    if facts.country is None:
        failed.append(Reason("no_destination", "the order has no shipping country"))
    elif rules.served_countries and facts.country.upper() not in rules.served_countries:
        failed.append(Reason("country_not_served", f"{facts.country.upper()} is not a drop-ship country"))
    return failed


def _wait_check(facts: LineFacts, rules: RoutingRules) -> Reason:
    if facts.expected_wait_days is None:
        return Reason("wait_unknown", "no restock date is known", passed=True)
    if facts.expected_wait_days > rules.max_wait_days:
        return Reason("wait_long", f"restock in {facts.expected_wait_days} days, more than "
                                   f"{rules.max_wait_days}", passed=True)
    return Reason("wait_short", f"restock in {facts.expected_wait_days} days, within {rules.max_wait_days}")


def _offer_check(offer: SupplierOffer, facts: LineFacts, rules: RoutingRules,
                 quantity: int) -> tuple[Reason, Decimal | None]:
    name = offer.supplier_name
    if not offer.dropship:
        return Reason("supplier_no_dropship", f"{name} does not drop-ship {facts.sku}"), None
    if offer.available is not None and offer.available <= 0:
        return Reason("supplier_out_of_stock", f"{name} has no {facts.sku} in stock"), None
    if offer.unit_cost is None:
        return Reason("supplier_no_cost", f"{name} gives no cost for {facts.sku}"), None
    if facts.unit_price is None:
        return Reason("no_price", "the line's selling price is unknown"), None
    margin = margin_percent(facts.unit_price, offer.unit_cost, quantity, rules.fee)
    if margin < rules.min_margin_percent:
        return Reason("margin_too_low", f"margin via {name} is {margin}% (cost {offer.unit_cost} + fee "
                                        f"{rules.fee}), below {rules.min_margin_percent}%"), margin
    return Reason("margin_ok", f"margin via {name} is {margin}%, at least {rules.min_margin_percent}%",
                  passed=True), margin


def decide(facts: LineFacts, rules: RoutingRules) -> Decision:
    """The routing decision for one backordered line, with every reason behind it."""
    short = facts.quantity_backordered
    failed = _order_checks(facts, rules)
    if failed:
        return Decision(Action.WAIT, tuple(failed), quantity_wait=max(0, short))
    wait = _wait_check(facts, rules)
    if not wait.passed:
        return Decision(Action.WAIT, (wait,), quantity_wait=short)
    if not facts.offers:
        return Decision(Action.WAIT, (wait, Reason("no_supplier", f"no supplier lists {facts.sku}")),
                        quantity_wait=short)
    candidates: list[tuple[int, Decimal, SupplierOffer, Reason, Decimal]] = []
    rejected: list[Reason] = []
    for offer in facts.offers:
        quantity = short if offer.available is None else min(short, offer.available)
        verdict, margin = _offer_check(offer, facts, rules, max(quantity, 1))
        if not verdict.passed:
            rejected.append(verdict)
            continue
        assert offer.unit_cost is not None and margin is not None
        candidates.append((quantity, offer.unit_cost, offer, verdict, margin))
    full = [c for c in candidates if c[0] >= short]
    if full:
        quantity, cost, offer, verdict, margin = min(full, key=lambda c: (c[1], c[2].supplier_id))
        stock = Reason("supplier_has_stock", f"{offer.supplier_name} can ship all {short}", passed=True)
        return Decision(Action.DROPSHIP, (wait, stock, verdict), offer.supplier_id, short, 0, cost, margin)
    if candidates and rules.allow_split:
        quantity, cost, offer, verdict, margin = max(candidates, key=lambda c: (c[0], -c[1], -c[2].supplier_id))
        stock = Reason("supplier_partial", f"{offer.supplier_name} has {quantity} of {short}: "
                                           f"{quantity} now, {short - quantity} wait", passed=True)
        return Decision(Action.SPLIT, (wait, stock, verdict), offer.supplier_id, quantity, short - quantity,
                        cost, margin)
    if candidates:
        best = max(c[0] for c in candidates)
        rejected.append(Reason("split_not_allowed", f"suppliers have only {best} of {short} and splitting "
                                                    "is switched off"))
    return Decision(Action.WAIT, (wait, *rejected), quantity_wait=short)


def normalise_country(value: str | None) -> str | None:
    text = (value or "").strip().upper()
    return text if len(text) == 2 and text.isalpha() else None


def served(values: Sequence[str]) -> frozenset[str]:
    codes = {normalise_country(v) for v in values}
    if None in codes:
        raise ValueError(f"served countries must be ISO 3166 alpha-2 codes, got {list(values)!r}")
    return frozenset(c for c in codes if c)


@dataclass(frozen=True)
class Shipment:
    """One parcel a supplier reports for a drop-ship order."""

    shipment_id: str
    quantity: int
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipped_at: str | None = None


@dataclass(frozen=True)
class SupplierOrderStatus:
    """What a supplier says about one drop-ship order."""

    reference: str
    status: str
    """accepted | shipped | partially_shipped | rejected | cancelled"""
    shipments: tuple[Shipment, ...] = field(default_factory=tuple)
    reason: str | None = None


@dataclass(frozen=True)
class Address:
    """Where a drop-ship order goes, and whom the carrier may contact."""

    name: str
    address1: str | None
    city: str | None
    zip: str | None
    country_code: str | None
    address2: str | None = None
    province: str | None = None
    company: str | None = None
    phone: str | None = None
    email: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in ("name", "company", "address1", "address2", "city", "province",
                                              "zip", "country_code", "phone", "email")}


@dataclass(frozen=True)
class DropshipRequest:
    """One drop-ship order as sent to a supplier."""

    reference: str
    """The connector's reference (store order name and line), shown on the supplier's order."""
    lines: tuple[tuple[str, int], ...]
    ship_to: Address

    def __post_init__(self) -> None:
        if not self.lines or any(quantity <= 0 for _, quantity in self.lines):
            raise ValueError(f"{self.reference}: a drop-ship order needs lines with positive quantities")


@dataclass(frozen=True)
class Tracking:
    carrier: str | None
    number: str | None
    url: str | None


@dataclass(frozen=True)
class StoreLine:
    line_id: str
    unit_price: Decimal | None
    unfulfilled: int


@dataclass(frozen=True)
class StoreOrderFacts:
    """What the store says about an order when it is routed (read fresh, not from the webhook)."""

    payment: Payment
    cancelled: bool
    flagged: bool
    ship_to: Address | None
    lines: tuple[StoreLine, ...]

    def line(self, line_id: str) -> StoreLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)
