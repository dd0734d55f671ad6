"""kpis (issue 15): kpi_digests, the weekly KPI digest's ledger (one row per shop and ISO week, written
before the e-mail is sent), and consolation_redemptions (consolation codes seen on captured orders); see
connector/reports/models.py

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_digests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("shop_id", "week", name="uq_kpi_digests_shop_week"),
    )
    op.create_table(
        "consolation_redemptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("discount_code_id", sa.Integer(), sa.ForeignKey("discount_codes.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("redeemed_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("discount_code_id", name="uq_consolation_redemptions_discount_code_id"),
    )
    op.create_index("ix_consolation_redemptions_shop_id", "consolation_redemptions", ["shop_id"])


def downgrade() -> None:
    op.drop_index("ix_consolation_redemptions_shop_id", table_name="consolation_redemptions")
    op.drop_table("consolation_redemptions")
    op.drop_table("kpi_digests")
