"""Allocation writes without a foreign-key check per row (issue 13 item 7).

A restock of 1,000 SKUs to 100,000 backorders inserts 60,000 ``allocations`` rows, and on PostgreSQL
the backorder's foreign key checked each one with a trigger call that looks the backorder up and locks
it (``FOR KEY SHARE``): more than half of the insert's server time (0.64-0.69 against 0.29 CPU-s
without it, bench data, 20 statements of 3,000 rows). Changed:

- ``fk_allocations_backorder_id_backorders`` dropped. An allocation's backorder is checked by the
  statement that writes it instead (connector/restock/repository.py ``write_allocations``): on
  PostgreSQL the backorders' UPDATE and the allocations' INSERT are one statement, and an allocation
  row whose backorder the UPDATE did not find (gone, or another shop's) gets a NULL ``backorder_id``,
  which NOT NULL refuses (IntegrityError, as the foreign key did). The UPDATE locks the backorders
  first, so a deletion waits for the allocation's commit and then takes its rows (below). On SQLite a
  transaction holds the database's write lock from its start (BEGIN IMMEDIATE): nothing is deleted
  between the read of the waiting backorders and their allocations.
- ``tr_backorders_delete_allocations``: deleting a backorder (directly, or by the cascade of its
  order line, order or shop) deletes its allocations, as the foreign key's ON DELETE CASCADE did, at
  the same cost (one delete by the unique key's leading column per backorder deleted). A trigger
  runs on deletes only; an insert pays nothing for it.

Rows are kept. Downgrade drops the trigger and restores the foreign key (after deleting allocations
whose backorder is gone, which the key would refuse; there are none while the trigger and the write
check hold).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_allocations_backorder_id_backorders"
TRIGGER = "tr_backorders_delete_allocations"


def upgrade() -> None:
    with op.batch_alter_table("allocations") as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION backorders_delete_allocations() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN DELETE FROM allocations WHERE backorder_id = OLD.id; RETURN OLD; END $$")
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON backorders FOR EACH ROW "
                   "EXECUTE FUNCTION backorders_delete_allocations()")
    else:  # SQLite
        op.execute(f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON backorders FOR EACH ROW "
                   "BEGIN DELETE FROM allocations WHERE backorder_id = OLD.id; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TRIGGER} ON backorders")
        op.execute("DROP FUNCTION backorders_delete_allocations()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    op.execute("DELETE FROM allocations WHERE NOT EXISTS "
               "(SELECT 1 FROM backorders WHERE backorders.id = allocations.backorder_id)")
    with op.batch_alter_table("allocations") as batch_op:
        batch_op.create_foreign_key(FOREIGN_KEY, "backorders", ["backorder_id"], ["id"], ondelete="CASCADE")
