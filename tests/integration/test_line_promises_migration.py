"""Migration 0027 (per-line promises, ship-together choice) upgrades and downgrades cleanly on SQLite
and PostgreSQL, keeping the rows it finds."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, make_engine, upgrade


def columns(engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0027_adds_line_promises_the_ship_choice_and_order_holds_and_removes_them_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0026")
        placed = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": placed})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '1001', '#1001', 'open', :t, :t, false, :t)"), {"t": placed})
            conn.execute(text("INSERT INTO order_lines (shop_id, order_id, platform_line_id, title, quantity) "
                              "VALUES (1, 1, 'L1', 'Tea', 2)"))
        upgrade(engine, "0027")
        assert {"promised_on", "promised_source"} <= columns(engine, "order_lines")
        assert "ship_choice" in columns(engine, "orders")
        assert "order_id" in columns(engine, "fulfillment_holds")
        with engine.begin() as conn:
            conn.execute(text("UPDATE order_lines SET promised_on = '2026-12-15', "
                              "promised_source = 'line_property:_backorder_ships_by'"))
            conn.execute(text("UPDATE orders SET ship_choice = 'together'"))
            assert str(conn.execute(text("SELECT promised_on FROM order_lines")).scalar_one()) == "2026-12-15"
        command.downgrade(alembic_config(engine), "0026")
        assert not {"promised_on", "promised_source"} & columns(engine, "order_lines")
        assert "ship_choice" not in columns(engine, "orders")
        assert "order_id" not in columns(engine, "fulfillment_holds")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT title FROM order_lines")).scalar_one() == "Tea"
        upgrade(engine, "0027")
    finally:
        engine.dispose()
