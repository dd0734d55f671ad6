"""The settings audit trail: one row per change of a shop's setting (connector/shop_settings.py writes it
in the same transaction as the setting itself, whoever changes it: the app, the CLI or the connector)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow

CHANGE_SOURCES = ("app", "cli", "system")
"""Where a change came from: the merchant's app, `connector shops set`, or the connector itself
(enabling the fulfillment service records its ids, the demos)."""


class ShopSettingChange(Base):
    __tablename__ = "shop_setting_changes"
    __table_args__ = (
        Index("ix_shop_setting_changes_shop_changed", "shop_id", "changed_at"),
        Index("ix_shop_setting_changes_shop_key", "shop_id", "key", "changed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    """The value before (the default when the shop had none stored: ``old_default`` says so); a secret
    setting's values are never kept here, only a redacted mark."""
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    old_default: Mapped[bool] = mapped_column(default=False)
    """True when the old value was the declared default (nothing stored for the shop yet)."""
    actor: Mapped[str] = mapped_column(String(200))
    """Who: a Shopify user (``shopify:<user id>``), a WooCommerce user, ``cli:<os user>``, ``connector``."""
    source: Mapped[str] = mapped_column(String(20))
    """app | cli | system (CHANGE_SOURCES)."""
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
