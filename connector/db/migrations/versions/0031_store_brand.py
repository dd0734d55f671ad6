"""The store's brand (issue 18 item 1): the accent colour read from the store, and how the last brand read went.

``shops.store_accent_color``: Shopify's primary brand colour (Storefront API ``shop { brand { colors {
primary { background } } } }``), #rrggbb; the logo goes to ``shops.store_logo_url`` (0029). The merchant's
brand.accent_color / brand.logo_url come first (connector/notify/brand.py). ``shops.brand_read_at``: when
the brand was last asked for (install and the health check); ``shops.brand_read_error``: why that read got
nothing (a scope not granted, the token refused), NULL when it worked. The Storefront access token itself is
sealed with the shop's credentials (``extra["storefront_token"]``), never in a column of its own.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.add_column(sa.Column("store_accent_color", sa.String(7), nullable=True))
        batch_op.add_column(sa.Column("brand_read_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("brand_read_error", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("brand_read_error")
        batch_op.drop_column("brand_read_at")
        batch_op.drop_column("store_accent_color")
