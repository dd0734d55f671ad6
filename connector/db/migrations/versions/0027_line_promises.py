"""Per-line promises and the ship-together choice (issue 16).

``order_lines.promised_on`` is the ship-by date the customer saw for that line before paying (the
theme block's line item property on Shopify, the plugin's order item meta on WooCommerce), with
``promised_source`` naming where it was read ("line_property:<name>"); it is written once and never
rewritten, and sets the line's backorder ``promised_date``. ``orders.ship_choice`` is the customer's
choice for a cart mixing in-stock and backordered items: ``ready_now`` | ``together`` | null (not
asked). ``fulfillment_holds.order_id`` marks a hold placed on a whole fulfillment order for a
``together`` order (released once none of the order's lines waits). All nullable: existing rows
stated nothing.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.add_column(sa.Column("promised_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("promised_source", sa.String(length=120), nullable=True))
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("ship_choice", sa.String(length=20), nullable=True))
    with op.batch_alter_table("fulfillment_holds") as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_fulfillment_holds_order_id_orders", "orders", ["order_id"], ["id"],
                                    ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("fulfillment_holds") as batch_op:
        batch_op.drop_constraint("fk_fulfillment_holds_order_id_orders", type_="foreignkey")
        batch_op.drop_column("order_id")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("ship_choice")
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.drop_column("promised_source")
        batch_op.drop_column("promised_on")
