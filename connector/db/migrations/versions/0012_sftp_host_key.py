"""SFTP host keys trusted on first use (issue 11 item 4).

``suppliers.host_key_fingerprint`` / ``host_key_type`` / ``host_key_trusted_at``: the key a supplier's
SFTP server presented on the first connection (SHA256 fingerprint and type); later connections must
present the same one. Nullable: existing suppliers trust the key their next connection sees (their
``host_key`` setting, when given, still wins).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suppliers") as batch_op:
        batch_op.add_column(sa.Column("host_key_fingerprint", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("host_key_type", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("host_key_trusted_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suppliers") as batch_op:
        batch_op.drop_column("host_key_trusted_at")
        batch_op.drop_column("host_key_type")
        batch_op.drop_column("host_key_fingerprint")
