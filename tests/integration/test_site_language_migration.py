"""Migration 0028 (the WooCommerce site language on shops) upgrades and downgrades cleanly on SQLite and
PostgreSQL, keeping the shops."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, is_current, make_engine, upgrade

ADDED = {"site_language", "site_language_read_at"}


def shop_columns(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns("shops")}


def test_0028_adds_the_site_language_keeps_shops_and_removes_it_on_downgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0027")
        assert not ADDED & shop_columns(engine)
        made = datetime(2026, 12, 2, 9, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('woocommerce', 'https://s.example', 'x', 'active', :t)"), {"t": made})
        upgrade(engine)
        assert is_current(engine)
        assert ADDED <= shop_columns(engine)
        with engine.begin() as conn:
            assert tuple(conn.execute(text("SELECT domain, site_language, site_language_read_at FROM shops"))
                         .one()) == ("https://s.example", None, None)
            conn.execute(text("UPDATE shops SET site_language = 'nl_NL', site_language_read_at = :t"), {"t": made})
        command.downgrade(alembic_config(engine), "0027")
        assert not ADDED & shop_columns(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT domain FROM shops")).scalar_one() == "https://s.example"
        upgrade(engine)
        assert ADDED <= shop_columns(engine)
    finally:
        engine.dispose()
