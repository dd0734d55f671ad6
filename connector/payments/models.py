"""Tables for payment on shipment: one ``order_payments`` row per order whose payment the connector
defers, and one ``payment_charges`` row per capture or charge it asks the store for.

A charge row (with its idempotency key) is committed BEFORE the store is called, in state
``pending``; the call's outcome moves it to ``succeeded``, ``declined`` or ``uncertain``. A pending
or uncertain row blocks any new charge for the same order until it is resolved by a read-back of
the store's transactions, so a worker killed between the call and the commit never charges twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow

ROUTES = ("authorization", "mandate", "woocommerce", "paid_at_checkout", "none")
"""How an order is paid: an authorisation captured on shipment; a vaulted card (payment mandate)
charged for the balance; a WooCommerce gateway that captures on a status change; paid in full at
checkout (left alone); nothing to collect."""

STATES = ("authorized", "partially_captured", "captured", "expired", "voided",
          "awaiting_shipment", "charging", "charged", "declined", "paid", "none")
"""Authorisation route: authorized -> partially_captured -> captured | expired | voided.
Mandate route: awaiting_shipment -> charging -> charged | declined (declined -> charging on a retry
or -> charged when the customer pays through the payment link). WooCommerce: authorized -> captured.
``paid``: paid in full at checkout. ``none``: nothing to collect."""

CHARGE_KINDS = ("capture", "mandate", "woocommerce")
CHARGE_STATES = ("pending", "succeeded", "declined", "uncertain")


class OrderPayment(Base):
    """The payment state of one order the connector watches."""

    __tablename__ = "order_payments"
    __table_args__ = (Index("ix_order_payments_shop_state", "shop_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    route: Mapped[str] = mapped_column(String(20))
    """authorization | mandate | woocommerce | paid_at_checkout | none"""
    state: Mapped[str] = mapped_column(String(30))
    """See STATES."""
    trigger: Mapped[str | None] = mapped_column(String(30))
    """Mandate route: on_fulfillment (Shopify charges at fulfillment; the connector watches) or
    backstop (the connector charges when the goods are ready to ship). None otherwise."""
    authorization_id: Mapped[str | None] = mapped_column(String(255))
    """The store's AUTHORIZATION transaction id (Shopify gid, WooCommerce gateway charge id)."""
    authorization_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    multi_capture: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether the authorisation can be captured in several parts (Shopify ``multiCapturable``)."""
    amount_authorized: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    """Authorisation route: the amount authorised. Mandate route: what checkout took (the deposit), set
    when the order is first seen owing, so the charge Shopify makes later is told from it."""
    amount_captured: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    """Captured or charged so far by any path (the connector's own or read back from the store)."""
    amount_due: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    """Balance still to collect (mandate route: the deferred balance; authorisation: not captured)."""
    currency: Mapped[str] = mapped_column(String(3), default="")
    gateway: Mapped[str | None] = mapped_column(String(100))
    mandate_id: Mapped[str | None] = mapped_column(String(255))
    payment_schedule_id: Mapped[str | None] = mapped_column(String(255))
    holds: Mapped[str | None] = mapped_column(Text)
    """JSON list of [fulfillment order id, hold id]: the AWAITING_PAYMENT holds the connector placed."""
    payment_link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expiry_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the expiry policy last acted (alert sent or capture made) for this authorisation."""
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PaymentCharge(Base):
    """One capture or charge the connector asked the store for (or is about to)."""

    __tablename__ = "payment_charges"
    __table_args__ = (Index("ix_payment_charges_order", "order_id", "id"),
                      Index("ix_payment_charges_shop_state", "shop_id", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    backorder_id: Mapped[int | None] = mapped_column(ForeignKey("backorders.id", ondelete="SET NULL"))
    """The backorder whose shipment or allocation led to the charge (None: the order as a whole)."""
    kind: Mapped[str] = mapped_column(String(20))
    """capture | mandate | woocommerce"""
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    """Stored and committed before the store is called; sent with mandate payments."""
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    """A capture sent with ``finalCapture``: nothing is left to capture after it."""
    state: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | succeeded | declined | uncertain"""
    reference: Mapped[str | None] = mapped_column(String(255))
    """The store's reference: the capture/sale transaction id, or the mandate payment's job id."""
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
