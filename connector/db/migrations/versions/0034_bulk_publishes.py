"""Big catalogues publish in-stock dates as a Shopify bulk mutation (issue 17 item 4): ``bulk_publishes``.

One row per bulk publish, each step recorded before the next (file staged, run asked for, operation id),
so a crash never runs the same mutation twice; ``open`` is true while it runs and NULL after, unique per
shop: one bulk publish of a shop at a time.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_publishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=True),
        sa.Column("dates", sa.JSON(), nullable=False),
        sa.Column("line_size", sa.Integer(), nullable=False),
        sa.Column("staged_path", sa.Text(), nullable=True),
        sa.Column("run_asked_at", UTCDateTime(), nullable=True),
        sa.Column("operation_id", sa.String(200), nullable=True),
        sa.Column("operation_status", sa.String(20), nullable=True),
        sa.Column("written", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_bulk_publishes_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_publishes")),
        sa.UniqueConstraint("shop_id", "open", name=op.f("uq_bulk_publishes_shop_id")),
    )


def downgrade() -> None:
    op.drop_table("bulk_publishes")
