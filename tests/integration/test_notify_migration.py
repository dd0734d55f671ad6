"""Migration 0003 (notify) upgrades and downgrades cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from connector.db.engine import alembic_config, make_engine, upgrade

TABLES = {"notify_states", "notify_messages", "delay_decisions", "discount_codes", "pileup_alerts"}


def test_0003_creates_the_notify_tables_and_removes_them_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        assert TABLES <= set(inspect(engine).get_table_names())
        indexes = {i["name"]: i for i in inspect(engine).get_indexes("pileup_alerts")}
        assert indexes["ix_pileup_alerts_open"]["unique"]
        command.downgrade(alembic_config(engine), "0002")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0003")
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
