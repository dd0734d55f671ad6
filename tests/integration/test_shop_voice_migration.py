"""Migration 0029 (the shop's voice: the customer's first name and the order's page on orders, the store's
name, address and icon on shops) upgrades and downgrades cleanly on SQLite and PostgreSQL, keeping rows."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, is_current, make_engine, upgrade

ORDERS = {"customer_first_name", "status_url"}
SHOPS = {"store_name", "store_url", "store_logo_url", "identity_read_at"}


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0029_adds_the_voice_columns_keeps_orders_and_shops_and_removes_them_on_downgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0028")
        assert not ORDERS & columns(engine, "orders") and not SHOPS & columns(engine, "shops")
        made = datetime(2026, 12, 3, 9, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'tea.myshopify.com', 'x', 'active', :t)"), {"t": made})
            shop = conn.execute(text("SELECT id FROM shops")).scalar_one()
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, captured_at, needs_mark) VALUES (:s, '1', '#1001', 'open', "
                              ":t, :t, :t, :f)"), {"s": shop, "t": made, "f": False})
        upgrade(engine)
        assert is_current(engine)
        assert ORDERS <= columns(engine, "orders") and SHOPS <= columns(engine, "shops")
        with engine.begin() as conn:
            assert tuple(conn.execute(text("SELECT name, customer_first_name, status_url FROM orders")).one()) == (
                "#1001", None, None)
            conn.execute(text("UPDATE orders SET customer_first_name = 'Ada', status_url = 'https://x.example/o'"))
            conn.execute(text("UPDATE shops SET store_name = 'Tea & Leaf', identity_read_at = :t"), {"t": made})
        command.downgrade(alembic_config(engine), "0028")
        assert not ORDERS & columns(engine, "orders") and not SHOPS & columns(engine, "shops")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT name FROM orders")).scalar_one() == "#1001"
            assert conn.execute(text("SELECT domain FROM shops")).scalar_one() == "tea.myshopify.com"
        upgrade(engine)
        assert ORDERS <= columns(engine, "orders") and SHOPS <= columns(engine, "shops")
    finally:
        engine.dispose()
