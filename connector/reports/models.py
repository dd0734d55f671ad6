"""Tables of the reports feature (migration 0025): the weekly KPI digest's ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class KpiDigest(Base):
    """One weekly digest of one shop: its row is written (``sending``) before the e-mail goes out, so a
    retry, a second worker or a second tick in the same ISO week never sends it again. ``sent`` once the
    mailer accepted it; ``failed`` when the mailer certainly did not send it (then the next tick that week
    tries again); a row left ``sending`` (the process died, or delivery is uncertain) is not retried."""

    __tablename__ = "kpi_digests"
    __table_args__ = (UniqueConstraint("shop_id", "week", name="uq_kpi_digests_shop_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))
    """ISO week, ``2026-W49``: the dedupe key with the shop."""
    status: Mapped[str] = mapped_column(String(20), default="sending")
    """sending | sent | failed"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CodeRedemption(Base):
    """A consolation code (notify's ``discount_codes``) seen on an order the store sent us: the customer used
    it. Recorded at capture from the order's own discount codes (Shopify ``discount_codes``, WooCommerce
    ``coupon_lines``), once per code."""

    __tablename__ = "consolation_redemptions"
    __table_args__ = (UniqueConstraint("discount_code_id", name="uq_consolation_redemptions_discount_code_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    discount_code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    """The order that used it (not the backordered one the code was given for)."""
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When that order was placed."""
