"""settings audit and job results (issue 14): shop_setting_changes (who changed which setting of a
shop, when, from what to what, through the app, the CLI or the connector) and job_runs.result (what a
finished run returned, summarised as JSON counts for the merchant's Jobs page)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_setting_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("old_default", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_shop_setting_changes_shop_changed", "shop_setting_changes", ["shop_id", "changed_at"])
    op.create_index("ix_shop_setting_changes_shop_key", "shop_setting_changes", ["shop_id", "key", "changed_at"])
    with op.batch_alter_table("job_runs") as batch:
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))
    op.create_index("ix_job_runs_shop_job", "job_runs", ["shop_id", "job", "id"])


def downgrade() -> None:
    op.drop_index("ix_job_runs_shop_job", table_name="job_runs")
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_column("result")
    op.drop_index("ix_shop_setting_changes_shop_key", table_name="shop_setting_changes")
    op.drop_index("ix_shop_setting_changes_shop_changed", table_name="shop_setting_changes")
    op.drop_table("shop_setting_changes")
