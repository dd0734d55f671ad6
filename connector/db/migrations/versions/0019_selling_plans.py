"""selling plans: the shop's pre-order selling plan group and the variants attached to it (issue 13 item 4a)

``selling_plan_groups`` (one per shop: store group and plan ids, the digest of the settings last
written) and ``selling_plan_variants`` (unique per shop and variant). Models in
connector/payments/plan_models.py; nothing existing changes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "selling_plan_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("group_id", sa.String(255), nullable=True),
        sa.Column("plan_id", sa.String(255), nullable=True),
        sa.Column("settings_digest", sa.String(64), nullable=True),
        sa.Column("settings", sa.Text(), nullable=True),
        sa.Column("synced_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", name=op.f("uq_selling_plan_groups_shop_id")),
    )
    op.create_table(
        "selling_plan_variants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("variant_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(255), nullable=True),
        sa.Column("attached_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "variant_id", name=op.f("uq_selling_plan_variants_shop_id")),
    )


def downgrade() -> None:
    op.drop_table("selling_plan_variants")
    op.drop_table("selling_plan_groups")
