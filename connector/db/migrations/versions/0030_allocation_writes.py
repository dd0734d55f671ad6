"""Cheaper allocation writes (issue 13 item 7): one foreign key and one index per allocation row fewer.

An ``allocations`` row is inserted for every backorder an arrival gives units to (60,000 rows for a
restock of 1,000 SKUs to 100,000 backorders), and on PostgreSQL each row paid for two foreign-key
checks and four index entries. Changed:

- ``fk_allocations_shop_id_shops`` dropped. The row's backorder belongs to the shop (and cascades with
  it: shops -> backorders -> allocations), so the check only repeated what the backorder's foreign key
  already implies, at one trigger call per row (about 40% of the insert's server time). ``shop_id``
  stays, as the shop's scope for queries and erasure. ``fk_allocations_backorder_id_backorders`` stays:
  an allocation of a backorder that is not there is refused, and deleting a backorder deletes its
  allocations.
- ``ix_allocations_backorder_id`` dropped: ``uq_allocations_backorder_id`` (backorder_id, source,
  reference) starts with the same column and serves every lookup by backorder.
- ``ix_allocations_shop_reference`` (shop_id, source, reference) replaced by ``ix_allocations_shop_source``
  (shop_id, source): no query looks an allocation up by shop and reference (the arrival's idempotency
  is ``stock_arrivals``' unique key; a backorder's, the unique key above); queries scope by shop and
  source. The narrower key deduplicates, so each insert writes a fraction of the bytes.

Rows are kept. Downgrade restores the foreign key and both indexes (an allocation whose shop is gone
would then be refused; there is none while its backorder's foreign key holds).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_allocations_backorder_id", table_name="allocations")
    op.drop_index("ix_allocations_shop_reference", table_name="allocations")
    with op.batch_alter_table("allocations") as batch_op:
        batch_op.drop_constraint("fk_allocations_shop_id_shops", type_="foreignkey")
    op.create_index("ix_allocations_shop_source", "allocations", ["shop_id", "source"])


def downgrade() -> None:
    op.drop_index("ix_allocations_shop_source", table_name="allocations")
    with op.batch_alter_table("allocations") as batch_op:
        batch_op.create_foreign_key("fk_allocations_shop_id_shops", "shops", ["shop_id"], ["id"], ondelete="CASCADE")
    op.create_index("ix_allocations_shop_reference", "allocations", ["shop_id", "source", "reference"])
    op.create_index("ix_allocations_backorder_id", "allocations", ["backorder_id"])
