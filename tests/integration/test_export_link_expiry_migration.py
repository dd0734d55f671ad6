"""Migration 0015 (when a data export's e-mailed download link expires) upgrades and downgrades
cleanly on SQLite and PostgreSQL, keeping the exports already stored and their indexes."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, is_current, make_engine, upgrade


def export_columns(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns("data_exports")}


def export_indexes(engine) -> set[str]:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    return ({i["name"] for i in inspector.get_indexes("data_exports")}
            | {u["name"] for u in inspector.get_unique_constraints("data_exports")})


def test_0015_adds_link_expires_at_keeps_existing_exports_and_removes_it_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0014")
        assert "link_expires_at" not in export_columns(engine)
        indexes = export_indexes(engine)
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO data_exports (shop_id, request_id, customer_ref, content, "
                              "download_token_hash, created_at, expires_at, emailed_at) "
                              "VALUES (1, 'req-1', 'c-1', '{}', 'h', :t, :t, :t)"), {"t": made})
        upgrade(engine)
        assert is_current(engine)
        assert "link_expires_at" in export_columns(engine) and export_indexes(engine) == indexes
        with engine.begin() as conn:
            assert conn.execute(text("SELECT link_expires_at FROM data_exports")).scalar_one() is None
            conn.execute(text("UPDATE data_exports SET link_expires_at = :t"), {"t": made})
        command.downgrade(alembic_config(engine), "0014")
        assert "link_expires_at" not in export_columns(engine) and export_indexes(engine) == indexes
        with engine.begin() as conn:
            row = conn.execute(text("SELECT request_id, emailed_at FROM data_exports")).one()
            assert row[0] == "req-1" and row[1] is not None
        upgrade(engine)
        assert "link_expires_at" in export_columns(engine)
    finally:
        engine.dispose()
