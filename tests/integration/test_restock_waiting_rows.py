"""The ranking's input (connector/restock/repository.py ``waiting_rows``): open backorders still short,
of open orders, by SKU or by stock position, with their line and order columns, and ``ordered_at`` aware
in UTC whatever the session's time zone. On PostgreSQL the statement goes to the driver as text; it must
return what the Core select (the definition) returns; on SQLite too, where the driver's rows are taken as
they come. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from connector.crypto import CredentialBox
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.restock.repository import RestockRepository
from connector.shops import add_shop

START = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)

# (sku, stock key, order status, backorder status, backordered, allocated, order tags)
ROWS = [
    ("A", "k1", "open", "open", 3, 0, None),          # waiting
    ("A", "k1", "open", "open", 3, 1, "vip, x"),      # waiting, partial
    ("A", "k2", "open", "open", 2, 2, None),          # open but nothing short: not waiting
    ("A", "k1", "open", "allocated", 2, 2, None),     # allocated: not waiting
    ("A", "k1", "closed", "open", 2, 0, None),        # order closed: not waiting
    ("B", "k3", "open", "open", 1, 0, ""),            # waiting, another SKU
    ("C", "k4", "open", "cancelled", 1, 0, None),     # cancelled: not waiting
]


def seeded(url: str) -> tuple[UnitOfWork, int, int]:
    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    box = CredentialBox(Fernet.generate_key().decode())
    shop_id = add_shop(uow, box, Platform.SHOPIFY, "waiting.myshopify.com", ShopCredentials(access_token="t")).id
    other = add_shop(uow, box, Platform.SHOPIFY, "other.myshopify.com", ShopCredentials(access_token="t")).id
    with engine.begin() as conn:
        for shop in (shop_id, other):
            for n, (sku, key, order_status, status, quantity, allocated, tags) in enumerate(ROWS):
                placed = START + timedelta(hours=n)
                order_id = conn.execute(insert(Order).returning(Order.id), {
                    "shop_id": shop, "platform_order_id": str(7000 + n), "name": f"#{n}", "status": order_status,
                    "ordered_at": placed, "platform_updated_at": placed, "needs_mark": False,
                    "captured_at": placed, "tags": tags}).scalar_one()
                line_id = conn.execute(insert(OrderLine).returning(OrderLine.id), {
                    "shop_id": shop, "order_id": order_id, "platform_line_id": f"L{n}", "sku": sku,
                    "variant_id": key, "stock_key": key, "title": sku, "quantity": quantity}).scalar_one()
                conn.execute(insert(Backorder), {
                    "shop_id": shop, "order_line_id": line_id, "sku": sku, "stock_key": key,
                    "quantity_backordered": quantity, "quantity_allocated": allocated, "status": status,
                    "created_at": placed, "updated_at": placed})
    return uow, shop_id, other


def core_rows(uow: UnitOfWork, shop_id: int, column, values) -> list[tuple]:
    """The definition, as a Core select."""
    return [tuple(row) for row in uow.session.execute(
        select(Backorder.id, Backorder.sku, Backorder.stock_key, Backorder.quantity_backordered,
               Backorder.quantity_allocated, Order.platform_order_id, OrderLine.platform_line_id,
               Order.ordered_at, Order.tags)
        .join(OrderLine, OrderLine.id == Backorder.order_line_id).join(Order, Order.id == OrderLine.order_id)
        .where(Backorder.shop_id == shop_id, Backorder.status == "open", Order.status == "open",
               Backorder.quantity_allocated < Backorder.quantity_backordered, column.in_(values)))]


def test_waiting_rows_are_the_short_open_backorders_of_open_orders_by_sku_or_key(database_url):
    uow, shop_id, _ = seeded(database_url)
    with uow:
        repo = uow.repo(RestockRepository)
        by_sku = sorted(tuple(row) for row in repo.waiting_rows(shop_id, skus={"A", "B"}))
        by_key = sorted(tuple(row) for row in repo.waiting_rows(shop_id, keys=["k1"]))
        assert by_sku == sorted(core_rows(uow, shop_id, Backorder.sku, ["A", "B"]))
        assert by_key == sorted(core_rows(uow, shop_id, Backorder.stock_key, ["k1"]))
        assert list(repo.waiting_rows(shop_id, skus=[])) == []
    assert [(row[1], row[2], row[3], row[4], row[5], row[6], row[8]) for row in by_sku] == [
        ("A", "k1", 3, 0, "7000", "L0", None), ("A", "k1", 3, 1, "7001", "L1", "vip, x"),
        ("B", "k3", 1, 0, "7005", "L5", "")]
    assert [row[6] for row in by_key] == ["L0", "L1"]
    for row in by_sku:
        assert row[7] == START + timedelta(hours=int(row[5]) - 7000)
        assert row[7].utcoffset() == timedelta(0) and row[7].isoformat().endswith("+00:00")


def test_ordered_at_comes_back_in_utc_when_the_sessions_time_zone_is_another(database_url):
    uow, shop_id, _ = seeded(database_url)
    with uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            uow.session.connection().exec_driver_sql("SET LOCAL TIME ZONE 'America/New_York'")
        rows = sorted(tuple(row) for row in uow.repo(RestockRepository).waiting_rows(shop_id, skus=["A"]))
    assert [row[7] for row in rows] == [START, START + timedelta(hours=1)]
    assert [row[7].isoformat() for row in rows] == ["2026-11-01T09:30:00+00:00", "2026-11-01T10:30:00+00:00"]
