"""Migration 0014 (when a shop's granted scopes were read from Shopify) upgrades and downgrades
cleanly on SQLite and PostgreSQL, keeping the shops and the scopes already stored."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, is_current, make_engine, upgrade


def shop_columns(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns("shops")}


def test_0014_adds_scopes_checked_at_keeps_shops_and_their_scopes_and_removes_it_on_downgrade(
        database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0013")
        assert "scopes_checked_at" not in shop_columns(engine)
        made = datetime(2026, 12, 2, 9, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at, scopes) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t, 'write_orders')"), {"t": made})
        upgrade(engine)
        assert is_current(engine)
        assert "scopes_checked_at" in shop_columns(engine)
        with engine.begin() as conn:
            row = conn.execute(text("SELECT scopes, scopes_checked_at FROM shops")).one()
            assert tuple(row) == ("write_orders", None)
            conn.execute(text("UPDATE shops SET scopes_checked_at = :t"), {"t": made})
        command.downgrade(alembic_config(engine), "0013")
        assert "scopes_checked_at" not in shop_columns(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT scopes FROM shops")).scalar_one() == "write_orders"
        upgrade(engine)
        assert "scopes_checked_at" in shop_columns(engine)
    finally:
        engine.dispose()
