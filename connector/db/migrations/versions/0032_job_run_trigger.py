"""Who started a job run (issue 14 item 3, the Jobs page): ``job_runs.trigger``.

"schedule" (the clock), "run now" (the app's Jobs page), "cli" (`connector jobs run`), "webhook" (while
a store event was processed) or "after <job reference>" (a follow-up another run asked for); NULL for
runs recorded before this column, or asked for by the connector after a change outside any job.
Retries and the sweeper's re-deliveries keep their run's row, so its trigger stays the first one.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.add_column(sa.Column("trigger", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:
        batch.drop_column("trigger")
