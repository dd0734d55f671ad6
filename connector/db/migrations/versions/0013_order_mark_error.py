"""Per-order store-mark failures: why the store refused to mark an order, and when.

``orders.mark_error`` holds the store's refusal (a deleted order, a permission the app lacks, a
user error) once connector/services/marks.py gave up on that order; ``orders.mark_error_at`` when.
Both are cleared when a later mark of the order succeeds. Nullable: existing orders have none.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("mark_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("mark_error_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("mark_error_at")
        batch_op.drop_column("mark_error")
