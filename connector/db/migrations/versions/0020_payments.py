"""payments: order payments (one state machine per deferred order payment) and payment charges
(captures and mandate charges, each keyed before the store is called) (issue 13 item 4)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(12, 2), nullable=False)


def upgrade() -> None:
    op.create_table(
        "order_payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("trigger", sa.String(30), nullable=True),
        sa.Column("authorization_id", sa.String(255), nullable=True),
        sa.Column("authorization_expires_at", UTCDateTime(), nullable=True),
        sa.Column("multi_capture", sa.Boolean(), nullable=False),
        _money("amount_authorized"), _money("amount_captured"), _money("amount_due"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("gateway", sa.String(100), nullable=True),
        sa.Column("mandate_id", sa.String(255), nullable=True),
        sa.Column("payment_schedule_id", sa.String(255), nullable=True),
        sa.Column("holds", sa.Text(), nullable=True),
        sa.Column("payment_link_sent_at", UTCDateTime(), nullable=True),
        sa.Column("expiry_handled_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("order_id", name=op.f("uq_order_payments_order_id")),
    )
    op.create_index("ix_order_payments_shop_state", "order_payments", ["shop_id", "state"])
    op.create_table(
        "payment_charges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("backorder_id", sa.Integer(), sa.ForeignKey("backorders.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        _money("amount"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payment_charges_idempotency_key")),
    )
    op.create_index("ix_payment_charges_order", "payment_charges", ["order_id", "id"])
    op.create_index("ix_payment_charges_shop_state", "payment_charges", ["shop_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_payment_charges_shop_state", table_name="payment_charges")
    op.drop_index("ix_payment_charges_order", table_name="payment_charges")
    op.drop_table("payment_charges")
    op.drop_index("ix_order_payments_shop_state", table_name="order_payments")
    op.drop_table("order_payments")
