"""Migration 0031 (the store's brand: shops.store_accent_color, brand_read_at, brand_read_error) upgrades and
downgrades cleanly on SQLite and PostgreSQL, keeping the shops."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, is_current, make_engine, upgrade

SHOPS = {"store_accent_color", "brand_read_at", "brand_read_error"}


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0031_adds_the_brand_columns_keeps_shops_and_removes_them_on_downgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0030")
        assert not SHOPS & columns(engine, "shops")
        made = datetime(2026, 12, 2, 9, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at, store_logo_url) "
                              "VALUES ('shopify', 'tea.myshopify.com', 'x', 'active', :t, 'https://cdn.example/l.png')"),
                         {"t": made})
        upgrade(engine)
        assert is_current(engine)
        assert SHOPS <= columns(engine, "shops")
        with engine.begin() as conn:
            assert tuple(conn.execute(text("SELECT store_logo_url, store_accent_color, brand_read_at, "
                                           "brand_read_error FROM shops")).one()) == (
                "https://cdn.example/l.png", None, None, None)
            conn.execute(text("UPDATE shops SET store_accent_color = '#1a7f5a', brand_read_at = :t, "
                              "brand_read_error = 'access denied'"), {"t": made})
        command.downgrade(alembic_config(engine), "0030")
        assert not SHOPS & columns(engine, "shops")
        with engine.begin() as conn:
            assert tuple(conn.execute(text("SELECT domain, store_logo_url FROM shops")).one()) == (
                "tea.myshopify.com", "https://cdn.example/l.png")
        upgrade(engine)
        assert SHOPS <= columns(engine, "shops")
    finally:
        engine.dispose()
