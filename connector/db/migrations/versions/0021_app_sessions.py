"""app_links: single-use nonces of the merchant app's signed links and requests (issue 14).

A WooCommerce app link is recorded when the connector mints it and taken once when opened; other
signed single-use requests record their nonce when first seen. See connector/merchant/models.py.
Sessions themselves are signed cookies (WooCommerce) or Shopify session tokens: nothing stored.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_app_links_nonce_hash")),
    )
    op.create_index("ix_app_links_expires", "app_links", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_app_links_expires", table_name="app_links")
    op.drop_table("app_links")
