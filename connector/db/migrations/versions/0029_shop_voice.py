"""The shop's voice (issue 18): what customer messages need to be written personally and in the shop's name.

``orders.customer_first_name``: the customer's first name at capture (Shopify ``customer.first_name``,
else the billing/shipping address's; WooCommerce ``billing.first_name``), so messages greet by name.
``orders.status_url``: where the customer sees the order in the store (Shopify ``order_status_url`` /
GraphQL ``statusPageUrl``; WooCommerce ``<store>/my-account/view-order/<id>/``), linked from the
messages' footer. The order's currency is already kept (``orders.currency``, 0016).

``shops.store_name`` / ``shops.store_url`` / ``shops.store_logo_url``: the store's own name, address and
icon as read from it (Shopify ``shop { name }``; WooCommerce the ``/wp-json/`` index ``name``, ``url``,
``site_icon_url``), at install and by the health check; ``shops.identity_read_at`` when. The merchant's
settings (notify.sender_name, brand.logo_url...) come first (connector/notify/brand.py). NULL: not read.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("customer_first_name", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("status_url", sa.String(1000), nullable=True))
    with op.batch_alter_table("shops") as batch_op:
        batch_op.add_column(sa.Column("store_name", sa.String(255), nullable=True))
        batch_op.add_column(sa.Column("store_url", sa.String(500), nullable=True))
        batch_op.add_column(sa.Column("store_logo_url", sa.String(1000), nullable=True))
        batch_op.add_column(sa.Column("identity_read_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch_op:
        batch_op.drop_column("identity_read_at")
        batch_op.drop_column("store_logo_url")
        batch_op.drop_column("store_url")
        batch_op.drop_column("store_name")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("status_url")
        batch_op.drop_column("customer_first_name")
