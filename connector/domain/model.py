"""Value objects for orders, stock and backorders, as the connector understands them.

Adapters turn platform payloads into these types; services work only with them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connector.domain.errors import InvalidPayload


class Platform(enum.StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


class BackorderStatus(enum.StrEnum):
    OPEN = "open"
    """Units short and waiting."""
    ALLOCATED = "allocated"
    """Arriving stock was set aside for all its units; waits for shipment (still a backorder)."""
    CANCELLED = "cancelled"
    """The order (or line) was cancelled while short."""
    FULFILLED = "fulfilled"
    """The units were shipped to the customer."""
    WITHDRAWN = "withdrawn"
    """Re-evaluation found the line is not short after all (another order took the shortage)."""


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidPayload(f"{name} must be timezone-aware, got {value!r}")


MAX_QUANTITY = 2**31 - 1
"""The most units one order line may hold (stored as a 32-bit integer); more is an absurd input."""
MAX_ID = 2**63 - 1
"""The largest numeric id (Shopify's and WooCommerce's ids are 64-bit integers)."""
MAX_ID_LENGTH = 64
"""The longest order, line, product or variant id (its storage column)."""
MAX_NAME_LENGTH = 100
"""Longer order names are cut to this (their storage column); they are for display only."""
MAX_TITLE_LENGTH = 500
"""Longer line titles are cut to this (their storage column)."""
MAX_PRICE = Decimal("9999999999.99")
"""The largest unit price a line may carry (stored as Numeric(12, 2)); more is an absurd input."""


def _require_id(name: str, value: str | None) -> None:
    if value is None:
        return
    if len(value) > MAX_ID_LENGTH:
        raise InvalidPayload(f"{name} is {len(value)} characters long (at most {MAX_ID_LENGTH}): {value[:24]!r}...")
    if value.isascii() and value.isdigit() and int(value) > MAX_ID:
        raise InvalidPayload(f"{name} {value} is out of range (at most {MAX_ID})")


def _require_units(name: str, value: int | None) -> None:
    if value is not None and value > MAX_QUANTITY:
        raise InvalidPayload(f"{name} {value} is out of range (at most {MAX_QUANTITY})")


@dataclass(frozen=True)
class OrderLine:
    """One line of a store order."""

    line_id: str
    quantity: int
    sku: str | None = None
    product_id: str | None = None
    variant_id: str | None = None
    """Shopify variant id; WooCommerce variation id (None for a simple product)."""
    title: str = ""
    backordered_meta: int | None = None
    """WooCommerce only: units short as written by the store in the line's 'Backordered' meta."""
    fulfilled_quantity: int = 0
    """Units of the line the store reports shipped (at most ``quantity``: units shipped and then
    refunded or removed no longer count). See connector/shipping/closing.py."""
    unit_price: Decimal | None = None
    """Price per unit after the line's own discounts, in the order's currency; None when not given."""
    fulfilled_at: datetime | None = None
    """When the line's last shipped units shipped, when the payload says (a fulfillment's time)."""
    properties: tuple[tuple[str, str | int | float], ...] = ()
    """The line's (name, value) pairs: Shopify line item ``properties`` (GraphQL ``customAttributes``),
    WooCommerce order item ``meta_data``; scalar values only. The ship-by date the customer saw is
    read from them (connector/domain/line_promise.py)."""

    def __post_init__(self) -> None:
        if not self.line_id:
            raise InvalidPayload("order line without an id")
        if self.fulfilled_quantity < 0:
            raise InvalidPayload(f"line {self.line_id}: negative fulfilled quantity {self.fulfilled_quantity}")
        if self.fulfilled_quantity > self.quantity:
            object.__setattr__(self, "fulfilled_quantity", self.quantity)
        if self.unit_price is not None and not (self.unit_price.is_finite() and 0 <= self.unit_price <= MAX_PRICE):
            raise InvalidPayload(f"line {self.line_id}: unit price {self.unit_price} out of range (0 to {MAX_PRICE})")
        if self.fulfilled_at is not None:
            _require_aware(f"line {self.line_id}: fulfilled_at", self.fulfilled_at)
        if self.quantity < 0:
            raise InvalidPayload(f"line {self.line_id}: negative quantity {self.quantity}")
        if self.backordered_meta is not None and self.backordered_meta < 0:
            raise InvalidPayload(f"line {self.line_id}: negative backordered meta {self.backordered_meta}")
        _require_id("line id", self.line_id)
        _require_id(f"line {self.line_id[:24]}: product id", self.product_id)
        _require_id(f"line {self.line_id[:24]}: variant id", self.variant_id)
        _require_units(f"line {self.line_id}: quantity", self.quantity)
        _require_units(f"line {self.line_id}: backordered meta", self.backordered_meta)
        if len(self.title) > MAX_TITLE_LENGTH:
            object.__setattr__(self, "title", self.title[:MAX_TITLE_LENGTH])

    @property
    def stock_key(self) -> str | None:
        """The key that identifies the stock this line draws on (variant, else product)."""
        return self.variant_id or self.product_id


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as the store last described it (webhook body or API read)."""

    order_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    lines: tuple[OrderLine, ...]
    cancelled: bool = False
    customer_email: str | None = None
    financial_status: str | None = None
    raw_status: str | None = None
    attributes: tuple[tuple[str, str | int | float], ...] = ()
    """Order-level (name, value) pairs where delivery-date apps write the date stated at checkout:
    Shopify ``note_attributes`` (GraphQL ``customAttributes``), WooCommerce order ``meta_data``.
    Scalar values only; which names count is the shop's setting (connector/capture/promise.py)."""
    attribute_kind: str = ""
    """Where ``attributes`` came from: "note_attributes" or "meta_data"."""
    tags: str | None = None
    """The store order's tags, comma-separated (Shopify; the shop's restock.priority_tags are matched
    against them). None where the platform has no order tags (WooCommerce)."""
    currency: str | None = None
    """ISO 4217 code of the order's prices (upper case); None when not given."""
    locale: str | None = None
    """The customer's language as the store gave it ("nl-NL"; Shopify ``customer_locale``, WooCommerce
    order meta ``wpml_language``); None when not given. Messages choose their language from it."""
    ship_choice: str | None = None
    """The customer's choice for a cart mixing in-stock and backordered items: "ready_now" | "together";
    None when not asked (connector/domain/line_promise.py). An update that does not say keeps it."""
    discount_codes: tuple[str, ...] = ()
    """Discount codes the customer entered (Shopify ``discount_codes[].code``, WooCommerce
    ``coupon_lines[].code``); the reports feature counts the connector's consolation codes among them
    as redeemed (connector/reports/redemptions.py). Empty when the payload does not say."""
    customer_first_name: str | None = None
    """The customer's first name (Shopify ``customer.first_name`` or an address's, WooCommerce
    ``billing.first_name``); messages greet by it. None when not given."""
    status_url: str | None = None
    """Where the customer sees the order in the store (Shopify ``order_status_url`` / ``statusPageUrl``,
    WooCommerce the view-order page); None when not given."""

    def __post_init__(self) -> None:
        if not self.order_id:
            raise InvalidPayload("order without an id")
        if self.currency is not None:
            code = self.currency.strip().upper()
            if len(code) != 3 or not code.isascii() or not code.isalpha():
                raise InvalidPayload(f"order {self.order_id[:24]}: currency is not an ISO 4217 code: "
                                     f"{self.currency[:12]!r}")
            object.__setattr__(self, "currency", code)
        _require_id("order id", self.order_id)
        if len(self.name) > MAX_NAME_LENGTH:
            object.__setattr__(self, "name", self.name[:MAX_NAME_LENGTH])
        _require_aware("created_at", self.created_at)
        _require_aware("updated_at", self.updated_at)


