"""Job runs: one row per durable one-off job, so a sweeper can queue again what was never finished.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=True),
        sa.Column("dedupe_key", sa.String(400), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requeues", sa.Integer(), nullable=False),
        sa.Column("enqueued_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_job_runs_dedupe_key")),
    )
    op.create_index("ix_job_runs_status_due", "job_runs", ["status", "due_at"])
    op.create_index("ix_job_runs_status_finished", "job_runs", ["status", "finished_at"])
    op.create_index(op.f("ix_job_runs_shop_id"), "job_runs", ["shop_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_runs_shop_id"), table_name="job_runs")
    op.drop_index("ix_job_runs_status_finished", table_name="job_runs")
    op.drop_index("ix_job_runs_status_due", table_name="job_runs")
    op.drop_table("job_runs")
