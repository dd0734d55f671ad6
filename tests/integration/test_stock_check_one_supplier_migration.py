"""Migration 0040 (the stock rows' supplier check looks one supplier up when a statement's rows hold one) on
PostgreSQL: a statement of one supplier's rows is accepted when the supplier is there and refused with the
key's error when not; a statement mixing suppliers is checked row by row's supplier as before (one missing
refuses the whole statement); a ``COPY`` of many rows of one supplier is accepted; downgrade restores
0039's check, which refuses the same. SQLite's row trigger is not touched (0039's tests)."""

from __future__ import annotations

import pytest
from alembic import command
from psycopg.errors import ForeignKeyViolation
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config
from tests.integration.test_supplier_stock_writes_migration import MADE, add_shop_and_suppliers, stored


def insert_rows(conn, rows: list[tuple[int, int, str]]) -> None:  # type: ignore[no-untyped-def]
    """One INSERT statement of several rows (shop, supplier, sku): the trigger sees them together."""
    values = ", ".join(f"(:shop{i}, :supplier{i}, :sku{i}, 1, false, :t)" for i in range(len(rows)))
    params: dict[str, object] = {"t": MADE}
    for i, (shop, supplier, sku) in enumerate(rows):
        params |= {f"shop{i}": shop, f"supplier{i}": supplier, f"sku{i}": sku}
    conn.execute(text("INSERT INTO supplier_stock (shop_id, supplier_id, sku, quantity, dropship, updated_at) "
                      f"VALUES {values}"), params)


def copy_rows(engine, shop_id: int, supplier_id: int, count: int) -> None:  # type: ignore[no-untyped-def]
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor, cursor.copy(
                "COPY supplier_stock (shop_id, supplier_id, sku, quantity, dropship, updated_at) FROM STDIN") as copy:
            made = MADE.isoformat()
            copy.write("".join(f"{shop_id}\t{supplier_id}\tK-{n:06d}\t1\tf\t{made}\n" for n in range(count)))
        raw.driver_connection.commit()
    finally:
        raw.close()


def refused(engine, rows: list[tuple[int, int, str]]) -> bool:  # type: ignore[no-untyped-def]
    try:
        with engine.begin() as conn:
            insert_rows(conn, rows)
    except IntegrityError as exc:
        assert isinstance(exc.orig, ForeignKeyViolation), exc
        assert "tr_supplier_stock_supplier" in str(exc.orig.diag.constraint_name)
        return True
    return False


@pytest.fixture
def engine(pg_engine):  # type: ignore[no-untyped-def]
    """A PostgreSQL database at the newest migration (these tests are PostgreSQL's trigger's)."""
    return pg_engine


@pytest.mark.parametrize("revision", ["0040", "0039"])
def test_a_statement_of_one_or_several_suppliers_is_checked_for_every_supplier(engine, revision):
    command.downgrade(alembic_config(engine), revision)  # from the newest: 0040 itself, or before it
    with engine.begin() as conn:
        add_shop_and_suppliers(conn, 1, (1, 2))
    assert refused(engine, [(1, 99, "X-1"), (1, 99, "X-2")])  # one supplier, not there
    assert refused(engine, [(1, 1, "X-1"), (1, 99, "X-2")])  # two suppliers, one not there
    assert refused(engine, [(1, 99, "X-1"), (1, 1, "X-2"), (1, 2, "X-3")])
    assert not refused(engine, [(1, 1, "A-1"), (1, 1, "A-2")])
    assert not refused(engine, [(1, 1, "A-3"), (1, 2, "B-1")])
    copy_rows(engine, 1, 2, 20_000)
    with engine.begin() as conn:
        rows = stored(conn)
        assert len(rows) == 4 + 20_000 and (1, "A-3") in rows and (2, "B-1") in rows
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == revision


def test_the_one_supplier_check_locks_the_supplier_against_a_delete_until_commit(engine):
    """As the foreign key did: a supplier whose rows are being inserted cannot be deleted under them."""
    with engine.begin() as conn:
        add_shop_and_suppliers(conn, 1, (1,))
    with engine.connect() as writer, engine.connect() as deleter:
        writer.begin()
        insert_rows(writer, [(1, 1, "A-1"), (1, 1, "A-2")])
        deleter.begin()
        deleter.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(Exception, match="lock timeout"):
            deleter.execute(text("DELETE FROM suppliers WHERE id = 1"))
        deleter.rollback()
        writer.commit()
    with engine.begin() as conn:
        assert len(stored(conn)) == 2
