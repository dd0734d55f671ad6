"""Tables for restock allocation (migration 0017).

- ``allocations``: who got what. One row per (backorder, arrival): units of arriving stock set aside
  for a waiting backorder, from which source ('store_stock' | 'purchase_order' | 'supplier_stock')
  and under which reference (the arrival's idempotency key). Unique (backorder_id, source, reference),
  so re-processing an arrival allocates nothing twice. Kept cheap to write: no foreign key (0030
  dropped the shop's, 0036 the backorder's: the statement that writes the rows checks their backorders,
  ``RestockRepository.write_allocations``, and a trigger on ``backorders`` deletes a deleted backorder's
  allocations) and three indexes (primary key, the unique key, shop + source).
- ``stock_arrivals``: every arrival processed, even one that found nobody waiting: unique
  (shop_id, source, reference) is the idempotency key of ``units_arrived``.
- ``stock_positions``: per stock position, the units in hand for its open order lines the last time it
  was evaluated (``in_hand``); an arrival is an increase of that absolute figure, never a delta a
  webhook carries, so two evaluations of the same level allocate once. ``credit``: the position's
  purchase-order balance. Positive: units allocated from a purchase-order receipt that the store's count
  does not show yet; the store's next increase consumes it before anything is allocated again.
  Negative: units the store counted in while units of the SKU were on order and no receipt named yet
  (at most the units on order); the next receipt of the SKU is matched against them first.

Columns on core tables (connector/db/models.py, 0017): ``backorders.quantity_allocated``,
``backorders.allocated_at``, ``orders.tags``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow

SOURCES = ("store_stock", "purchase_order", "supplier_stock")
"""Where allocated units come from."""


class Allocation(Base):
    """Units of one arrival set aside for one waiting backorder."""

    __tablename__ = "allocations"
    __table_args__ = (
        UniqueConstraint("backorder_id", "source", "reference"),
        Index("ix_allocations_shop_source", "shop_id", "source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(Integer)
    """The backorder's shop (no foreign key of its own since 0030: the backorder's implies it, and a
    shop's deletion reaches its allocations through its backorders)."""
    backorder_id: Mapped[int] = mapped_column(Integer)
    """A backorder of the shop. No foreign key since 0036 (its check per row was half the cost of an
    allocation's insert): ``RestockRepository.write_allocations`` refuses a row whose backorder its UPDATE
    did not find, and the trigger ``tr_backorders_delete_allocations`` deletes a backorder's allocations
    with it (its own deletion or its order's, line's or shop's cascade). The unique key (backorder_id,
    source, reference) leads with it: lookups by backorder use that."""
    quantity: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(30))
    """store_stock | purchase_order | supplier_stock"""
    reference: Mapped[str] = mapped_column(String(255))
    """The arrival's idempotency key (``stock_arrivals.reference``)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockArrival(Base):
    """One arrival of units, processed once."""

    __tablename__ = "stock_arrivals"
    __table_args__ = (UniqueConstraint("shop_id", "source", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    stock_key: Mapped[str | None] = mapped_column(String(64))
    units: Mapped[int] = mapped_column(Integer)
    """Units that arrived."""
    units_allocated: Mapped[int] = mapped_column(Integer, default=0)
    """Of those, units set aside for waiting backorders."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockPosition(Base):
    """What the connector last knew of one stock position with open lines."""

    __tablename__ = "stock_positions"
    __table_args__ = (UniqueConstraint("shop_id", "stock_key"),
                      Index("ix_stock_positions_item", "shop_id", "inventory_item_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    stock_key: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(255))
    inventory_item_id: Mapped[str | None] = mapped_column(String(64))
    """Shopify's InventoryItem id (numeric) of the variant, to map inventory_levels/update to it."""
    available: Mapped[int | None] = mapped_column(BigInteger)
    """The store's available units at the last evaluation (negative: oversold). 64-bit: a store oversold
    by an absurd order (quantities are refused past 2^31-1 per line, not per position) reports any level."""
    in_hand: Mapped[int | None] = mapped_column(BigInteger)
    """Units in hand for the position's open lines then: their claimed units minus the shortage."""
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    """Purchase-order balance: > 0, units allocated from receipts that the store's count does not show
    yet; < 0, units the store counted in while on order that no receipt named yet."""
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    store_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The newest store ``updated_at`` seen for it (an older webhook is stale)."""
