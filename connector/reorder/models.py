"""Tables of reorder advice (migration 0026): the shop's sales per SKU and day, what each order added to
them, and where the history read and the daily fold stand.

``sales_daily`` is what the advice reads (one row per shop, SKU and day in the shop's time zone).
``sales_orders`` is the ledger behind it: the units each order counted, so an order read twice (the
history read resumed, an order both read and captured, a later cancellation or refund) changes the
days by the difference only and never twice. ``sales_history`` is one row per shop: the history read's
progress (cursor, counts) and the watermark of the fold of captured orders. ``reorder_advice`` is the
advice as last computed (connector/reorder/stored.py: after the daily fold, after a history read, on
"recompute now"), one row per shop and SKU, so the app page, the report and the digest read it instead
of computing it per request.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class SalesDaily(Base):
    __tablename__ = "sales_daily"
    __table_args__ = (UniqueConstraint("shop_id", "sku", "day", name="uq_sales_daily_shop_sku_day"),
                      Index("ix_sales_daily_shop_day", "shop_id", "day"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    units: Mapped[int] = mapped_column(Integer, default=0)
    """Units sold that day, net of cancellations, refunds and removals."""
    orders: Mapped[int] = mapped_column(Integer, default=0)
    """Orders that sold the SKU that day."""


class SalesOrder(Base):
    """What one store order added to ``sales_daily``: its day and units per SKU (JSON {sku: units})."""

    __tablename__ = "sales_orders"
    __table_args__ = (UniqueConstraint("shop_id", "platform_order_id", name="uq_sales_orders_shop_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform_order_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    units: Mapped[str] = mapped_column(Text)
    """JSON {sku: units} as counted (empty for a cancelled order)."""
    source: Mapped[str] = mapped_column(String(10))
    """history (the platform's order pages) | captured (the connector's stored order), the last to count it"""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SalesHistory(Base):
    """Per shop: the history read's progress and the captured-orders watermark."""

    __tablename__ = "sales_history"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="none")
    """none | running | done | failed"""
    cursor: Mapped[str | None] = mapped_column(Text)
    """Where the next page of the history read starts (the platform's cursor); None: from the beginning."""
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The history read covers orders created before this (when it started); captured orders do the rest."""
    pages: Mapped[int] = mapped_column(Integer, default=0)
    orders_read: Mapped[int] = mapped_column(Integer, default=0)
    orders_total: Mapped[int | None] = mapped_column(Integer)
    """How many orders the platform says the read covers, when it says (for progress)."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    folded_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Captured orders updated (platform time) up to this have been folded into ``sales_daily``."""
    folded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    advice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the advice in ``reorder_advice`` was computed (None: never; a shop with no SKU stores no rows)."""
    advice_for: Mapped[date | None] = mapped_column(Date)
    """The shop's date the stored advice was computed for (its "today")."""


class StoredAdvice(Base):
    """One SKU's advice as last computed (connector.domain.reorder.Advice, every field), with its place in
    the page's two computed orders: ``urgency_rank`` (most urgent first, ``sort_advice``) and ``date_rank``
    (earliest reorder-by date first, the undated after them in urgency order). The SKU order is the
    unique (shop, SKU) index."""

    __tablename__ = "reorder_advice"
    __table_args__ = (UniqueConstraint("shop_id", "sku", name="uq_reorder_advice_shop_sku"),
                      Index("ix_reorder_advice_shop_urgency", "shop_id", "urgency_rank"),
                      Index("ix_reorder_advice_shop_date", "shop_id", "date_rank"),
                      Index("ix_reorder_advice_shop_status", "shop_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(30))
    urgency_rank: Mapped[int] = mapped_column(Integer)
    date_rank: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[float | None] = mapped_column(Float)
    reorder_by: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[int | None] = mapped_column(Integer)
    reorder_point: Mapped[int | None] = mapped_column(Integer)
    safety_stock: Mapped[int | None] = mapped_column(Integer)
    on_hand: Mapped[int | None] = mapped_column(Integer)
    on_order: Mapped[int] = mapped_column(Integer, default=0)
    history_days: Mapped[int] = mapped_column(Integer)
    daily_rate: Mapped[float | None] = mapped_column(Float)
    trend: Mapped[float | None] = mapped_column(Float)
    weekday_factors: Mapped[str | None] = mapped_column(Text)
    """JSON list of seven factors, Monday first; None: no weekly pattern."""
    lead_time_days: Mapped[float | None] = mapped_column(Float)
    lead_time_spread: Mapped[float | None] = mapped_column(Float)
    lead_time_source: Mapped[str | None] = mapped_column(String(20))
    supplier: Mapped[str | None] = mapped_column(String(255))
    reasons: Mapped[str] = mapped_column(Text)
    """JSON list of [code, text, passed], in the advice's order (the last decided the status)."""
    as_of: Mapped[date] = mapped_column(Date)
    """The shop's date the advice was computed for."""
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
