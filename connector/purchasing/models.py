"""Tables for purchase orders: batched orders to a supplier for the units backorders wait for.

``purchase_orders`` is one order to one supplier; ``purchase_order_lines`` its SKUs (ordered after
the supplier's minimum and case-pack rounding, beside the units the backorders need);
``purchase_order_backorders`` which backorders each line covers and with how many units. A
backorder is covered by at most the units it is short: the purchasing service links only units no
active purchase order covers yet (under the shop lock), and a cancelled or failed order frees its
links. Migration 0018 (issue 13) extended the first two tables (created by 0002) and added the third.

Status of a purchase order::

    draft -> proposed -> approved -> sending -> placed -> partially_received -> received
                    \\-> cancelled            \\-> failed

``proposed`` waits for the merchant (``purchasing.mode = approval``); ``auto`` approves at once.
``sending`` is committed before the supplier is called (with the idempotency key, or for e-mail the
Message-ID in ``dispatch_ref``); a crash there is resolved by reading back, never by a blind resend.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow

ACTIVE_STATUSES = ("draft", "proposed", "approved", "sending", "placed", "partially_received")
"""A purchase order in one of these still covers its backorders' units (received ones have delivered
them; cancelled and failed ones never will)."""
OPEN_AT_SUPPLIER = ("placed", "partially_received")
"""Placed and not fully received: its expected date is a source of the SKUs' in-stock dates."""


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (Index("ix_purchase_orders_shop_status", "shop_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    """draft | proposed | approved | sending | placed | partially_received | received | cancelled | failed"""
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    """Stored when the order is proposed, sent with every call for it (HTTP ``Idempotency-Key``)."""
    expected_date: Mapped[date | None] = mapped_column(Date)
    """The supplier's delivery date, else the day placed + the supplier's lead time."""
    expected_date_source: Mapped[str | None] = mapped_column(String(20))
    """supplier | lead_time"""
    supplier_reference: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # issue 13 (0018)
    channel: Mapped[str | None] = mapped_column(String(10))
    """api | email: how it is sent (the supplier's purchasing terms when proposed)."""
    total_units: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    """Sum of units x unit cost; None when a line's unit cost is unknown."""
    currency: Mapped[str | None] = mapped_column(String(3))
    trigger: Mapped[str | None] = mapped_column(String(30))
    """Which threshold proposed it: min_order_quantity | case_pack | min_order_value | max_wait | manual."""
    reasons: Mapped[str | None] = mapped_column(Text)
    """JSON list of {code, text, passed}: every rule's verdict when it was proposed."""
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    dispatch_ref: Mapped[str | None] = mapped_column(String(255))
    """E-mail route: the Message-ID, stored before the send (a crash after it is never resent blindly)."""
    receipts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Receipts recorded so far (each allocates with reference ``po:<id>:<receipt number>``)."""
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    """Units ordered: the units needed, raised to the supplier's minimum and rounded up to its case pack."""
    # issue 13 (0018)
    supplier_sku: Mapped[str | None] = mapped_column(String(255))
    quantity_needed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Units the linked backorders wait for (the rest of ``quantity`` goes to stock)."""
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    quantity_received: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PurchaseOrderBackorder(Base):
    """Units of one backorder one purchase order line was ordered for."""

    __tablename__ = "purchase_order_backorders"
    __table_args__ = (UniqueConstraint("purchase_order_line_id", "backorder_id"),
                      Index("ix_purchase_order_backorders_backorder", "backorder_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    purchase_order_line_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order_lines.id", ondelete="CASCADE"))
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PurchaseOrderReceipt(Base):
    """Units of one SKU of a purchase order received at once, handed to allocation once
    (``connector.restock.arrivals.units_arrived`` with reference ``po:<order id>:<receipt number>``)."""

    __tablename__ = "purchase_order_receipts"
    __table_args__ = (UniqueConstraint("purchase_order_id", "receipt_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    receipt_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    """supplier (its API said delivered) | feed (a supplier row named the order) | merchant (CLI)"""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When allocation took the units (None: not yet; the next receipt or poll hands them over)."""
