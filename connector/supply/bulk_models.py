"""One bulk publish of in-stock dates (a Shopify bulk mutation) and each step of it, recorded before the
next is taken, so that a crash never runs the same mutation twice (connector/supply/publish_bulk.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class BulkPublish(Base):
    """staging (file made; ``run_asked_at`` once the run was asked for) -> running (``operation_id`` known)
    -> done | failed. At most one open (staging or running) per shop: ``open`` is True while it is, NULL
    after, under a unique (shop_id, open)."""

    __tablename__ = "bulk_publishes"
    __table_args__ = (UniqueConstraint("shop_id", "open"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="staging")
    open: Mapped[bool | None] = mapped_column(Boolean, default=True)
    dates: Mapped[list[list[str]]] = mapped_column(JSON)
    """[[sku, ISO date], ...] in file order: line n of the results is dates[n * line_size:(n + 1) * line_size]."""
    line_size: Mapped[int] = mapped_column(Integer)
    staged_path: Mapped[str | None] = mapped_column(Text)
    run_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set (and committed) just before the run is asked for: after a crash the run may have happened."""
    operation_id: Mapped[str | None] = mapped_column(String(200))
    operation_status: Mapped[str | None] = mapped_column(String(20))
    written: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
