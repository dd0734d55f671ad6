"""Migration 0026 (sales history and stored reorder advice) upgrades and downgrades cleanly on SQLite and
PostgreSQL: its four tables, the stored advice's indexes for the page's sorts, and the shops kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, make_engine, upgrade

TABLES = {"sales_daily", "sales_orders", "sales_history", "reorder_advice"}


def tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return set(inspect(engine).get_table_names())


def test_0026_adds_the_sales_history_and_stored_advice_tables_and_removes_them_on_downgrade(
        database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0025")
        assert not TABLES & tables(engine)
        made = datetime(2026, 12, 2, 9, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 's.myshopify.com', 'x', 'active', :t)"), {"t": made})
        upgrade(engine, "0026")
        assert TABLES <= tables(engine)
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("reorder_advice")}
        assert indexes["ix_reorder_advice_shop_urgency"] == ["shop_id", "urgency_rank"]
        assert indexes["ix_reorder_advice_shop_date"] == ["shop_id", "date_rank"]
        assert indexes["ix_reorder_advice_shop_status"] == ["shop_id", "status"]
        assert {"advice_at", "advice_for"} <= {c["name"] for c in inspect(engine).get_columns("sales_history")}
        with engine.begin() as conn:
            shop_id = conn.execute(text("SELECT id FROM shops")).scalar_one()
            row = {"shop": shop_id, "day": date(2026, 12, 2), "at": made}
            conn.execute(text(
                "INSERT INTO reorder_advice (shop_id, sku, status, urgency_rank, date_rank, on_order, history_days, "
                "reasons, as_of, computed_at) VALUES (:shop, 'MUG', 'ok', 0, 0, 0, 90, '[]', :day, :at)"), row)
            with pytest.raises(IntegrityError), conn.begin_nested():  # one row per shop and SKU
                conn.execute(text(
                    "INSERT INTO reorder_advice (shop_id, sku, status, urgency_rank, date_rank, on_order, "
                    "history_days, reasons, as_of, computed_at) VALUES (:shop, 'MUG', 'ok', 1, 1, 0, 90, '[]', "
                    ":day, :at)"), row)
        command.downgrade(alembic_config(engine), "0025")
        assert not TABLES & tables(engine)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT domain FROM shops")).scalar_one() == "s.myshopify.com"
        upgrade(engine, "0026")
        assert TABLES <= tables(engine)
    finally:
        engine.dispose()
