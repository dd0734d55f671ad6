"""Migration 0012 (SFTP host keys trusted on first use) upgrades and downgrades cleanly on SQLite and
PostgreSQL, keeping the suppliers already stored and their indexes."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, is_current, make_engine, upgrade

COLUMNS = {"host_key_fingerprint", "host_key_type", "host_key_trusted_at"}


def supplier_columns(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns("suppliers")}


def supplier_indexes(engine) -> set[str]:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    return ({i["name"] for i in inspector.get_indexes("suppliers")}
            | {str(sorted(u["column_names"])) for u in inspector.get_unique_constraints("suppliers")})


def test_0012_adds_the_host_key_columns_keeps_existing_suppliers_and_removes_them_on_downgrade(database_url):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0011")
        assert not COLUMNS & supplier_columns(engine)
        indexes = supplier_indexes(engine)
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO suppliers (shop_id, name, kind, settings, handling_days, transit_days, "
                              "status, consecutive_failures, created_at) "
                              "VALUES (1, 'acme', 'feed', '{}', 0, 0, 'active', 0, :t)"), {"t": made})
        upgrade(engine, "0012")
        assert COLUMNS <= supplier_columns(engine) and supplier_indexes(engine) == indexes
        with engine.begin() as conn:
            assert conn.execute(text("SELECT host_key_fingerprint, host_key_type, host_key_trusted_at "
                                     "FROM suppliers")).one() == (None, None, None)
            conn.execute(text("UPDATE suppliers SET host_key_fingerprint = :f, host_key_type = 'ssh-ed25519', "
                              "host_key_trusted_at = :t"), {"f": "SHA256:" + "A" * 43, "t": made})
        command.downgrade(alembic_config(engine), "0011")
        assert not COLUMNS & supplier_columns(engine) and supplier_indexes(engine) == indexes
        with engine.begin() as conn:
            assert conn.execute(text("SELECT name FROM suppliers")).scalar_one() == "acme"
        upgrade(engine)
        assert is_current(engine) and COLUMNS <= supplier_columns(engine)
    finally:
        engine.dispose()
