"""Allocation of arriving stock (issue 13 item 2): who got what, arrivals processed once, and the
last known units in hand per stock position.

- ``backorders.quantity_allocated`` (default 0) and ``backorders.allocated_at``: units of arriving
  stock set aside for a waiting backorder (status 'allocated' once they cover it).
- ``orders.tags``: the store order's tags, read for the merchant's priority tags.
- ``allocations``: one row per (backorder, source, reference), unique.
- ``stock_arrivals``: one row per (shop, source, reference), unique: the idempotency key of an arrival.
- ``stock_positions``: per (shop, stock key) the units in hand at the last evaluation and the
  purchase-order credit (see connector/restock/models.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _shop() -> sa.Column:
    return sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("backorders") as batch_op:
        batch_op.add_column(sa.Column("quantity_allocated", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("allocated_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("tags", sa.Text(), nullable=True))
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), primary_key=True), _shop(),
        sa.Column("backorder_id", sa.Integer(), sa.ForeignKey("backorders.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("backorder_id", "source", "reference",
                            name="uq_allocations_backorder_id"),
    )
    op.create_index("ix_allocations_backorder_id", "allocations", ["backorder_id"])
    op.create_index("ix_allocations_shop_reference", "allocations", ["shop_id", "source", "reference"])
    op.create_table(
        "stock_arrivals",
        sa.Column("id", sa.Integer(), primary_key=True), _shop(),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("sku", sa.String(255), nullable=True),
        sa.Column("stock_key", sa.String(64), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("units_allocated", sa.Integer(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "source", "reference", name="uq_stock_arrivals_shop_id"),
    )
    op.create_table(
        "stock_positions",
        sa.Column("id", sa.Integer(), primary_key=True), _shop(),
        sa.Column("stock_key", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(255), nullable=True),
        sa.Column("inventory_item_id", sa.String(64), nullable=True),
        sa.Column("available", sa.BigInteger(), nullable=True),
        sa.Column("in_hand", sa.BigInteger(), nullable=True),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("evaluated_at", UTCDateTime(), nullable=True),
        sa.Column("store_updated_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("shop_id", "stock_key", name="uq_stock_positions_shop_id"),
    )
    op.create_index("ix_stock_positions_item", "stock_positions", ["shop_id", "inventory_item_id"])


def downgrade() -> None:
    op.drop_index("ix_stock_positions_item", table_name="stock_positions")
    op.drop_table("stock_positions")
    op.drop_table("stock_arrivals")
    op.drop_index("ix_allocations_shop_reference", table_name="allocations")
    op.drop_index("ix_allocations_backorder_id", table_name="allocations")
    op.drop_table("allocations")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("tags")
    with op.batch_alter_table("backorders") as batch_op:
        batch_op.drop_column("allocated_at")
        batch_op.drop_column("quantity_allocated")
