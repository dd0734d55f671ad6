"""Granted Shopify scopes: when the shop's granted access scopes were last read from Shopify.

``shops.scopes`` (0004) holds the granted scopes, comma-separated: first the token grant's
``scope``, then what ``currentAppInstallation.accessScopes`` reports (read after every install and
by `connector shops scopes`). ``shops.scopes_checked_at`` says when that read last happened; NULL
for shops installed before it (their scopes are then read before a feature is turned on).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.add_column(sa.Column("scopes_checked_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("scopes_checked_at")
