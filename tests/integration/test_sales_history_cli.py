"""`connector sales-history --shop S` over the WooCommerce simulator (loopback HTTP) on SQLite and PostgreSQL:
the read shows its progress, a read the store breaks off midway fails cleanly with the pages kept, and the next
run resumes at the next page (nothing counted twice), then folds captured orders; --restart reads it all again."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.reorder.history import progress
from connector.reorder.models import SalesDaily
from connector.shops import add_shop
from sandbox.serve import serve_in_thread
from sandbox.woocommerce_sim import WooCommerceSimulator

STORE = "https://woo-history.example"
KEY, SECRET = "ck_history", "cs_history"
ORDERS = 250
"""Three pages of the read's 100 orders."""


class BreakPage:
    """WSGI in front of the simulator: while ``page`` is set, that order page answers 503 (a store that
    breaks off a long read)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.page: str | None = None
        self.broken = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if (self.page is not None and environ.get("PATH_INFO", "").endswith("/orders")
                and f"page={self.page}&" in query + "&"):
            self.broken += 1
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"code": "http_request_failed", "message": "Service unavailable", "data": {"status": 503}}']
        return self.app(environ, start_response)


@pytest.fixture
def store(database_url: str) -> Iterator[tuple[WooCommerceSimulator, BreakPage, dict[str, str], UnitOfWork, int]]:
    now = datetime.now(UTC) - timedelta(days=60)
    clock = {"now": now}
    sim = WooCommerceSimulator({"stores": [{
        "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "webhook_secret": "w",
        "products": [{"name": "Tea", "sku": "TEA", "price": "8.00", "manage_stock": True, "stock_quantity": 10_000,
                      "backorders": "notify"}]}]}, clock=lambda: clock["now"])
    for n in range(ORDERS):
        clock["now"] = now + timedelta(hours=5 * n)
        sim.create_order(STORE, [{"sku": "TEA", "quantity": 1 + n % 3}], deliver_webhook=False)
    front = BreakPage(sim.app)
    handle = serve_in_thread(front)
    key = generate_key()
    engine = make_engine(database_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    shop_id = add_shop(uow, CredentialBox(key), Platform.WOOCOMMERCE, STORE,
                       ShopCredentials(consumer_key=KEY, consumer_secret=SECRET), api_base=handle.url).id
    env = {"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_CONFIG": "",
           "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true", "CONNECTOR_HTTP_MAX_ATTEMPTS": "1",
           "CONNECTOR_LOG_LEVEL": "WARNING"}
    try:
        yield sim, front, env, uow, shop_id
    finally:
        handle.stop()
        engine.dispose()


def units(uow: UnitOfWork, shop_id: int) -> int:
    with uow:
        return int(uow.session.scalar(select(func.coalesce(func.sum(SalesDaily.units), 0))  # type: ignore[union-attr]
                                      .where(SalesDaily.shop_id == shop_id)))


def test_the_read_shows_progress_fails_cleanly_midway_and_resumes_at_the_next_page(store) -> None:
    from connector.cli import main

    sim, front, env, uow, shop_id = store
    expected = sum(1 + n % 3 for n in range(ORDERS))
    runner = CliRunner()
    front.page = "2"
    broken = runner.invoke(main, ["sales-history", "--shop", STORE], env=env)
    assert broken.exit_code == 1, broken.output
    assert "orders read" in broken.output  # the progress bar's label
    assert "503" in broken.output and "Traceback" not in broken.output
    stopped = progress(uow, shop_id)
    assert (stopped.status, stopped.pages, stopped.orders_read, stopped.orders_total) == ("failed", 1, 100, ORDERS)
    assert front.broken == 1 and units(uow, shop_id) == sum(1 + n % 3 for n in range(100))

    front.page = None
    resumed = runner.invoke(main, ["sales-history", "--shop", STORE], env=env)
    assert resumed.exit_code == 0, resumed.output
    assert "orders read" in resumed.output
    assert f"history done: {ORDERS} orders in 3 pages; 0 captured orders folded" in resumed.output
    assert units(uow, shop_id) == expected  # page 1 was not read again into the days

    again = runner.invoke(main, ["sales-history", "--shop", STORE], env=env)  # done: only the fold runs
    assert again.exit_code == 0 and f"history done: {ORDERS} orders in 3 pages" in again.output
    assert "orders read" not in again.output
    restarted = runner.invoke(main, ["sales-history", "--shop", STORE, "--restart"], env=env)
    assert restarted.exit_code == 0 and f"history done: {ORDERS} orders in 3 pages" in restarted.output
    assert units(uow, shop_id) == expected  # read in full again, counted once
