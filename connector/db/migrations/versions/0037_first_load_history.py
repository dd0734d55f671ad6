"""First load history as one row per snapshot (issue 17 item 5): ``supplier_stock.first_load_snapshot_id``.

A supplier's first load (no stored stock when the poll began) no longer writes a ``supplier_changes``
row per SKU (its quantity and date, no previous values): each stock row it writes carries the load's
snapshot instead, and the readers of the history expand the snapshot into those rows
(connector/supply/history.py): the SKU's value as first loaded (the previous values of its earliest
later change, else the row as it stands) at the snapshot's start. Per-SKU rows of earlier first loads
stay as they are. Downgrading writes the per-SKU rows of every compact first load back (the rows the
readers expand) before the column goes.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

EXPAND = """
INSERT INTO supplier_changes (shop_id, supplier_id, snapshot_id, sku, quantity, restock_date, previous_quantity,
                              previous_restock_date, changed_at)
SELECT st.shop_id, st.supplier_id, sn.id, st.sku,
       CASE WHEN nx.id IS NULL THEN st.quantity ELSE nx.previous_quantity END,
       CASE WHEN nx.id IS NULL THEN st.restock_date ELSE nx.previous_restock_date END,
       NULL, NULL, sn.started_at
FROM supplier_stock st
JOIN supplier_snapshots sn ON sn.id = st.first_load_snapshot_id
LEFT JOIN supplier_changes nx ON nx.id = (
    SELECT MIN(c.id) FROM supplier_changes c
    WHERE c.shop_id = st.shop_id AND c.sku = st.sku AND c.supplier_id = st.supplier_id AND c.snapshot_id >= sn.id)
"""


def upgrade() -> None:
    with op.batch_alter_table("supplier_stock") as batch:
        batch.add_column(sa.Column("first_load_snapshot_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute(EXPAND)
    with op.batch_alter_table("supplier_stock") as batch:
        batch.drop_column("first_load_snapshot_id")
