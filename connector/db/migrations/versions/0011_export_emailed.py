"""When a customer data export was e-mailed: the export e-mail is sent once, not on every rerun.

``data_exports.emailed_at`` is set once the SMTP server has accepted the export's e-mail
(jobs/install.py email_export); a rerun of the job finds it set and sends nothing. Nullable:
existing exports and exports kept for download only have none.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_exports") as batch_op:
        batch_op.add_column(sa.Column("emailed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_exports") as batch_op:
        batch_op.drop_column("emailed_at")
