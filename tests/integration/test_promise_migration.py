"""Migration 0009 (checkout promise) upgrades and downgrades cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, make_engine, upgrade

COLUMNS = {"promised_delivery_on", "promised_delivery_source", "store_promise_on", "store_promise_checked_at"}


def order_columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("orders")}


def test_0009_adds_the_promise_columns_keeps_existing_orders_and_removes_them_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0008")
        assert not COLUMNS & order_columns(engine)
        placed = datetime(2026, 11, 27, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": placed})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '1001', '#1001', 'open', :t, :t, false, :t)"), {"t": placed})
        upgrade(engine, "0009")
        assert COLUMNS <= order_columns(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT promised_delivery_on FROM orders")).scalar_one() is None
            conn.execute(text("UPDATE orders SET promised_delivery_on = :d, promised_delivery_source = 's'"),
                         {"d": date(2026, 12, 10)})
            stored = conn.execute(text("SELECT promised_delivery_on FROM orders")).scalar_one()
            assert str(stored) == "2026-12-10"
        command.downgrade(alembic_config(engine), "0008")
        assert not COLUMNS & order_columns(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT name FROM orders")).scalar_one() == "#1001"
        upgrade(engine, "0009")
        assert COLUMNS <= order_columns(engine)
    finally:
        engine.dispose()
