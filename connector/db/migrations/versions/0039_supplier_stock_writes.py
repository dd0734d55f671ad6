"""Cheaper stock rows for a big first poll (issue 17 item 5): no key check per row, SKUs in "C" order.

A first poll of a shop selling 100,000 SKUs writes 100,000 ``supplier_stock`` rows by ``COPY``, and on
PostgreSQL the server's work on them was the poll's path (measured, 100,000 rows in 20 ``COPY``
statements of 5,000: 0.66-0.89 s of server CPU). Two parts of it go:

- ``fk_supplier_stock_supplier_id_suppliers`` (0.15-0.35 s): its check ran once per row (a trigger
  call looking the supplier up and locking it ``FOR KEY SHARE``). In its place:
  ``tr_supplier_stock_supplier`` checks the rows of each insert statement at once (PostgreSQL: a
  statement trigger over the statement's new rows, which locks their suppliers ``FOR KEY SHARE`` as
  the key did, and refuses rows of a supplier that is not there with the key's error, SQLSTATE 23503;
  0.03 s for the 100,000 rows; SQLite: a row trigger, as cheap as the key's own check there), and
  ``tr_suppliers_delete_stock`` deletes a deleted supplier's stock rows (directly, or by the cascade
  of its shop), as ON DELETE CASCADE did. ``supplier_id`` is never updated.
- On PostgreSQL the ``sku`` column's collation becomes "C" (0.15 s): with the database's C.UTF-8,
  every comparison of two SKUs in the unique key and in ``ix_supplier_stock_shop_sku`` went through
  the C library's strcoll; PostgreSQL 15 compares bytes only for "C"/"POSIX". The order is the same
  as C.UTF-8's (code points) and equality is unchanged; a comparison with another table's ``sku``
  (the database's default collation) takes this column's collation, so the lookups of stock rows by
  SKU keep their indexes. SQLite compares bytes already (BINARY).

With both, the server's work on those rows is 0.36-0.39 s. Rows are kept. Downgrade restores the key
(after deleting rows whose supplier is gone, which the key would refuse; there are none while the
triggers hold) and the default collation.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_supplier_stock_supplier_id_suppliers"
CHECK = "tr_supplier_stock_supplier"
CASCADE = "tr_suppliers_delete_stock"

PG_CHECK = """
CREATE FUNCTION supplier_stock_check_supplier() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted integer;
    found integer;
BEGIN
    SELECT count(DISTINCT supplier_id) INTO wanted FROM new_stock;
    SELECT count(*) INTO found
      FROM (SELECT 1 FROM suppliers WHERE id IN (SELECT supplier_id FROM new_stock) FOR KEY SHARE) locked;
    IF found <> wanted THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert into supplier_stock: supplier_id not present in suppliers',
            CONSTRAINT = 'tr_supplier_stock_supplier', TABLE = 'supplier_stock';
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(FOREIGN_KEY, "supplier_stock", type_="foreignkey")
        op.alter_column("supplier_stock", "sku", type_=sa.String(255, collation="C"),
                        existing_type=sa.String(255), existing_nullable=False)
        op.execute(PG_CHECK)
        op.execute(f"CREATE TRIGGER {CHECK} AFTER INSERT ON supplier_stock REFERENCING NEW TABLE AS new_stock "
                   "FOR EACH STATEMENT EXECUTE FUNCTION supplier_stock_check_supplier()")
        op.execute("CREATE FUNCTION suppliers_delete_stock() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN DELETE FROM supplier_stock WHERE supplier_id = OLD.id; RETURN OLD; END $$")
        op.execute(f"CREATE TRIGGER {CASCADE} AFTER DELETE ON suppliers FOR EACH ROW "
                   "EXECUTE FUNCTION suppliers_delete_stock()")
        return
    with op.batch_alter_table("supplier_stock") as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
    op.execute(f"CREATE TRIGGER {CHECK} BEFORE INSERT ON supplier_stock FOR EACH ROW "
               "WHEN NOT EXISTS (SELECT 1 FROM suppliers WHERE id = NEW.supplier_id) "
               "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END")
    op.execute(f"CREATE TRIGGER {CASCADE} AFTER DELETE ON suppliers FOR EACH ROW "
               "BEGIN DELETE FROM supplier_stock WHERE supplier_id = OLD.id; END")


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.execute(f"DROP TRIGGER {CASCADE} ON suppliers")
        op.execute("DROP FUNCTION suppliers_delete_stock()")
        op.execute(f"DROP TRIGGER {CHECK} ON supplier_stock")
        op.execute("DROP FUNCTION supplier_stock_check_supplier()")
    else:
        op.execute(f"DROP TRIGGER {CASCADE}")
        op.execute(f"DROP TRIGGER {CHECK}")
    op.execute("DELETE FROM supplier_stock WHERE NOT EXISTS "
               "(SELECT 1 FROM suppliers WHERE suppliers.id = supplier_stock.supplier_id)")
    if pg:
        op.alter_column("supplier_stock", "sku", type_=sa.String(255), existing_type=sa.String(255, collation="C"),
                        existing_nullable=False)
        op.create_foreign_key(FOREIGN_KEY, "supplier_stock", "suppliers", ["supplier_id"], ["id"], ondelete="CASCADE")
        return
    with op.batch_alter_table("supplier_stock") as batch_op:
        batch_op.create_foreign_key(FOREIGN_KEY, "suppliers", ["supplier_id"], ["id"], ondelete="CASCADE")
