"""Migration 0030 (cheaper allocation writes) on SQLite and PostgreSQL: the allocations shop foreign key
and the redundant indexes go, the rows stay, the backorder foreign key still refuses an allocation of a
backorder that is not there and still takes a deleted backorder's allocations with it; a shop's erasure
still removes them; downgrade restores the old key and indexes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, make_engine, upgrade

MADE = datetime(2026, 12, 2, 10, tzinfo=UTC)


def shape(engine) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    """(the allocations table's index names, unique keys' aside, and the tables its foreign keys refer to)."""
    found = inspect(engine)
    return ({index["name"] for index in found.get_indexes("allocations") if "duplicates_constraint" not in index},
            {key["referred_table"] for key in found.get_foreign_keys("allocations")})


def allocate(conn, backorder_id: int, reference: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO allocations (shop_id, backorder_id, quantity, source, reference, created_at) "
                      "VALUES (1, :b, 1, 'purchase_order', :r, :t)"), {"b": backorder_id, "r": reference, "t": MADE})


def test_0030_drops_the_implied_shop_key_and_redundant_indexes_keeps_rows_and_the_backorder_key(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0029")
        assert shape(engine) == ({"ix_allocations_backorder_id", "ix_allocations_shop_reference"},
                                 {"shops", "backorders"})
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": MADE})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '1001', '#1001', 'open', :t, :t, false, :t)"), {"t": MADE})
            for line in (1, 2):
                conn.execute(text("INSERT INTO order_lines (shop_id, order_id, platform_line_id, title, quantity) "
                                  "VALUES (1, 1, :l, 'Mug', 2)"), {"l": f"l{line}"})
                conn.execute(text("INSERT INTO backorders (shop_id, order_line_id, sku, quantity_backordered, "
                                  "status, created_at, updated_at) VALUES (1, :l, 'MUG', 2, 'open', :t, :t)"),
                             {"l": line, "t": MADE})
            allocate(conn, 1, "po:1")
        upgrade(engine, "0035")  # 0036 drops the backorder's key too (test_allocation_integrity_migration.py)
        assert shape(engine) == ({"ix_allocations_shop_source"}, {"backorders"})
        with engine.begin() as conn:
            assert conn.execute(text("SELECT backorder_id, reference FROM allocations")).all() == [(1, "po:1")]
            allocate(conn, 2, "po:1")
        with pytest.raises(IntegrityError), engine.begin() as conn:
            allocate(conn, 99, "po:2")  # no such backorder
        with pytest.raises(IntegrityError), engine.begin() as conn:
            allocate(conn, 1, "po:1")  # the same arrival for the same backorder again
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM backorders WHERE id = 2"))
            assert conn.execute(text("SELECT backorder_id FROM allocations")).scalars().all() == [1]
        command.downgrade(alembic_config(engine), "0029")
        assert shape(engine) == ({"ix_allocations_backorder_id", "ix_allocations_shop_reference"},
                                 {"shops", "backorders"})
        with engine.begin() as conn:
            assert conn.execute(text("SELECT backorder_id, reference FROM allocations")).all() == [(1, "po:1")]
        upgrade(engine, "0035")
        with engine.begin() as conn:  # the shop's deletion reaches its allocations through its backorders
            conn.execute(text("DELETE FROM shops WHERE id = 1"))
            assert conn.execute(text("SELECT count(*) FROM allocations")).scalar_one() == 0
    finally:
        engine.dispose()
