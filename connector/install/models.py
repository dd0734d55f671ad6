"""Install-time tables: OAuth states, pending WooCommerce connects, subscriptions, data exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class OAuthState(Base):
    """A one-time ``state`` handed to Shopify's authorize page; consumed by the callback.

    ``shop_id`` is NULL until the shop row exists (the shop is created by the callback);
    the state is bound to the shop domain it was issued for.
    """

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    shop_domain: Mapped[str] = mapped_column(String(255))
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the state (the state itself is a bearer secret; only its digest is stored)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingConnect(Base):
    """A WooCommerce connect in progress: the unguessable one-time ``user_id`` sent to wc-auth."""

    __tablename__ = "pending_connects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    store_url: Mapped[str] = mapped_column(String(255))
    user_id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(40))
    """connected | rejected: <reason>"""


class WebhookSubscription(Base):
    """A webhook subscription the connector created on the store (Shopify or WooCommerce)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (UniqueConstraint("shop_id", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    remote_id: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="active")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    repairs: Mapped[int] = mapped_column(Integer, default=0)


class DataExport(Base):
    """A customers/data_request export: JSON of everything stored about one customer."""

    __tablename__ = "data_exports"
    __table_args__ = (UniqueConstraint("shop_id", "request_id"),
                      Index("ix_data_exports_shop_created", "shop_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(64))
    customer_ref: Mapped[str] = mapped_column(String(64))
    """The platform's customer id (no personal data)."""
    content: Mapped[str] = mapped_column(Text)
    """The export JSON. Personal data: erased by customers/redact and shop/redact."""
    download_token_hash: Mapped[str] = mapped_column(String(64))
    emailed_to: Mapped[str | None] = mapped_column(String(320))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the SMTP server accepted the export's e-mail; set, the e-mail job sends nothing (0011)."""
    link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the e-mailed download link stops opening; fixed when the link is first made (0015)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
