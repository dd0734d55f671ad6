"""Migration 0017 (allocation of arriving stock) upgrades and downgrades cleanly on SQLite and
PostgreSQL, keeping the backorders and orders already stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, is_current, make_engine, upgrade


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0017_adds_allocation_storage_keeps_backorders_and_removes_it_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0016")
        assert "quantity_allocated" not in columns(engine, "backorders")
        assert "allocations" not in inspect(engine).get_table_names()
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '1001', '#1001', 'open', :t, :t, false, :t)"), {"t": made})
            conn.execute(text("INSERT INTO order_lines (shop_id, order_id, platform_line_id, title, quantity) "
                              "VALUES (1, 1, 'l1', 'Mug', 2)"))
            conn.execute(text("INSERT INTO backorders (shop_id, order_line_id, sku, quantity_backordered, "
                              "status, created_at, updated_at) VALUES (1, 1, 'MUG', 2, 'open', :t, :t)"),
                         {"t": made})
        upgrade(engine)
        assert is_current(engine)
        assert {"quantity_allocated", "allocated_at"} <= columns(engine, "backorders")
        assert "tags" in columns(engine, "orders")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT quantity_allocated FROM backorders")).scalar_one() == 0
            conn.execute(text("INSERT INTO allocations (shop_id, backorder_id, quantity, source, reference, "
                              "created_at) VALUES (1, 1, 2, 'store_stock', 'r1', :t)"), {"t": made})
            conn.execute(text("INSERT INTO stock_arrivals (shop_id, source, reference, units, units_allocated, "
                              "received_at) VALUES (1, 'store_stock', 'r1', 2, 2, :t)"), {"t": made})
            conn.execute(text("INSERT INTO stock_positions (shop_id, stock_key, in_hand, credit) "
                              "VALUES (1, 'v1', 0, 0)"))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO allocations (shop_id, backorder_id, quantity, source, reference, "
                              "created_at) VALUES (1, 1, 1, 'store_stock', 'r1', :t)"), {"t": made})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO stock_arrivals (shop_id, source, reference, units, units_allocated, "
                              "received_at) VALUES (1, 'store_stock', 'r1', 5, 0, :t)"), {"t": made})
        command.downgrade(alembic_config(engine), "0016")
        assert "quantity_allocated" not in columns(engine, "backorders")
        assert "tags" not in columns(engine, "orders")
        assert not {"allocations", "stock_arrivals", "stock_positions"} & set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            assert conn.execute(text("SELECT sku, quantity_backordered FROM backorders")).one() == ("MUG", 2)
        upgrade(engine)
        assert is_current(engine)
    finally:
        engine.dispose()
