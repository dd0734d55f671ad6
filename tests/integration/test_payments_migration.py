"""Migration 0020 (payments) creates exactly the models' tables, columns, indexes and unique keys,
keeps the orders already stored, and goes back down, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, is_current, make_engine, upgrade
from connector.payments.models import OrderPayment, PaymentCharge

MODELS = [OrderPayment, PaymentCharge]
TABLES = {m.__tablename__ for m in MODELS}


def test_0020_creates_the_payment_tables_as_modelled_and_removes_them_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0019")
        assert not TABLES & set(inspect(engine).get_table_names())
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '1001', '#1001', 'open', :t, :t, false, :t)"), {"t": made})
        upgrade(engine)
        assert is_current(engine)
        found = inspect(engine)
        for model in MODELS:
            columns = {c["name"]: c for c in found.get_columns(model.__tablename__)}
            assert set(columns) == {c.name for c in model.__table__.columns}, model.__tablename__
            for column in model.__table__.columns:
                assert columns[column.name]["nullable"] == column.nullable, (model.__tablename__, column.name)
            assert ({i["name"] for i in found.get_indexes(model.__tablename__)}
                    >= {i.name for i in model.__table__.indexes})
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO payment_charges (shop_id, order_id, kind, amount, currency, idempotency_key, "
                "final, state, created_at) VALUES (1, 1, 'capture', 12.50, 'EUR', 'k-1', false, 'pending', :t)"),
                {"t": made})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO payment_charges (shop_id, order_id, kind, amount, currency, idempotency_key, "
                "final, state, created_at) VALUES (1, 1, 'capture', 1, 'EUR', 'k-1', false, 'pending', :t)"),
                {"t": made})
        command.downgrade(alembic_config(engine), "0019")
        assert not TABLES & set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            assert conn.execute(text("SELECT name FROM orders")).scalar_one() == "#1001"
        upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
