"""Migration 0038 (the partial index for claiming a shop's pending events as a batch) upgrades and
downgrades cleanly on SQLite and PostgreSQL, and the batch claim's query uses it on PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, make_engine, upgrade


def event_indexes(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {i["name"] for i in inspect(engine).get_indexes("webhook_events")}


def test_0038_adds_the_pending_index_and_removes_it_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0037")
        before = event_indexes(engine)
        assert "ix_webhook_events_shop_pending" not in before
        upgrade(engine, "0038")
        assert event_indexes(engine) == before | {"ix_webhook_events_shop_pending"}
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execute(text("SET enable_seqscan = off"))  # an empty table: ask which index fits
                plan = "\n".join(row[0] for row in conn.execute(text(
                    "EXPLAIN SELECT id FROM webhook_events WHERE shop_id = 1 AND status = 'pending' "
                    "AND id != 5 ORDER BY id LIMIT 49")))
            assert "ix_webhook_events_shop_pending" in plan
        command.downgrade(alembic_config(engine), "0037")
        assert event_indexes(engine) == before
    finally:
        engine.dispose()
