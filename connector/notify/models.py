"""Tables for telling: customer messages, delay-notice decisions, consolation codes, pile-up alerts.

Exactly once: a message row is reserved (unique backorder, kind, date) and committed BEFORE the
SMTP call; a discount code row (unique per order, with its idempotency key) is committed BEFORE the
store call. See connector/notify/evaluate.py for the states.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class NotifyState(Base):
    """Per backorder: the promise the FTC rule holds us to and the last date the customer was told."""

    __tablename__ = "notify_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"), unique=True)
    shipping_promise: Mapped[date] = mapped_column(Date)
    checkout_stated: Mapped[bool] = mapped_column(Boolean, default=False)
    initial_decided: Mapped[bool] = mapped_column(Boolean, default=False)
    last_told: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    """One customer (or merchant) message: reserved, then sent once, with its outcome."""

    __tablename__ = "notify_messages"
    __table_args__ = (
        UniqueConstraint("backorder_id", "kind", "date_key"),
        Index("ix_notify_messages_shop_status", "shop_id", "status"),
        Index("ix_notify_messages_shop_id_id", "shop_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    date_key: Mapped[str] = mapped_column(String(20))
    """The date the message is about (YYYY-MM-DD) or "unknown"."""
    recipient: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | sending | sent | failed | uncertain | suppressed"""
    outcome: Mapped[str | None] = mapped_column(Text)
    """Why it was sent or withheld, in words."""
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    discount_code: Mapped[str | None] = mapped_column(String(100))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("delay_decisions.id", ondelete="SET NULL"))
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a sender took it for the SMTP call (status sending)."""
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body_text: Mapped[str | None] = mapped_column(Text)
    """The text part as it was last built for sending (0023), for the merchant's message log."""
    language: Mapped[str | None] = mapped_column(String(10))
    """The language it was written in (0023): "en", "nl"."""


class DelayDecision(Base):
    """One FTC delay notice's offer: the signed link's nonce, the deadline and the customer's answer."""

    __tablename__ = "delay_decisions"
    __table_args__ = (Index("ix_delay_decisions_backorder", "backorder_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    notified_date: Mapped[date | None] = mapped_column(Date)
    consent_required: Mapped[bool] = mapped_column(Boolean)
    deadline: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(String(20))
    """None | wait | cancel"""
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(40))
    """None | kept | cancelling | cancelled | cancel_failed | escalated"""
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DiscountCode(Base):
    """A consolation code: at most one per order; the idempotency key is stored before the store call."""

    __tablename__ = "discount_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    """percentage | free_shipping"""
    amount: Mapped[float | None] = mapped_column(Numeric(8, 2))
    status: Mapped[str] = mapped_column(String(20), default="reserved")
    """reserved | created | failed"""
    platform_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PileupAlert(Base):
    """One crossing of a pile-up threshold for one SKU; cleared when it falls back below."""

    __tablename__ = "pileup_alerts"
    __table_args__ = (
        Index("ix_pileup_alerts_open", "shop_id", "sku", "threshold", unique=True,
              sqlite_where=text("cleared_at IS NULL"), postgresql_where=text("cleared_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(255))
    threshold: Mapped[str] = mapped_column(String(20))
    """count | age_days | value"""
    limit_value: Mapped[float] = mapped_column(Numeric(14, 2))
    observed: Mapped[float] = mapped_column(Numeric(14, 2))
    crossed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | sending | sent | failed | uncertain"""
    channels: Mapped[str | None] = mapped_column(String(100))
    """Where it went: "email", "slack", "email,slack"."""
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageTemplate(Base):
    """The merchant's own wording of one message kind in one language (0023): Jinja source of the
    subject, the text body and the "what we are doing about it" paragraph, rendered in a sandbox
    (connector/notify/templates.py). No row: the shipped default is used."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    doing: Mapped[str] = mapped_column(Text, default="", server_default="")
    actor: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
