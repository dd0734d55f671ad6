"""Migration 0019 (selling plans) creates exactly the models' tables, columns and unique keys, keeps the
shops already stored, and goes back down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, make_engine, upgrade
from connector.payments.plan_models import SellingPlanGroupRow, SellingPlanVariant

MODELS = [SellingPlanGroupRow, SellingPlanVariant]
TABLES = {m.__tablename__ for m in MODELS}
MADE = datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_0019_creates_the_selling_plan_tables_as_modelled_and_removes_them_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0018")
        assert not TABLES & set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": MADE})
        upgrade(engine, "0019")
        found = inspect(engine)
        for model in MODELS:
            columns = {c["name"]: c for c in found.get_columns(model.__tablename__)}
            assert set(columns) == {c.name for c in model.__table__.columns}, model.__tablename__
            for column in model.__table__.columns:
                assert columns[column.name]["nullable"] == column.nullable, (model.__tablename__, column.name)
            uniques = {tuple(u["column_names"]) for u in found.get_unique_constraints(model.__tablename__)}
            modelled = {tuple(c.name for c in u.columns) for u in model.__table__.constraints
                        if u.__class__.__name__ == "UniqueConstraint"}
            modelled |= {(c.name,) for c in model.__table__.columns if c.unique}
            assert uniques == modelled, model.__tablename__
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO selling_plan_groups (shop_id, group_id, created_at, updated_at) "
                              "VALUES (1, 'gid://shopify/SellingPlanGroup/1', :t, :t)"), {"t": MADE})
            conn.execute(text("INSERT INTO selling_plan_variants (shop_id, variant_id, sku, attached_at) "
                              "VALUES (1, '11', 'MUG', :t)"), {"t": MADE})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO selling_plan_variants (shop_id, variant_id, sku, attached_at) "
                              "VALUES (1, '11', 'MUG', :t)"), {"t": MADE})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO selling_plan_groups (shop_id, created_at, updated_at) "
                              "VALUES (1, :t, :t)"), {"t": MADE})
        command.downgrade(alembic_config(engine), "0018")
        assert not TABLES & set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            assert conn.execute(text("SELECT domain FROM shops")).scalar_one() == "m.myshopify.com"
        upgrade(engine, "0019")
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
