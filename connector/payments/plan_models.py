"""Tables of the connector's selling plan group (deferred purchase options on Shopify, issue 13 item 4a).

One ``selling_plan_groups`` row per shop: the group the connector made in the store (its id and its one
selling plan's id), and a digest of the settings it was last written with, so a changed setting is an
update and an unchanged one is nothing. ``selling_plan_variants`` lists the variants the connector last
attached to it: what ``connector payments plans`` shows; the store's own list is read back on every sync
and is the truth when the two disagree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class SellingPlanGroupRow(Base):
    """The shop's pre-order selling plan group as the connector last wrote it."""

    __tablename__ = "selling_plan_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    group_id: Mapped[str | None] = mapped_column(String(255))
    """``gid://shopify/SellingPlanGroup/<n>``; None: none in the store (never made, deleted, or turned off)."""
    plan_id: Mapped[str | None] = mapped_column(String(255))
    """The group's one selling plan (``gid://shopify/SellingPlan/<n>``): what order lines bought under it name."""
    settings_digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the plan as last written (connector/domain/selling_plans.py ``PlanSpec.digest``)."""
    settings: Mapped[str | None] = mapped_column(Text)
    """That plan as JSON, for display."""
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SellingPlanVariant(Base):
    """A variant the connector attached to its group (sold on backorder: a date and CONTINUE)."""

    __tablename__ = "selling_plan_variants"
    __table_args__ = (UniqueConstraint("shop_id", "variant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    variant_id: Mapped[str] = mapped_column(String(64))
    """The store's numeric variant id (as ``store_skus.variant_id``)."""
    sku: Mapped[str | None] = mapped_column(String(255))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
