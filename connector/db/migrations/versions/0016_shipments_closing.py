"""shipments closing: backorders close when their units ship (issue 13 item 1).

Adds ``backorders.quantity_shipped`` (units shipped so far) and ``backorders.fulfilled_via``
(merchant | dropship | allocation | supplier), ``order_lines.quantity_fulfilled`` (units the store
reports shipped) and ``order_lines.unit_price`` (per unit after line discounts), ``orders.currency``,
and the ``backorder_shipments`` table: one row per shipment event that covered backordered units,
unique per (backorder, reference). See connector/shipping/models.py.

Existing rows: quantities start at 0 and prices/currency unknown (NULL); backorders already
``fulfilled`` by drop-ship before this revision get ``fulfilled_via = 'dropship'`` (drop-ship was
the only path that closed a backorder) and ``quantity_shipped = quantity_backordered``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("backorders") as batch_op:
        batch_op.add_column(sa.Column("quantity_shipped", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("fulfilled_via", sa.String(20), nullable=True))
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.add_column(sa.Column("quantity_fulfilled", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("unit_price", sa.Numeric(12, 2), nullable=True))
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("currency", sa.String(3), nullable=True))
    op.execute("UPDATE backorders SET fulfilled_via = 'dropship', quantity_shipped = quantity_backordered "
               "WHERE status = 'fulfilled'")
    op.create_table(
        "backorder_shipments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("backorder_id", sa.Integer(), sa.ForeignKey("backorders.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("shipped_at", UTCDateTime(), nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.UniqueConstraint("backorder_id", "reference", name=op.f("uq_backorder_shipments_backorder_id")),
    )
    op.create_index("ix_backorder_shipments_shop_shipped", "backorder_shipments", ["shop_id", "shipped_at"])


def downgrade() -> None:
    op.drop_index("ix_backorder_shipments_shop_shipped", table_name="backorder_shipments")
    op.drop_table("backorder_shipments")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("currency")
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.drop_column("unit_price")
        batch_op.drop_column("quantity_fulfilled")
    with op.batch_alter_table("backorders") as batch_op:
        batch_op.drop_column("fulfilled_via")
        batch_op.drop_column("quantity_shipped")
