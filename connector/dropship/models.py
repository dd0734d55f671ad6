"""Tables for drop-ship routing: decisions with reasons, supplier drop-ship orders, their shipments
pushed to the store as fulfillments, Shopify fulfillment holds, merchant alerts.

Fill time: a backorder filled by drop-ship gets ``backorders.status = 'fulfilled'`` and
``backorders.closed_at`` = the time the supplier shipped its last unit (the store fulfillment time
is on ``dropship_fulfillments.pushed_at``). No extra column on ``backorders``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class RoutingDecision(Base):
    """One routing decision for one backorder; a new row only when the decision changes."""

    __tablename__ = "routing_decisions"
    __table_args__ = (Index("ix_routing_decisions_backorder", "backorder_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    """dropship | split | wait"""
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="SET NULL"))
    quantity_dropship: Mapped[int] = mapped_column(Integer, default=0)
    quantity_wait: Mapped[int] = mapped_column(Integer, default=0)
    margin_percent: Mapped[float | None] = mapped_column(Numeric(6, 1))
    reasons: Mapped[str] = mapped_column(Text)
    """JSON list of {code, text, passed}."""
    summary: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DropshipOrder(Base):
    """One supplier drop-ship order for (part of) one backordered line."""

    __tablename__ = "dropship_orders"
    __table_args__ = (Index("ix_dropship_orders_shop_status", "shop_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("routing_decisions.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    """Stored before the supplier is called and sent with every call for this order."""
    reference: Mapped[str] = mapped_column(String(100))
    """The connector's reference the supplier sees (order name + line)."""
    sku: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_shipped: Mapped[int] = mapped_column(Integer, default=0)
    unit_cost: Mapped[float | None] = mapped_column(Numeric(12, 2))
    ship_to: Mapped[str] = mapped_column(Text)
    """JSON shipping address and contact (redacted with the customer)."""
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | sending | retry | placed | shipped | rejected | failed"""
    supplier_reference: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DropshipFulfillment(Base):
    """One supplier shipment (parcel) and the store fulfillment made from it."""

    __tablename__ = "dropship_fulfillments"
    __table_args__ = (UniqueConstraint("dropship_order_id", "shipment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    dropship_order_id: Mapped[int] = mapped_column(ForeignKey("dropship_orders.id", ondelete="CASCADE"))
    shipment_id: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | sending | done | failed"""
    store_reference: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FulfillmentHoldRecord(Base):
    """A Shopify fulfillment hold the connector placed on a waiting line (released by its id only)."""

    __tablename__ = "fulfillment_holds"
    __table_args__ = (Index("ix_fulfillment_holds_backorder", "backorder_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    fulfillment_order_id: Mapped[str] = mapped_column(String(100))
    hold_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="held")
    """held | released"""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    """Set on a hold of a whole fulfillment order placed for a "ship together" order (0027): released
    once no line of that order waits, not with its backorder. None: a hold on the backorder's line."""


class DropshipAlert(Base):
    """Something the merchant must know about (supplier rejected, store refused a fulfillment)."""

    __tablename__ = "dropship_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FulfillmentServiceNotification(Base):
    """A ping Shopify sent to ``/shopify/fulfillment_order_notification`` (fulfillment-service mode)."""

    __tablename__ = "fulfillment_service_notifications"
    __table_args__ = (Index("ix_fulfillment_service_notifications_pending", "shop_id", "processed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    """FULFILLMENT_REQUEST | CANCELLATION_REQUEST (as Shopify sent it)"""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
