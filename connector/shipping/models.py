"""Tables for closing backorders when their units ship (migration 0016).

A backorder waits (``open``, or ``allocated`` once restock units are set aside) until its units
ship. Each shipment event that covers backordered units is one ``backorder_shipments`` row; the
backorder's ``quantity_shipped`` is their sum, and once it covers ``quantity_backordered`` the
backorder is ``fulfilled`` with ``closed_at`` and ``fulfilled_via`` (columns on ``backorders``,
declared in connector/db/models.py). Payments read these rows to capture or charge what shipped.

Columns added to core tables by 0016 (declared on the core models):
- ``backorders.quantity_shipped``, ``backorders.fulfilled_via``
- ``order_lines.quantity_fulfilled``, ``order_lines.unit_price``
- ``orders.currency``
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime

VIA_MERCHANT = "merchant"
"""The merchant fulfilled the units in the store (Shopify fulfillment, WooCommerce completed/tracking)."""
VIA_DROPSHIP = "dropship"
"""The supplier shipped the units straight to the customer (connector/dropship)."""
VIA_ALLOCATION = "allocation"
"""The units were set aside from arriving stock (``allocated``) and the store then shipped them."""
VIA_SUPPLIER = "supplier"
"""The supplier's warehouse shipped them for a merchant who ships from it."""
VIAS = (VIA_MERCHANT, VIA_DROPSHIP, VIA_ALLOCATION, VIA_SUPPLIER)


class BackorderShipment(Base):
    """One shipment event that covered units of one backorder (deduplicated per reference)."""

    __tablename__ = "backorder_shipments"
    __table_args__ = (
        UniqueConstraint("backorder_id", "reference"),
        Index("ix_backorder_shipments_shop_shipped", "shop_id", "shipped_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    backorder_id: Mapped[int] = mapped_column(ForeignKey("backorders.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    """Backordered units this event shipped."""
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When they shipped (the store's fulfillment time when known, else when the connector saw it)."""
    via: Mapped[str] = mapped_column(String(20))
    """merchant | dropship | allocation | supplier (see VIAS)."""
    reference: Mapped[str] = mapped_column(String(255))
    """What makes the event unique for this backorder: ``fulfillment:<store fulfillment id>``,
    ``shipped:<cumulative units>`` when only the line's fulfilled count is known, or
    ``dropship:<shipment id>``. The same event seen twice (webhook and reconciliation) is one row."""
