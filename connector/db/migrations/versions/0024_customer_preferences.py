"""customer preferences (issue 14): customer_preferences, how the customer of one order wants to be
told (every change, only when it ships, only what the law requires), set on the customer's page

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_preferences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("frequency", sa.String(20), nullable=False),
        sa.Column("kept_waiting_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("order_id", name="uq_customer_preferences_order"),
    )
    op.create_index("ix_customer_preferences_shop_id", "customer_preferences", ["shop_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_preferences_shop_id", table_name="customer_preferences")
    op.drop_table("customer_preferences")
