"""dropship: routing decisions, supplier drop-ship orders, fulfillments, holds, merchant alerts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from connector.db.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _shop() -> sa.Column:
    return sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)


def _backorder() -> sa.Column:
    return sa.Column("backorder_id", sa.Integer(), sa.ForeignKey("backorders.id", ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "routing_decisions", _id(), _shop(), _backorder(),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("suppliers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("quantity_dropship", sa.Integer(), nullable=False),
        sa.Column("quantity_wait", sa.Integer(), nullable=False),
        sa.Column("margin_percent", sa.Numeric(6, 1), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
    )
    op.create_index(op.f("ix_routing_decisions_shop_id"), "routing_decisions", ["shop_id"])
    op.create_index("ix_routing_decisions_backorder", "routing_decisions", ["backorder_id", "id"])
    op.create_table(
        "dropship_orders", _id(), _shop(), _backorder(),
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("suppliers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("routing_decisions.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_shipped", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(12, 2), nullable=True),
        sa.Column("ship_to", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("supplier_reference", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=True),
        sa.Column("shipped_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_dropship_orders_idempotency_key")),
    )
    op.create_index(op.f("ix_dropship_orders_backorder_id"), "dropship_orders", ["backorder_id"])
    op.create_index("ix_dropship_orders_shop_status", "dropship_orders", ["shop_id", "status"])
    op.create_table(
        "dropship_fulfillments", _id(), _shop(),
        sa.Column("dropship_order_id", sa.Integer(), sa.ForeignKey("dropship_orders.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("shipment_id", sa.String(100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(100), nullable=True),
        sa.Column("tracking_number", sa.String(100), nullable=True),
        sa.Column("tracking_url", sa.String(500), nullable=True),
        sa.Column("shipped_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("store_reference", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("pushed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("dropship_order_id", "shipment_id", name=op.f("uq_dropship_fulfillments_dropship_order_id")),
    )
    op.create_index(op.f("ix_dropship_fulfillments_shop_id"), "dropship_fulfillments", ["shop_id"])
    op.create_table(
        "fulfillment_holds", _id(), _shop(), _backorder(),
        sa.Column("fulfillment_order_id", sa.String(100), nullable=False),
        sa.Column("hold_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
    )
    op.create_index(op.f("ix_fulfillment_holds_shop_id"), "fulfillment_holds", ["shop_id"])
    op.create_index("ix_fulfillment_holds_backorder", "fulfillment_holds", ["backorder_id"])
    op.create_table(
        "dropship_alerts", _id(), _shop(),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_dropship_alerts_dedupe_key")),
    )
    op.create_index(op.f("ix_dropship_alerts_shop_id"), "dropship_alerts", ["shop_id"])
    op.create_table(
        "fulfillment_service_notifications", _id(), _shop(),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_fulfillment_service_notifications_pending", "fulfillment_service_notifications",
                    ["shop_id", "processed_at"])


def downgrade() -> None:
    for table in ("fulfillment_service_notifications", "dropship_alerts", "fulfillment_holds", "dropship_fulfillments", "dropship_orders",
                  "routing_decisions"):
        op.drop_table(table)
