"""notify: customer messages, delay decisions, consolation codes, pile-up alerts, notify state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _shop() -> sa.Column:
    return sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)


def _backorder() -> sa.Column:
    return sa.Column("backorder_id", sa.Integer(), sa.ForeignKey("backorders.id", ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "notify_states",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(), _backorder(),
        sa.Column("shipping_promise", sa.Date(), nullable=False),
        sa.Column("checkout_stated", sa.Boolean(), nullable=False),
        sa.Column("initial_decided", sa.Boolean(), nullable=False),
        sa.Column("last_told", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("backorder_id", name=op.f("uq_notify_states_backorder_id")),
    )
    op.create_index(op.f("ix_notify_states_shop_id"), "notify_states", ["shop_id"])
    op.create_table(
        "delay_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(), _backorder(),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("notified_date", sa.Date(), nullable=True),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("outcome_at", UTCDateTime(), nullable=True),
        sa.Column("outcome_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("nonce", name=op.f("uq_delay_decisions_nonce")),
    )
    op.create_index("ix_delay_decisions_backorder", "delay_decisions", ["backorder_id", "sequence"])
    op.create_table(
        "notify_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(), _backorder(),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("date_key", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=True),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("discount_code", sa.String(100), nullable=True),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("delay_decisions.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("provider_message_id", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("backorder_id", "kind", "date_key", name=op.f("uq_notify_messages_backorder_id")),
    )
    op.create_index("ix_notify_messages_shop_status", "notify_messages", ["shop_id", "status"])
    op.create_table(
        "discount_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        _backorder(),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.Numeric(8, 2), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("platform_id", sa.String(100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("order_id", name=op.f("uq_discount_codes_order_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_discount_codes_idempotency_key")),
    )
    op.create_index(op.f("ix_discount_codes_shop_id"), "discount_codes", ["shop_id"])
    op.create_table(
        "pileup_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        _shop(),
        sa.Column("sku", sa.String(255), nullable=False),
        sa.Column("threshold", sa.String(20), nullable=False),
        sa.Column("limit_value", sa.Numeric(14, 2), nullable=False),
        sa.Column("observed", sa.Numeric(14, 2), nullable=False),
        sa.Column("crossed_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("channels", sa.String(100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_pileup_alerts_open", "pileup_alerts", ["shop_id", "sku", "threshold"], unique=True,
                    sqlite_where=sa.text("cleared_at IS NULL"), postgresql_where=sa.text("cleared_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_pileup_alerts_open", table_name="pileup_alerts")
    op.drop_table("pileup_alerts")
    op.drop_index(op.f("ix_discount_codes_shop_id"), table_name="discount_codes")
    op.drop_table("discount_codes")
    op.drop_index("ix_notify_messages_shop_status", table_name="notify_messages")
    op.drop_table("notify_messages")
    op.drop_index("ix_delay_decisions_backorder", table_name="delay_decisions")
    op.drop_table("delay_decisions")
    op.drop_index(op.f("ix_notify_states_shop_id"), table_name="notify_states")
    op.drop_table("notify_states")
