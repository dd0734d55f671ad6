"""Purchase orders batched to the supplier's minimum (issue 13 item 3).

Extends ``purchase_orders`` (created by 0002, never written before) with what a proposed, approved,
sent and received order needs: channel, totals and currency, the threshold that proposed it and
every rule's reasons, who approved it and when, send attempts and the last error, the e-mail
Message-ID stored before a send (``dispatch_ref``), receipts, and the source of its expected date.
Extends ``purchase_order_lines`` with the supplier's SKU, the units the backorders need beside the
units ordered (``quantity``, after minimum and case-pack rounding), the unit cost and the units
received. Adds ``purchase_order_backorders`` (which backorders each line covers, with how many
units) and ``purchase_order_receipts`` (units of one SKU received at once, and when allocation took
them). See connector/purchasing/models.py.

Existing rows keep their values; new counters start at 0.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ORDER_COLUMNS = (
    ("expected_date_source", sa.String(20)),
    ("channel", sa.String(10)),
    ("total_value", sa.Numeric(14, 2)),
    ("currency", sa.String(3)),
    ("trigger", sa.String(30)),
    ("reasons", sa.Text()),
    ("approved_by", sa.String(100)),
    ("approved_at", UTCDateTime()),
    ("sent_at", UTCDateTime()),
    ("next_attempt_at", UTCDateTime()),
    ("last_error", sa.Text()),
    ("dispatch_ref", sa.String(255)),
    ("received_at", UTCDateTime()),
    ("cancelled_at", UTCDateTime()),
    ("updated_at", UTCDateTime()),
)
ORDER_COUNTERS = ("total_units", "send_attempts", "receipts")
LINE_COLUMNS = (("supplier_sku", sa.String(255)), ("unit_cost", sa.Numeric(12, 2)))
LINE_COUNTERS = ("quantity_needed", "quantity_received")


def upgrade() -> None:
    with op.batch_alter_table("purchase_orders") as batch_op:
        for name, kind in ORDER_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        for name in ORDER_COUNTERS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_purchase_orders_shop_status", ["shop_id", "status"], unique=False)
    with op.batch_alter_table("purchase_order_lines") as batch_op:
        for name, kind in LINE_COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        for name in LINE_COUNTERS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "purchase_order_backorders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_line_id", sa.Integer(), nullable=False),
        sa.Column("backorder_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_purchase_order_backorders_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["purchase_order_line_id"], ["purchase_order_lines.id"],
                                name="fk_purchase_order_backorders_line",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["backorder_id"], ["backorders.id"],
                                name="fk_purchase_order_backorders_backorder", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_backorders")),
        sa.UniqueConstraint("purchase_order_line_id", "backorder_id",
                            name="uq_purchase_order_backorders_line"),
    )
    op.create_index("ix_purchase_order_backorders_shop_id", "purchase_order_backorders", ["shop_id"])
    op.create_index("ix_purchase_order_backorders_backorder", "purchase_order_backorders", ["backorder_id"])
    op.create_table(
        "purchase_order_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("receipt_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("allocated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_purchase_order_receipts_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["purchase_order_id"], ["purchase_orders.id"],
                                name="fk_purchase_order_receipts_purchase_order", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_receipts")),
        sa.UniqueConstraint("purchase_order_id", "receipt_no", name="uq_purchase_order_receipts_number"),
    )
    op.create_index("ix_purchase_order_receipts_shop_id", "purchase_order_receipts", ["shop_id"])


def downgrade() -> None:
    op.drop_index("ix_purchase_order_receipts_shop_id", table_name="purchase_order_receipts")
    op.drop_table("purchase_order_receipts")
    op.drop_index("ix_purchase_order_backorders_backorder", table_name="purchase_order_backorders")
    op.drop_index("ix_purchase_order_backorders_shop_id", table_name="purchase_order_backorders")
    op.drop_table("purchase_order_backorders")
    with op.batch_alter_table("purchase_order_lines") as batch_op:
        for name in reversed(LINE_COUNTERS):
            batch_op.drop_column(name)
        for name, _ in reversed(LINE_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("purchase_orders") as batch_op:
        batch_op.drop_index("ix_purchase_orders_shop_status")
        for name in reversed(ORDER_COUNTERS):
            batch_op.drop_column(name)
        for name, _ in reversed(ORDER_COLUMNS):
            batch_op.drop_column(name)
