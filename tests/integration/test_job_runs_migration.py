"""Migration 0008 (job runs) upgrades and downgrades cleanly on SQLite and PostgreSQL, and matches the model."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from connector.db.engine import alembic_config, make_engine, upgrade
from connector.db.models_jobs import JobRun

ADDED_LATER = {"result", "trigger"}
"""Columns later migrations add (0022: what a done run returned; 0032: who started it)."""


def test_0008_creates_job_runs_as_the_model_declares_and_removes_it_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0008")
        columns = {c["name"] for c in inspect(engine).get_columns("job_runs")}
        assert columns == {c.name for c in JobRun.__table__.columns} - ADDED_LATER
        indexes = {i["name"] for i in inspect(engine).get_indexes("job_runs")}
        assert {"ix_job_runs_status_due", "ix_job_runs_status_finished", "ix_job_runs_shop_id"} <= indexes
        unique = inspect(engine).get_unique_constraints("job_runs")
        assert [u["column_names"] for u in unique] == [["dedupe_key"]]
        command.downgrade(alembic_config(engine), "0007")
        assert "job_runs" not in inspect(engine).get_table_names()
        upgrade(engine, "0008")
        assert "job_runs" in inspect(engine).get_table_names()
        upgrade(engine)
        at_head = {c["name"] for c in inspect(engine).get_columns("job_runs")}
        assert at_head == {c.name for c in JobRun.__table__.columns}
    finally:
        engine.dispose()
