"""Tables. Every row belongs to a shop (``shop_id``) and every query is scoped to one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from connector.domain.clock import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)




class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "domain"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    domain: Mapped[str] = mapped_column(String(255))
    """Shopify: the myshopify domain. WooCommerce: the store URL, normalised."""
    api_base: Mapped[str | None] = mapped_column(String(255))
    credentials: Mapped[str] = mapped_column(Text)
    """Fernet token of the JSON credentials; never stored in clear."""
    status: Mapped[str] = mapped_column(String(20), default="active")
    reconciled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # install (0004): lifecycle, contact and token expiry; see connector/install/models.py
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    scopes: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When ``scopes`` was last read from Shopify (currentAppInstallation.accessScopes); None: only the
    token grant's ``scope`` is known (0014). See connector/domain/shopify_access.py."""
    site_language: Mapped[str | None] = mapped_column(String(35))
    """WooCommerce: the WordPress site language ("nl_NL", system_status environment.language), read at
    connect and by the health check at most daily (0028); the language of customers whose order names
    none, unless the merchant chose notify.language. None: not read (Shopify shops, or refused)."""
    site_language_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the shop's voice (0029): the store's name, address and icon as read from it (connector/notify/brand.py)
    store_name: Mapped[str | None] = mapped_column(String(255))
    """Shopify ``shop { name }``, WooCommerce ``/wp-json/`` ``name``; None: not read."""
    store_url: Mapped[str | None] = mapped_column(String(500))
    """The storefront's address (WooCommerce ``/wp-json/`` ``url``); None: not read (Shopify: its domain)."""
    store_logo_url: Mapped[str | None] = mapped_column(String(1000))
    """Shopify: the brand logo (Storefront API, 0031); WooCommerce ``site_icon_url``; None: none or not read."""
    identity_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the store's brand (0031): Shopify's primary brand colour, and how the last brand read went
    store_accent_color: Mapped[str | None] = mapped_column(String(7))
    """Shopify Storefront ``shop { brand { colors { primary { background } } } }`` (#rrggbb); None: none or not read."""
    brand_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    brand_read_error: Mapped[str | None] = mapped_column(String(500))
    """Why the last brand read got nothing (scope not granted, token refused); None: it worked, or never tried."""


