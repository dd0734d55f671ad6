"""The sales history read over the Shopify and WooCommerce simulators (loopback HTTP), on SQLite and
PostgreSQL: paged, resumable from its cursor without counting twice, then kept current from captured
orders (new orders add, a cancellation takes off)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.http import HttpRetry, HttpTransport
from adapters.shopify import ShopifyGraphQL
from adapters.shopify.sales_history import ShopifySalesHistory
from adapters.woocommerce import WooCommerceClient
from adapters.woocommerce.sales_history import WooCommerceSalesHistory
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.models import Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.reorder.history import fold_captured, progress, read_history
from connector.reorder.models import SalesDaily
from connector.shops import add_shop
from sandbox.serve import serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.shopify_sim.graphql_api import build_cached_schema
from sandbox.woocommerce_sim import WooCommerceSimulator

SHOP = "mugs.myshopify.com"
TOKEN = "shpat_sales"
STORE = "https://woo.example"
KEY, SECRET = "ck_sales", "cs_sales"
DAY = datetime(2026, 11, 2, 10, tzinfo=UTC)


@pytest.fixture
def uow(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


def days(uow: UnitOfWork, shop_id: int) -> dict[tuple[str, date], tuple[int, int]]:
    with uow:
        rows = uow.session.execute(select(SalesDaily.sku, SalesDaily.day, SalesDaily.units, SalesDaily.orders)
                                   .where(SalesDaily.shop_id == shop_id)).all()
    return {(sku, day): (units, orders) for sku, day, units, orders in rows if units or orders}


def transport() -> HttpTransport:
    return HttpTransport(timeout=5, retry=HttpRetry(max_attempts=3, base_delay=0.01), name="t")


@pytest.fixture
def shopify(shopify_schema_sdl: str):
    sim = ShopifySimulator({"api_secret": "s", "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": TOKEN, "products": [{"title": "Mug", "variants": [
            {"sku": "MUG", "price": "12.00", "inventory_quantity": 100, "inventory_policy": "CONTINUE"},
            {"sku": "CUP", "price": "8.00", "inventory_quantity": 100, "inventory_policy": "CONTINUE"}]}]}]},
        schema=build_cached_schema(shopify_schema_sdl), restore_rate=1000.0)
    handle = serve_in_thread(sim.app)
    yield sim, ShopifyGraphQL(SHOP, TOKEN, api_base=handle.url + "/", transport=transport())
    handle.stop()


def capture(uow: UnitOfWork, shop_id: int, order_id: str, at: datetime, lines: list[tuple[str, int]], *,
            status: str = "open", updated: datetime | None = None) -> None:
    """Store an order as capture does (or update its status and lines)."""
    with uow:
        order = uow.session.scalar(select(Order).where(Order.shop_id == shop_id, Order.platform_order_id == order_id))
        if order is None:
            order = Order(shop_id=shop_id, platform_order_id=order_id, name=f"#{order_id}", ordered_at=at,
                          platform_updated_at=updated or at, status=status)
            for n, (sku, quantity) in enumerate(lines):
                order.lines.append(OrderLine(shop_id=shop_id, platform_line_id=f"{order_id}-{n}", sku=sku,
                                             quantity=quantity))
            uow.session.add(order)
        else:
            order.status = status
            order.platform_updated_at = updated or at
        uow.commit()


def test_shopify_history_is_read_in_pages_resumes_without_counting_twice_and_follows_captured_orders(uow, shopify):
    sim, client = shopify
    shop_id = add_shop(uow, CredentialBox(generate_key()), Platform.SHOPIFY, SHOP,
                       ShopCredentials(access_token=TOKEN)).id
    ids = []
    for n, (sku, quantity) in enumerate([("MUG", 2), ("MUG", 1), ("CUP", 3), ("MUG", 4), ("CUP", 1)]):
        order = sim.create_order(SHOP, [{"sku": sku, "quantity": quantity}, {"sku": "CUP", "quantity": 1}],
                                 deliver_webhook=False, created_at=DAY + timedelta(days=n // 2, hours=n))
        ids.append(str(order["id"]))
    sim.cancel_order(SHOP, ids[3], deliver_webhook=False)  # the 4 MUG of day 2 never sold
    source = ShopifySalesHistory(client, page_size=2)
    now = DAY + timedelta(days=10)

    first = read_history(uow, source, shop_id, now, max_pages=1)
    assert (first.status, first.pages, first.orders_read) == ("running", 1, 2)
    done = read_history(uow, source, shop_id, now)  # resumes at the kept cursor
    assert (done.status, done.pages, done.orders_read) == ("done", 3, 5)

    expected = {("MUG", date(2026, 11, 2)): (3, 2), ("CUP", date(2026, 11, 2)): (2, 2),
                ("CUP", date(2026, 11, 3)): (4, 1), ("CUP", date(2026, 11, 4)): (2, 1)}
    assert days(uow, shop_id) == expected
    assert read_history(uow, source, shop_id, now).status == "done"  # nothing more to read
    read_history(uow, source, shop_id, now, restart=True)  # read again in full: the ledger counts nothing twice
    assert days(uow, shop_id) == expected

    # later, capture stores a new order and the first order's cancellation
    capture(uow, shop_id, "9001", now + timedelta(hours=1), [("MUG", 5)])
    capture(uow, shop_id, ids[0], DAY, [("MUG", 2), ("CUP", 1)], status="cancelled", updated=now + timedelta(hours=2))
    assert fold_captured(uow, shop_id, now + timedelta(days=1)) == 2
    after = days(uow, shop_id)
    assert after[("MUG", date(2026, 11, 12))] == (5, 1)
    assert after[("MUG", date(2026, 11, 2))] == (1, 1) and after[("CUP", date(2026, 11, 2))] == (1, 1)
    fold_captured(uow, shop_id, now + timedelta(days=1))  # folding again changes nothing
    assert days(uow, shop_id) == after


def test_a_failed_page_is_recorded_and_the_next_run_resumes_from_it(uow, shopify):
    sim, client = shopify
    shop_id = add_shop(uow, CredentialBox(generate_key()), Platform.SHOPIFY, SHOP,
                       ShopCredentials(access_token=TOKEN)).id
    for n in range(3):
        sim.create_order(SHOP, [{"sku": "MUG", "quantity": 1}], deliver_webhook=False,
                         created_at=DAY + timedelta(hours=n))

    class FailingOnce:
        calls = 0

        def sales_page(self, cursor: str | None, until: datetime) -> Any:
            self.calls += 1
            if self.calls == 2:
                raise ConnectionError("network down")
            return ShopifySalesHistory(client, page_size=1).sales_page(cursor, until)

    source = FailingOnce()
    with pytest.raises(ConnectionError):
        read_history(uow, source, shop_id, DAY + timedelta(days=1))
    failed = progress(uow, shop_id)
    assert (failed.status, failed.orders_read) == ("failed", 1)
    assert read_history(uow, source, shop_id, DAY + timedelta(days=1)).orders_read == 3
    assert days(uow, shop_id) == {("MUG", date(2026, 11, 2)): (3, 3)}


class Clock:
    def __init__(self) -> None:
        self.now = DAY

    def __call__(self) -> datetime:
        return self.now


def test_woocommerce_history_is_read_by_page_with_its_total_and_refunds_taken_off(uow):
    clock = Clock()
    sim = WooCommerceSimulator({"stores": [{
        "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "webhook_secret": "w",
        "products": [{"name": "Tea", "sku": "TEA", "price": "8.00", "manage_stock": True, "stock_quantity": 50,
                      "backorders": "notify"}]}]}, clock=clock)
    handle = serve_in_thread(sim.app)
    try:
        shop_id = add_shop(uow, CredentialBox(generate_key()), Platform.WOOCOMMERCE, STORE,
                           ShopCredentials(consumer_key=KEY, consumer_secret=SECRET)).id
        orders = []
        for n in range(5):
            clock.now = DAY + timedelta(days=n // 2, hours=n)
            orders.append(sim.create_order(STORE, [{"sku": "TEA", "quantity": n + 1}],
                                           deliver_webhook=False))
        sim.cancel_order(STORE, orders[1]["id"], deliver_webhook=False)
        line_id = orders[2]["line_items"][0]["id"]
        sim.refund_order(STORE, orders[2]["id"], {line_id: 2}, deliver_webhook=False)
        client = WooCommerceClient(STORE, KEY, SECRET, api_base=handle.url, transport=transport())
        source = WooCommerceSalesHistory(client, page_size=2)
        first = read_history(uow, source, shop_id, DAY + timedelta(days=5), max_pages=1)
        assert (first.orders_read, first.orders_total) == (2, 5)
        done = read_history(uow, source, shop_id, DAY + timedelta(days=5))
        assert (done.status, done.orders_read) == ("done", 5)
        # day 1: 1 (the 2 cancelled); day 2: 3 - 2 refunded + 4; day 3: 5
        assert days(uow, shop_id) == {("TEA", date(2026, 11, 2)): (1, 1), ("TEA", date(2026, 11, 3)): (5, 2),
                                      ("TEA", date(2026, 11, 4)): (5, 1)}
    finally:
        handle.stop()


def test_the_default_shopify_page_stays_under_the_query_cost_limit_and_completes_long_orders(uow, shopify):
    sim, client = shopify
    shop_id = add_shop(uow, CredentialBox(generate_key()), Platform.SHOPIFY, SHOP,
                       ShopCredentials(access_token=TOKEN)).id
    for n in range(44):
        sim.create_order(SHOP, [{"sku": "MUG", "quantity": 1}], deliver_webhook=False,
                         created_at=DAY + timedelta(hours=n))
    sim.create_order(SHOP, [{"sku": "CUP", "quantity": 1}] * 25, deliver_webhook=False,  # 25 lines: a second page
                     created_at=DAY + timedelta(hours=50))
    done = read_history(uow, ShopifySalesHistory(client), shop_id, DAY + timedelta(days=5))  # 40 a page
    assert (done.status, done.pages, done.orders_read) == ("done", 2, 45)
    assert days(uow, shop_id) == {("MUG", date(2026, 11, 2)): (14, 14), ("MUG", date(2026, 11, 3)): (24, 24),
                                  ("MUG", date(2026, 11, 4)): (6, 6), ("CUP", date(2026, 11, 4)): (25, 1)}
