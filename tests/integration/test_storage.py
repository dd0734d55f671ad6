"""Storage on SQLite and on the real PostgreSQL server: migrations, the inbox, claims, capture under load."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect

from connector.capture.capture import capture_order
from connector.capture.reporting import list_backorders
from connector.db.engine import alembic_config, is_current, make_engine, upgrade
from connector.db.inbox import store_event
from connector.domain.errors import DuplicateShop
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop, list_shops, resolve_shop
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform


def test_migrations_create_every_table_and_go_back_down(engine):
    assert is_current(engine)
    assert {"shops", "webhook_events", "orders", "order_lines", "backorders"} <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(engine), "base")
    assert "shops" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert is_current(engine)


def test_credentials_are_stored_encrypted(uow, box, shop_id):
    with uow:
        shop = uow.shops.get(shop_id)
        assert "t" != shop.credentials and box.open(shop.credentials).access_token == "t"


def test_a_shop_is_added_once_and_found_by_its_domain_or_url(uow, box, shop_id):
    with pytest.raises(DuplicateShop):
        add_shop(uow, box, Platform.SHOPIFY, "STORE.myshopify.com", ShopCredentials(access_token="x"))
    add_shop(uow, box, Platform.WOOCOMMERCE, "https://Tea.example/", ShopCredentials(consumer_key="k"))
    assert [s.domain for s in list_shops(uow)] == ["store.myshopify.com", "https://tea.example"]
    assert resolve_shop(uow, "https://tea.example/").platform == "woocommerce"
    assert resolve_shop(uow, "tea.example").platform == "woocommerce"


def test_concurrent_deliveries_of_one_event_store_it_once(uow, shop_id):
    barrier = threading.Barrier(8)

    def deliver(_: int):
        barrier.wait()
        return store_event(uow.fresh(), shop_id, "orders/create", "orders/create:event:e-1", {}, b"{}")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(deliver, range(8)))
    assert sum(r.created for r in results) == 1
    assert len({r.event_id for r in results}) == 1


def test_only_one_worker_can_claim_an_event(uow, shop_id):
    stored = store_event(uow, shop_id, "orders/create", "k", {}, b"{}")
    lease = datetime.now(UTC) - timedelta(minutes=5)
    with uow:
        assert uow.events.claim(stored.event_id, lease) is True
        uow.commit()
    with uow:
        assert uow.events.claim(stored.event_id, lease) is False


def test_a_claim_older_than_the_lease_can_be_taken_over(uow, shop_id):
    stored = store_event(uow, shop_id, "orders/create", "k", {}, b"{}")
    with uow:
        uow.events.claim(stored.event_id, datetime.now(UTC))
        uow.commit()
    with uow:
        assert uow.events.claim(stored.event_id, datetime.now(UTC) + timedelta(seconds=1)) is True


def test_many_orders_captured_concurrently_share_the_shortage_exactly(uow, shop_id):
    """Twenty orders of one unit each against a variant oversold by 7, captured from 6 threads."""
    store = FakePlatform({"V1": -7})
    orders = [OrderBuilder(str(100 + n), placed=n).line("V1", 1).build() for n in range(20)]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda o: capture_order(uow.fresh(), store, shop_id, o), reversed(orders)))
    rows = list_backorders(uow, shop_id, ["open"])
    assert sorted(r["order_id"] for r in rows) == [str(100 + n) for n in range(13, 20)]
    assert sum(r["quantity_backordered"] for r in rows) == 7


def test_backorders_keep_aware_utc_times(uow, shop_id):
    capture_order(uow, FakePlatform({"V1": -1}), shop_id, OrderBuilder("1").line("V1", 1).build())
    [row] = list_backorders(uow, shop_id)
    assert datetime.fromisoformat(row["created_at"]).utcoffset() == timedelta(0)


def test_on_postgresql_webhook_bodies_are_stored_inline_and_uncompressed(postgres_url):
    from sqlalchemy import text

    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            storage = connection.execute(text(
                "SELECT attstorage FROM pg_attribute WHERE attrelid = 'webhook_events'::regclass AND attname = 'body'"
            )).scalar_one()
            options = connection.execute(text(
                "SELECT reloptions FROM pg_class WHERE oid = 'webhook_events'::regclass")).scalar_one()
    finally:
        engine.dispose()
    assert storage == "e" and "toast_tuple_target=8160" in options
