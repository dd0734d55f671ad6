"""Migration 0016 (backorders close when their units ship) upgrades and downgrades cleanly on SQLite
and PostgreSQL: the new columns and the backorder_shipments table appear, rows already stored keep
their values, a drop-ship backorder closed before it is marked as closed by drop-ship, and the
shipment dedupe key holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, make_engine, upgrade


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0016_adds_shipment_columns_and_table_keeps_rows_and_removes_them_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0015")
        assert "backorder_shipments" not in inspect(engine).get_table_names()
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                              "platform_updated_at, needs_mark, captured_at) "
                              "VALUES (1, '450789469', '#1001', 'open', :t, :t, false, :t)"), {"t": made})
            for line_id, status in (("1", "open"), ("2", "fulfilled")):
                conn.execute(text("INSERT INTO order_lines (shop_id, order_id, platform_line_id, sku, title, "
                                  "quantity) VALUES (1, 1, :l, 'SKU', 't', 3)"), {"l": line_id})
                conn.execute(text("INSERT INTO backorders (shop_id, order_line_id, sku, quantity_backordered, "
                                  "status, created_at, updated_at) VALUES (1, :l, 'SKU', 2, :s, :t, :t)"),
                             {"l": int(line_id), "s": status, "t": made})
        upgrade(engine, "0016")
        assert {"quantity_shipped", "fulfilled_via"} <= columns(engine, "backorders")
        assert {"quantity_fulfilled", "unit_price"} <= columns(engine, "order_lines")
        assert "currency" in columns(engine, "orders")
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT status, quantity_shipped, fulfilled_via FROM backorders "
                                     "ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [("open", 0, None), ("fulfilled", 2, "dropship")]
            line = conn.execute(text("SELECT quantity, quantity_fulfilled, unit_price FROM order_lines "
                                     "WHERE id = 1")).one()
            assert tuple(line) == (3, 0, None)
            assert conn.execute(text("SELECT currency FROM orders")).scalar_one() is None
            conn.execute(text("INSERT INTO backorder_shipments (shop_id, backorder_id, quantity, shipped_at, via, "
                              "reference) VALUES (1, 1, 1, :t, 'merchant', 'fulfillment:255858046')"), {"t": made})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO backorder_shipments (shop_id, backorder_id, quantity, shipped_at, via, "
                              "reference) VALUES (1, 1, 1, :t, 'merchant', 'fulfillment:255858046')"), {"t": made})
        command.downgrade(alembic_config(engine), "0015")
        assert "backorder_shipments" not in inspect(engine).get_table_names()
        assert not {"quantity_shipped", "fulfilled_via"} & columns(engine, "backorders")
        assert not {"quantity_fulfilled", "unit_price"} & columns(engine, "order_lines")
        assert "currency" not in columns(engine, "orders")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM backorders")).scalar_one() == 2
        upgrade(engine, "0016")
        assert "backorder_shipments" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
