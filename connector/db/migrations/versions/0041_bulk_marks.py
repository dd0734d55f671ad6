"""Issue 17 item 2 (burst): the backorder tags of many orders as one Shopify bulk mutation.

A burst of a shop's orders spent 10 of the 15 cost points an order on its ``tagsAdd`` (aliased, 25 a
call, each alias charged), so a shop's budget, not the CPU, set how fast a burst was processed. A round
of the shop's marks with many orders to tag now goes to the store as one ``bulkOperationRunMutation``
(connector/capture/marks.py): these columns say which operation carries an order's tag and on which line
of its file, until the operation's result is read.

- ``orders.mark_operation``: the bulk operation's id (NULL when none is in flight);
- ``orders.mark_line``: the order's line in that operation's variables file (0-based);
- ``ix_orders_shop_mark_operation``: a partial index of the orders in flight (a shop's marks look for
  them on every run; there are none most of the time).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

INDEX = "ix_orders_shop_mark_operation"


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("mark_operation", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("mark_line", sa.Integer(), nullable=True))
    op.create_index(INDEX, "orders", ["shop_id", "mark_operation"], unique=False,
                    sqlite_where=sa.text("mark_operation IS NOT NULL"),
                    postgresql_where=sa.text("mark_operation IS NOT NULL"))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="orders")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("mark_line")
        batch_op.drop_column("mark_operation")
