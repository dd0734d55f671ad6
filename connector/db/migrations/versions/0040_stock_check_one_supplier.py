"""The stock rows' supplier check at the end of a first poll's ``COPY`` (issue 17 item 5): one supplier, one
lookup.

``tr_supplier_stock_supplier`` (migration 0039, PostgreSQL) checks each insert statement's new rows at once:
it counted their distinct suppliers and the suppliers found (and locked ``FOR KEY SHARE``) among them, a
hash aggregate and a semi-join over every new row. A poll's statements hold the rows of one supplier,
and a first poll's one ``COPY`` holds them all, so the check ran over 100,000 rows after the last of them
arrived, on the poll's path (measured, a shop selling 100,000 of a 1,000,000-row feed: the ``COPY``'s end
waited 0.06 s, 0.02 s of it without the trigger). Now the function reads the rows' lowest and highest
supplier first (one pass, no sort or hash): when they are the same, that supplier is looked up and locked
alone (0.03 s in all); rows of several suppliers take the check as it was. The error is the same
(SQLSTATE 23503, the trigger's name as the constraint). SQLite's row trigger is unchanged.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-03
"""

from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

REFUSE = """
        RAISE foreign_key_violation USING
            MESSAGE = 'insert into supplier_stock: supplier_id not present in suppliers',
            CONSTRAINT = 'tr_supplier_stock_supplier', TABLE = 'supplier_stock';"""

ONE_SUPPLIER = f"""
    SELECT min(supplier_id), max(supplier_id) INTO lowest, highest FROM new_stock;
    IF lowest = highest THEN
        PERFORM 1 FROM suppliers WHERE id = lowest FOR KEY SHARE;
        IF NOT FOUND THEN{REFUSE}
        END IF;
        RETURN NULL;
    END IF;"""


def check_function(one_supplier_first: bool) -> str:
    """The trigger function: 0039's check over every row, after the one-supplier path when asked."""
    return f"""
CREATE OR REPLACE FUNCTION supplier_stock_check_supplier() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lowest bigint;
    highest bigint;
    wanted integer;
    present integer;
BEGIN{ONE_SUPPLIER if one_supplier_first else ""}
    SELECT count(DISTINCT supplier_id) INTO wanted FROM new_stock;
    SELECT count(*) INTO present
      FROM (SELECT 1 FROM suppliers WHERE id IN (SELECT supplier_id FROM new_stock) FOR KEY SHARE) locked;
    IF present <> wanted THEN{REFUSE}
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(check_function(one_supplier_first=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(check_function(one_supplier_first=False))
