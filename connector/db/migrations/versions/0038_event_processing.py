"""Issue 17 item 1 (processing cost): a partial index for claiming a shop's pending events as a batch.

A job that processes one stored event takes the other pending order events of its shop with it
(connector/events.py). That claim reads "pending events of this shop, oldest first"; without this
index it walks every pending event of every shop (``ix_webhook_events_status_next``) on each batch.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

INDEX = "ix_webhook_events_shop_pending"


def upgrade() -> None:
    op.create_index(INDEX, "webhook_events", ["shop_id", "id"], unique=False,
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="webhook_events")
