"""Delivery date stated at checkout: the shipping promise the FTC Mail Order Rule holds us to.

``orders.promised_delivery_on`` is the latest delivery date the store stated for the order (from
Shopify's delivery method, a delivery-date app's order attributes or WooCommerce order meta), with
``promised_delivery_source`` naming where it came from. ``store_promise_on`` keeps what Shopify's
own delivery promise said and ``store_promise_checked_at`` when it was asked, so it is asked once
per order, not on every orders/updated delivery. All nullable: existing orders stated nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("promised_delivery_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("promised_delivery_source", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("store_promise_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("store_promise_checked_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("store_promise_checked_at")
        batch_op.drop_column("store_promise_on")
        batch_op.drop_column("promised_delivery_source")
        batch_op.drop_column("promised_delivery_on")
