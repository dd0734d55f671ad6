"""The customer's choices from the order page (issue 14, migration 0024): how to be told, per order
and customer. Read by connector/notify/evaluate.py when it reserves a customer message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class CustomerPreference(Base):
    """One order's customer's choice of messages (connector/domain/preferences.py Frequency)."""

    __tablename__ = "customer_preferences"
    __table_args__ = (UniqueConstraint("order_id", name="uq_customer_preferences_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    """The order's address when the choice was made: the choice holds for that customer only (a
    changed address on the order means a different customer, who chose nothing yet)."""
    frequency: Mapped[str] = mapped_column(String(20), default="every_change")
    """every_change | when_ships | required_only"""
    kept_waiting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the customer last said on the page that they keep waiting."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
