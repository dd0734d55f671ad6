"""Migration 0023 (message templates, customer language, message text) upgrades and downgrades cleanly on
SQLite and PostgreSQL, keeping the orders and messages already recorded."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, make_engine, upgrade


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0023_adds_message_templates_order_locale_and_message_text_and_downgrades_keeping_orders(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0022")
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) VALUES (1, '5', '#1005', 'open', :t, :t, "
                              ":f, :t)"), {"t": made, "f": False})
        upgrade(engine, "0023")
        assert {"shop_id", "kind", "language", "subject", "body", "doing", "actor", "updated_at"} <= \
            columns(engine, "message_templates")
        assert "locale" in columns(engine, "orders")
        assert {"body_text", "language"} <= columns(engine, "notify_messages")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT locale FROM orders")).scalar_one() is None
            conn.execute(text("INSERT INTO message_templates (shop_id, kind, language, subject, body, actor, "
                              "updated_at) VALUES (1, 'capture_notice', 'nl', 'S', 'B', 'app:73', :t)"), {"t": made})
            assert conn.execute(text("SELECT doing FROM message_templates")).scalar_one() == ""
        command.downgrade(alembic_config(engine), "0022")
        assert "message_templates" not in inspect(engine).get_table_names()
        assert "locale" not in columns(engine, "orders")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT name FROM orders")).scalar_one() == "#1005"
        upgrade(engine, "0023")
        assert "locale" in columns(engine, "orders")
    finally:
        engine.dispose()
