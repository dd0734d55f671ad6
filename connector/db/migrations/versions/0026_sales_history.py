"""sales history (issue 15): sales_daily (units and orders per shop, SKU and day), sales_orders (what each
order counted, so re-reads and cancellations change the days by the difference) and sales_history (the
history read's progress and the captured-orders watermark, and when the stored advice was computed) and
reorder_advice (each SKU's advice as last computed, indexed for the app page's sorts); see
connector/reorder/models.py

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales_daily",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sku", sa.String(255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.UniqueConstraint("shop_id", "sku", "day", name="uq_sales_daily_shop_sku_day"),
    )
    op.create_index("ix_sales_daily_shop_day", "sales_daily", ["shop_id", "day"])
    op.create_table(
        "sales_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("platform_order_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("units", sa.Text(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "platform_order_id", name="uq_sales_orders_shop_order"),
    )
    op.create_table(
        "sales_history",
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("until", UTCDateTime(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("orders_read", sa.Integer(), nullable=False),
        sa.Column("orders_total", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("folded_until", UTCDateTime(), nullable=True),
        sa.Column("folded_at", UTCDateTime(), nullable=True),
        sa.Column("advice_at", UTCDateTime(), nullable=True),
        sa.Column("advice_for", sa.Date(), nullable=True),
    )
    op.create_table(
        "reorder_advice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sku", sa.String(255), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("urgency_rank", sa.Integer(), nullable=False),
        sa.Column("date_rank", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.Float(), nullable=True),
        sa.Column("reorder_by", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("reorder_point", sa.Integer(), nullable=True),
        sa.Column("safety_stock", sa.Integer(), nullable=True),
        sa.Column("on_hand", sa.Integer(), nullable=True),
        sa.Column("on_order", sa.Integer(), nullable=False),
        sa.Column("history_days", sa.Integer(), nullable=False),
        sa.Column("daily_rate", sa.Float(), nullable=True),
        sa.Column("trend", sa.Float(), nullable=True),
        sa.Column("weekday_factors", sa.Text(), nullable=True),
        sa.Column("lead_time_days", sa.Float(), nullable=True),
        sa.Column("lead_time_spread", sa.Float(), nullable=True),
        sa.Column("lead_time_source", sa.String(20), nullable=True),
        sa.Column("supplier", sa.String(255), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "sku", name="uq_reorder_advice_shop_sku"),
    )
    op.create_index("ix_reorder_advice_shop_urgency", "reorder_advice", ["shop_id", "urgency_rank"])
    op.create_index("ix_reorder_advice_shop_date", "reorder_advice", ["shop_id", "date_rank"])
    op.create_index("ix_reorder_advice_shop_status", "reorder_advice", ["shop_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_reorder_advice_shop_status", table_name="reorder_advice")
    op.drop_index("ix_reorder_advice_shop_date", table_name="reorder_advice")
    op.drop_index("ix_reorder_advice_shop_urgency", table_name="reorder_advice")
    op.drop_table("reorder_advice")
    op.drop_table("sales_history")
    op.drop_table("sales_orders")
    op.drop_index("ix_sales_daily_shop_day", table_name="sales_daily")
    op.drop_table("sales_daily")
