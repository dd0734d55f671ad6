"""Migration 0041 (which bulk operation carries an order's mark, and its line) upgrades and downgrades
cleanly on SQLite and PostgreSQL, keeps the orders, and the marks' look-up of orders in flight uses its
partial index on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, make_engine, upgrade

INDEX = "ix_orders_shop_mark_operation"
MADE = datetime(2026, 12, 4, tzinfo=UTC)


def order_columns(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns("orders")}


def test_0041_adds_the_columns_and_index_keeps_the_orders_and_downgrades(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0040")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": MADE})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '501', '#1001', 'open', :t, :t, true, :t)"), {"t": MADE})
        before = order_columns(engine)
        upgrade(engine, "0041")
        assert order_columns(engine) == before | {"mark_operation", "mark_line"}
        assert INDEX in {i["name"] for i in inspect(engine).get_indexes("orders")}
        with engine.begin() as conn:
            assert conn.execute(text("SELECT platform_order_id, needs_mark, mark_operation, mark_line FROM orders")
                                ).one() == ("501", True, None, None)
            conn.execute(text("UPDATE orders SET mark_operation = 'gid://shopify/BulkOperation/7', mark_line = 0"))
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SET enable_seqscan = off"))
                plan = "\n".join(row[0] for row in conn.execute(text(
                    "EXPLAIN SELECT DISTINCT mark_operation FROM orders WHERE shop_id = 1 "
                    "AND mark_operation IS NOT NULL")))
            assert INDEX in plan
        command.downgrade(alembic_config(engine), "0040")
        assert order_columns(engine) == before
        with engine.connect() as conn:
            assert conn.execute(text("SELECT platform_order_id FROM orders")).scalars().all() == ["501"]
    finally:
        engine.dispose()