@dataclass(frozen=True)
class StockRef:
    """What the store needs to look up one stock position."""

    product_id: str | None
    variant_id: str | None

    @property
    def key(self) -> str:
        key = self.variant_id or self.product_id
        if not key:
            raise InvalidPayload("stock reference without product or variant id")
        return key


@dataclass(frozen=True)
class StockLevel:
    """A stock position as the store reports it right now."""

    key: str
    available: int | None
    """Units available to sell; negative when oversold. None when the store does not track it."""
    backorders_allowed: bool
    tracked: bool = True
    sku: str | None = None
    inventory_item_id: str | None = None
    """Shopify's InventoryItem id (numeric) of the variant, so inventory_levels/update finds it."""

    @property
    def shortage(self) -> int:
        if not self.tracked or self.available is None or self.available >= 0:
            return 0
        return -self.available


@dataclass(frozen=True)
class BackorderMark:
    """What the connector writes onto a store order about one backordered line."""

    line_id: str
    sku: str | None
    quantity: int


@dataclass(frozen=True)
class ShopCredentials:
    """Decrypted credentials of one shop. Never logged: repr hides the secrets."""

    access_token: str | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = None
    webhook_secret: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        present = [name for name in ("access_token", "consumer_key", "consumer_secret", "webhook_secret")
                   if getattr(self, name)]
        return f"ShopCredentials(<redacted: {', '.join(present)}>)"
