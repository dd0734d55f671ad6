"""Migration 0013 (why the store refused to mark an order) upgrades and downgrades cleanly on SQLite and
PostgreSQL, keeping the orders already stored and their indexes."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, is_current, make_engine, upgrade


def order_columns(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns("orders")}


def order_indexes(engine) -> set[str]:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    return ({i["name"] for i in inspector.get_indexes("orders")}
            | {u["name"] for u in inspector.get_unique_constraints("orders")})


def test_0013_adds_mark_error_keeps_existing_orders_and_removes_it_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0012")
        assert not {"mark_error", "mark_error_at"} & order_columns(engine)
        indexes = order_indexes(engine)
        placed = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": placed})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '1001', '#1001', 'open', :t, :t, true, :t)"), {"t": placed})
            conn.execute(text("INSERT INTO order_lines (shop_id, order_id, platform_line_id, title, quantity) "
                              "VALUES (1, 1, 'L1', 'Lamp', 2)"))
        upgrade(engine, "0013")
        assert {"mark_error", "mark_error_at"} <= order_columns(engine) and order_indexes(engine) == indexes
        with engine.begin() as conn:
            assert conn.execute(text("SELECT mark_error, mark_error_at FROM orders")).one() == (None, None)
            conn.execute(text("UPDATE orders SET mark_error = 'PlatformNotFound: gone', mark_error_at = :t"),
                         {"t": placed})
        command.downgrade(alembic_config(engine), "0012")
        assert not {"mark_error", "mark_error_at"} & order_columns(engine) and order_indexes(engine) == indexes
        with engine.begin() as conn:
            assert conn.execute(text("SELECT name FROM orders")).scalar_one() == "#1001"
            # the table rebuild (SQLite batch mode) must not cascade-delete the order's lines
            assert conn.execute(text("SELECT platform_line_id FROM order_lines")).scalar_one() == "L1"
        upgrade(engine)
        assert is_current(engine) and {"mark_error", "mark_error_at"} <= order_columns(engine)
    finally:
        engine.dispose()
