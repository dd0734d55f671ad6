"""Migration 0036 on SQLite and PostgreSQL: the allocations' backorder foreign key goes and a trigger on
backorders deletes a deleted backorder's allocations instead; rows are kept; downgrade restores the key
(dropping allocations whose backorder is gone, which it would refuse) and removes the trigger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, is_current, make_engine, upgrade

MADE = datetime(2026, 12, 3, 8, tzinfo=UTC)


def keys(engine) -> set[str]:  # type: ignore[no-untyped-def]
    """The tables the allocations' foreign keys refer to."""
    return {key["referred_table"] for key in inspect(engine).get_foreign_keys("allocations")}


def allocate(conn, backorder_id: int, reference: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO allocations (shop_id, backorder_id, quantity, source, reference, created_at) "
                      "VALUES (1, :b, 1, 'purchase_order', :r, :t)"), {"b": backorder_id, "r": reference, "t": MADE})


def allocated(conn) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [tuple(row) for row in conn.execute(text("SELECT backorder_id, reference FROM allocations ORDER BY id"))]


def test_0036_replaces_the_backorder_key_by_a_delete_trigger_keeps_rows_and_goes_back(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0035")
        assert keys(engine) == {"backorders"}
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": MADE})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '1001', '#1001', 'open', :t, :t, false, :t)"), {"t": MADE})
            for line in (1, 2, 3):
                conn.execute(text("INSERT INTO order_lines (shop_id, order_id, platform_line_id, title, quantity) "
                                  "VALUES (1, 1, :l, 'Mug', 2)"), {"l": f"l{line}"})
                conn.execute(text("INSERT INTO backorders (shop_id, order_line_id, sku, quantity_backordered, "
                                  "status, created_at, updated_at) VALUES (1, :l, 'MUG', 2, 'open', :t, :t)"),
                             {"l": line, "t": MADE})
            allocate(conn, 1, "po:1")
        upgrade(engine)
        assert is_current(engine)
        assert keys(engine) == set()
        with engine.begin() as conn:
            assert allocated(conn) == [(1, "po:1")]
            allocate(conn, 2, "po:1")
            allocate(conn, 3, "po:1")
        with pytest.raises(IntegrityError), engine.begin() as conn:
            allocate(conn, 1, "po:1")  # the unique key still holds
        with engine.begin() as conn:  # the trigger: a deleted backorder takes its allocations
            conn.execute(text("DELETE FROM backorders WHERE id = 2"))
            assert allocated(conn) == [(1, "po:1"), (3, "po:1")]
            conn.execute(text("INSERT INTO allocations (shop_id, backorder_id, quantity, source, reference, "
                              "created_at) VALUES (1, 99, 1, 'purchase_order', 'po:1', :t)"), {"t": MADE})
        command.downgrade(alembic_config(engine), "0035")
        assert keys(engine) == {"backorders"}
        with engine.begin() as conn:  # the allocation of backorder 99 (none) could not stay under the key
            assert allocated(conn) == [(1, "po:1"), (3, "po:1")]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            allocate(conn, 99, "po:2")
        with engine.begin() as conn:  # the key's cascade again, the trigger gone
            conn.execute(text("DELETE FROM backorders WHERE id = 3"))
            assert allocated(conn) == [(1, "po:1")]
        upgrade(engine)
        with engine.begin() as conn:  # the shop's deletion cascades to its backorders, the trigger further
            conn.execute(text("DELETE FROM shops WHERE id = 1"))
            assert conn.execute(text("SELECT count(*) FROM allocations")).scalar_one() == 0
    finally:
        engine.dispose()
