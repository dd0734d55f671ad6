"""The merchant app's table: one-time nonces of signed app links (migration 0021).

A WooCommerce app link is recorded when minted (``purpose`` ``woocommerce_enter``) and taken by a
single conditional UPDATE when opened, so a link opens once. Other signed, single-use requests into
the app (the WordPress plugin's calls) record their nonce when first seen with ``use_nonce``: a
replay finds the row already there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class AppLink(Base):
    """A single-use nonce of a signed link or request, bound to one shop and one purpose."""

    __tablename__ = "app_links"
    __table_args__ = (Index("ix_app_links_expires", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the nonce (the nonce is part of a bearer link; only its digest is stored)."""
    actor: Mapped[str | None] = mapped_column(String(255))
    """Who the link was minted for ("woocommerce:<user id>:<login>"), for audit trails."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
