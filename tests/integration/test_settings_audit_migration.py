"""Migration 0022 (settings audit, job results) upgrades and downgrades cleanly on SQLite and PostgreSQL,
keeping the job runs already recorded."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, make_engine, upgrade


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0022_adds_the_settings_audit_and_job_results_and_downgrades_keeping_runs(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0021")
        assert "shop_setting_changes" not in inspect(engine).get_table_names()
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO job_runs (job, args, shop_id, status, attempts, requeues, enqueued_at, "
                              "due_at) VALUES ('jobs.shops.reconcile', '[1]', 1, 'done', 1, 0, :t, :t)"), {"t": made})
        upgrade(engine, "0022")
        assert {"shop_id", "key", "old_value", "new_value", "old_default", "actor", "source", "changed_at"} <= \
            columns(engine, "shop_setting_changes")
        assert "result" in columns(engine, "job_runs")
        assert "ix_job_runs_shop_job" in {i["name"] for i in inspect(engine).get_indexes("job_runs")}
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shop_setting_changes (shop_id, key, old_value, new_value, actor, source, "
                              "changed_at) VALUES (1, 'notify.grace_days', '7', '3', 'cli:me', 'cli', :t)"),
                         {"t": made})
            assert conn.execute(text("SELECT old_default FROM shop_setting_changes")).scalar_one() in (False, 0)
            assert conn.execute(text("SELECT result FROM job_runs")).scalar_one() is None
        command.downgrade(alembic_config(engine), "0021")
        assert "shop_setting_changes" not in inspect(engine).get_table_names()
        assert "result" not in columns(engine, "job_runs")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT job FROM job_runs")).scalar_one() == "jobs.shops.reconcile"
        upgrade(engine, "0022")
        assert "result" in columns(engine, "job_runs")
    finally:
        engine.dispose()
