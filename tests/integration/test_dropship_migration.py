"""Migration 0006 (drop-ship) creates exactly the models' tables and columns, and goes back down,
on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from connector.db.engine import alembic_config, make_engine, upgrade
from connector.dropship import models as models_dropship

MODELS = [models_dropship.RoutingDecision, models_dropship.DropshipOrder, models_dropship.DropshipFulfillment,
          models_dropship.FulfillmentHoldRecord, models_dropship.DropshipAlert,
          models_dropship.FulfillmentServiceNotification]
TABLES = {m.__tablename__ for m in MODELS}
LATER = {"fulfillment_holds": {"order_id"}}
"""Columns a later revision adds (0027: the whole-order holds of a "ship together" order)."""


def test_0006_creates_the_drop_ship_tables_as_modelled_and_removes_them_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0006")
        found = inspect(engine)
        assert TABLES <= set(found.get_table_names())
        for model in MODELS:
            columns = {c["name"]: c for c in found.get_columns(model.__tablename__)}
            later = LATER.get(model.__tablename__, set())
            assert set(columns) == {c.name for c in model.__table__.columns} - later, model.__tablename__
            for column in model.__table__.columns:
                if column.name not in later:
                    assert columns[column.name]["nullable"] == column.nullable, (model.__tablename__, column.name)
        command.downgrade(alembic_config(engine), "0005")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0006")
        assert TABLES <= set(inspect(engine).get_table_names())
        upgrade(engine, "head")
        for model in MODELS:  # at head every modelled column exists
            names = {c["name"] for c in inspect(engine).get_columns(model.__tablename__)}
            assert names == {c.name for c in model.__table__.columns}, model.__tablename__
    finally:
        engine.dispose()
