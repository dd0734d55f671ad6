"""SQLite: the stock rows' supplier key back in place of the row trigger (issue 17 item 5).

Migration 0039 replaced ``fk_supplier_stock_supplier_id_suppliers`` by triggers on both databases. On
PostgreSQL the trigger runs once per insert statement and stays. On SQLite there are no statement
triggers: ``tr_supplier_stock_supplier`` ran a trigger program for every row, which costs more than the
key's own check (measured, 100,000 rows of a first poll in 20 statements: 0.25-0.29 s with the trigger,
0.20 s with the key, 0.18-0.21 s with neither). A first poll's rows are written by a thread of their own
beside the reading (connector/supply/ingest.py), and that thread was the poll's longer path.

So on SQLite the key comes back (``ON DELETE CASCADE``, checked by ``PRAGMA foreign_keys=ON``, which
every connection sets) and both triggers go: ``tr_supplier_stock_supplier`` (the key refuses a row of a
supplier that is not there) and ``tr_suppliers_delete_stock`` (the key's cascade deletes a deleted
supplier's rows). The table is rebuilt with its rows, unique key and index. PostgreSQL is unchanged.
Downgrade restores 0039's triggers.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06
"""

from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_supplier_stock_supplier_id_suppliers"
CHECK = "tr_supplier_stock_supplier"
CASCADE = "tr_suppliers_delete_stock"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {CHECK}")
    op.execute(f"DROP TRIGGER IF EXISTS {CASCADE}")
    # a row whose supplier is gone cannot exist while the triggers held; the key would refuse the copy
    op.execute("DELETE FROM supplier_stock WHERE NOT EXISTS "
               "(SELECT 1 FROM suppliers WHERE suppliers.id = supplier_stock.supplier_id)")
    with op.batch_alter_table("supplier_stock") as batch_op:
        batch_op.create_foreign_key(FOREIGN_KEY, "suppliers", ["supplier_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("supplier_stock") as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
    op.execute(f"CREATE TRIGGER {CHECK} BEFORE INSERT ON supplier_stock FOR EACH ROW "
               "WHEN NOT EXISTS (SELECT 1 FROM suppliers WHERE id = NEW.supplier_id) "
               "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END")
    op.execute(f"CREATE TRIGGER {CASCADE} AFTER DELETE ON suppliers FOR EACH ROW "
               "BEGIN DELETE FROM supplier_stock WHERE supplier_id = OLD.id; END")
