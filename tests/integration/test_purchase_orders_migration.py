"""Migration 0018 (purchase orders batched to the supplier's minimum) upgrades and downgrades cleanly
on SQLite and PostgreSQL, keeping the purchase orders and lines already stored."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from connector.db.engine import alembic_config, make_engine, upgrade

NEW_ORDER_COLUMNS = {"channel", "total_units", "total_value", "currency", "trigger", "reasons", "approved_by",
                     "approved_at", "sent_at", "send_attempts", "next_attempt_at", "last_error", "dispatch_ref",
                     "receipts", "received_at", "cancelled_at", "updated_at", "expected_date_source"}
NEW_LINE_COLUMNS = {"supplier_sku", "quantity_needed", "unit_cost", "quantity_received"}


def columns(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0018_extends_purchase_orders_adds_the_backorder_links_and_downgrades_keeping_old_rows(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0017")
        assert not NEW_ORDER_COLUMNS & columns(engine, "purchase_orders")
        assert "purchase_order_backorders" not in inspect(engine).get_table_names()
        made = datetime(2026, 12, 2, 10, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (platform, domain, credentials, status, created_at) "
                              "VALUES ('shopify', 'm.myshopify.com', 'x', 'active', :t)"), {"t": made})
            conn.execute(text("INSERT INTO suppliers (shop_id, name, kind, settings, handling_days, transit_days, "
                              "status, consecutive_failures, created_at) "
                              "VALUES (1, 'Acme', 'http_json', '{}', 0, 0, 'active', 0, :t)"), {"t": made})
            conn.execute(text("INSERT INTO purchase_orders (shop_id, supplier_id, status, idempotency_key, "
                              "created_at) VALUES (1, 1, 'placed', 'po-key-1', :t)"), {"t": made})
            conn.execute(text("INSERT INTO purchase_order_lines (shop_id, purchase_order_id, sku, quantity) "
                              "VALUES (1, 1, 'MUG', 12)"))
        upgrade(engine, "0018")
        assert NEW_ORDER_COLUMNS <= columns(engine, "purchase_orders")
        assert NEW_LINE_COLUMNS <= columns(engine, "purchase_order_lines")
        assert {"purchase_order_line_id", "backorder_id", "quantity"} <= columns(engine, "purchase_order_backorders")
        assert {"receipt_no", "sku", "quantity", "allocated_at"} <= columns(engine, "purchase_order_receipts")
        indexes = {i["name"] for i in inspect(engine).get_indexes("purchase_orders")}
        assert "ix_purchase_orders_shop_status" in indexes
        with engine.begin() as conn:
            row = conn.execute(text("SELECT status, total_units, send_attempts, receipts FROM purchase_orders")).one()
            assert tuple(row) == ("placed", 0, 0, 0)
            line = conn.execute(text("SELECT quantity, quantity_needed, quantity_received "
                                     "FROM purchase_order_lines")).one()
            assert tuple(line) == (12, 0, 0)
        command.downgrade(alembic_config(engine), "0017")
        assert not NEW_ORDER_COLUMNS & columns(engine, "purchase_orders")
        assert not NEW_LINE_COLUMNS & columns(engine, "purchase_order_lines")
        assert not {"purchase_order_backorders", "purchase_order_receipts"} & set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            assert conn.execute(text("SELECT idempotency_key FROM purchase_orders")).scalar_one() == "po-key-1"
            assert conn.execute(text("SELECT quantity FROM purchase_order_lines")).scalar_one() == 12
        upgrade(engine, "0018")
        assert NEW_ORDER_COLUMNS <= columns(engine, "purchase_orders")
    finally:
        engine.dispose()
