"""When a data export's e-mailed download link expires (issue 11 item 15).

``data_exports.link_expires_at`` is fixed when the export's download link is first made
(connector/services/privacy.py ``download_link``): ``privacy.export_link_days`` after that, never
past the export's own ``expires_at``. The link's token is an HMAC over the shop, the export, its
request and this expiry, so the same link is derived on every e-mail attempt and a changed expiry
breaks it. Nullable: exports made before this revision get theirs when their link is next made, and
a link e-mailed before it (a token without an expiry) opens until ``privacy.export_link_days`` after
the export was e-mailed.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_exports") as batch_op:
        batch_op.add_column(sa.Column("link_expires_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_exports") as batch_op:
        batch_op.drop_column("link_expires_at")
