"""The WooCommerce site language: the fallback language of a store's customers (issue 14, Messages).

``shops.site_language`` keeps the WordPress site language as WooCommerce reports it
(``GET /wp-json/wc/v3/system_status`` ``environment.language``, e.g. "nl_NL"), read at connect and by
the health check at most once a day (``shops.site_language_read_at``). NULL: never read (Shopify shops,
shops connected before this, or keys whose user may not read the system status).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.add_column(sa.Column("site_language", sa.String(35), nullable=True))
        batch_op.add_column(sa.Column("site_language_read_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("site_language_read_at")
        batch_op.drop_column("site_language")