class WebhookEvent(Base):
    """The inbox: every accepted webhook, raw, before anything else happens."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("shop_id", "dedupe_key"),
        Index("ix_webhook_events_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(400))
    headers: Mapped[str] = mapped_column(Text)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | processing | retry | done | failed | ignored"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("shop_id", "platform_order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    platform_order_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    """open | cancelled"""
    customer_email: Mapped[str | None] = mapped_column(String(320))
    financial_status: Mapped[str | None] = mapped_column(String(40))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    platform_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    marked: Mapped[str | None] = mapped_column(Text)
    """JSON of the backorder marks last written to the store; None when never marked."""
    needs_mark: Mapped[bool] = mapped_column(Boolean, default=False)
    """Its backorders changed since the store was last told."""
    mark_error: Mapped[str | None] = mapped_column(Text)
    """Why the store refused to mark it (deleted order, permission, user error); None once marked (0013)."""
    mark_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When that refusal was recorded (0013)."""
    mark_operation: Mapped[str | None] = mapped_column(String(120))
    """The store's bulk operation that carries its mark, until its result is read (0041)."""
    mark_line: Mapped[int | None] = mapped_column(Integer)
    """Its line in that operation's variables file (0041)."""
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # checkout promise (0009); see connector/capture/promise.py
    promised_delivery_on: Mapped[date | None] = mapped_column(Date)
    """The latest delivery date the store stated at checkout; the FTC shipping promise when set."""
    promised_delivery_source: Mapped[str | None] = mapped_column(String(120))
    """Where it was read: "shopify:deliveryMethod", "note_attributes:<name>", "meta_data:<key>"."""
    store_promise_on: Mapped[date | None] = mapped_column(Date)
    """Shopify's own delivery promise (latest maxDeliveryDateTime of the fulfillment orders)."""
    store_promise_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the store was asked for it (asked once per order)."""
    # restock (0017): the store's order tags, read for the merchant's priority tags (connector/restock)
    tags: Mapped[str | None] = mapped_column(Text)
    """The store order's tags, comma-separated as the store gives them; None when not read."""
    # shipping (0016): the order's currency, for deferred revenue and captures (connector/shipping)
    currency: Mapped[str | None] = mapped_column(String(3))
    """ISO 4217 code of the order's prices (Shopify ``currency``, WooCommerce ``currency``); None: not given."""
    # messages (0023): the customer's language, for their messages (connector/notify/languages.py)
    locale: Mapped[str | None] = mapped_column(String(35))
    """The customer's locale as the store gave it (Shopify ``customer_locale``, WooCommerce order meta
    ``wpml_language``/``_locale``...); None: not given, the shop's ``notify.language`` applies."""
    # storefront (0027): the customer's choice for a cart mixing in-stock and backordered items
    ship_choice: Mapped[str | None] = mapped_column(String(20))
    """ready_now | together | None (not asked): Shopify cart attribute "Backorder shipping", WooCommerce
    order meta ``_backorder_shipping``. "together" holds the whole order (connector/dropship/routing.py)."""
    # the shop's voice (0029): to greet the customer by name and link to the order (connector/notify)
    customer_first_name: Mapped[str | None] = mapped_column(String(100))
    """The customer's first name as the store gave it; None: not given (messages then say "Hello,")."""
    status_url: Mapped[str | None] = mapped_column(String(1000))
    """The order's page in the store (Shopify ``order_status_url``, WooCommerce view-order URL); None: unknown."""

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "platform_line_id"),
        Index("ix_order_lines_shop_stock", "shop_id", "stock_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    platform_line_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(255))
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64))
    stock_key: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    backordered_meta: Mapped[int | None] = mapped_column(Integer)
    # shipping (0016): what the store reports shipped, and the price; see connector/shipping/closing.py
    quantity_fulfilled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Units of the line the store reports shipped (Shopify quantity minus unfulfilled units,
    WooCommerce: all of it once completed or tracked)."""
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    """Price per unit after the line's discounts, in the order's currency; None when not given."""
    # storefront (0027): the ship-by date the customer saw for this line (connector/capture/promise.py)
    promised_on: Mapped[date | None] = mapped_column(Date)
    """Written once at capture, never rewritten: the promise is what the customer saw."""
    promised_source: Mapped[str | None] = mapped_column(String(120))
    """Where it was read: "line_property:<name>"."""

    order: Mapped[Order] = relationship(back_populates="lines")
    backorder: Mapped[Backorder | None] = relationship(back_populates="line", uselist=False)


class Backorder(Base):
    __tablename__ = "backorders"
    __table_args__ = (Index("ix_backorders_shop_status", "shop_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True)
    sku: Mapped[str | None] = mapped_column(String(255))
    stock_key: Mapped[str | None] = mapped_column(String(64))
    quantity_backordered: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promised_date: Mapped[date | None] = mapped_column(Date)
    """The in-stock date first told to the customer (or stated at checkout)."""
    expected_date: Mapped[date | None] = mapped_column(Date)
    """The current expected in-stock date."""
    dates_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # restock (0017): units set aside from arriving stock; see connector/restock/models.py
    quantity_allocated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Units of arriving stock set aside for it (status 'allocated' once it covers quantity_backordered)."""
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When units were last set aside for it."""
    # shipping (0016): closing when its units ship; see connector/shipping/models.py
    quantity_shipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Units of the backorder shipped so far (status 'fulfilled' once it covers quantity_backordered)."""
    fulfilled_via: Mapped[str | None] = mapped_column(String(20))
    """How its units shipped: merchant | dropship | allocation | supplier; None until fulfilled."""

    line: Mapped[OrderLine] = relationship(back_populates="backorder")


class ShopSetting(Base):
    """A merchant's per-shop setting (JSON value) overriding the deployment default."""

    __tablename__ = "shop_settings"
    __table_args__ = (UniqueConstraint("shop_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
