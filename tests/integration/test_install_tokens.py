"""Expiring offline tokens: refreshed before expiry, one refresh at a time per shop.

Shopify's refresh token rotates: a second refresh with the same refresh token fails. The
simulated token endpoint burns used refresh tokens the same way and is slowed down here so that
concurrent refreshes really overlap. Without the per-shop lock every test here fails.
"""

from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from adapters.shopify.client import ShopifyGraphQL
from connector.bootstrap import bootstrap
from connector.config import Settings
from connector.db.models import Shop
from connector.domain.clock import utcnow
from connector.domain.errors import PlatformAuthError
from connector.install import tokens
from sandbox.stack import LocalStack, start_stack
from tests.support.install_flows import install_shopify, shop_row

SHOP = "fresh-shop.myshopify.com"
MARGIN = timedelta(minutes=10)


def installed(database_url: str) -> tuple[LocalStack, int]:
    stack = start_stack(database_url=database_url, worker_threads=0)
    assert install_shopify(stack, SHOP).status_code == 302
    shop_id = shop_row(stack, "shopify", SHOP).id
    with stack.container.uow() as uow:  # the token is about to expire
        uow.session.execute(update(Shop).where(Shop.id == shop_id).values(  # type: ignore[union-attr]
            token_expires_at=utcnow() + timedelta(minutes=2)))
        uow.commit()
    return stack, shop_id


def query_works(stack: LocalStack, shop_id: int) -> bool:
    access = stack.container.shop_access(shop_id)
    client = ShopifyGraphQL(SHOP, access.credentials.access_token or "", api_base=access.api_base)
    try:
        client.execute("query { orders(first: 1) { nodes { id } } }")
    except PlatformAuthError:
        return False
    return True


def refresh_in_threads(stack: LocalStack, shop_id: int, count: int) -> list[Any]:
    results: list[Any] = []
    barrier = threading.Barrier(count)

    def worker() -> None:
        barrier.wait()
        c = stack.container
        try:
            results.append(tokens.refresh_if_due(c.uow(), c.box, c.token_client(), shop_id, margin=MARGIN))
        except Exception as exc:  # noqa: BLE001 - recorded and asserted on
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_refreshes_in_threads_use_the_rotating_refresh_token_once(database_url: str) -> None:
    stack, shop_id = installed(database_url)
    with stack:
        stack.sandbox.shopify.oauth.delay = 0.3
        results = refresh_in_threads(stack, shop_id, 6)
        oauth = stack.sandbox.shopify.oauth
        assert sorted(map(repr, results)) == sorted(["True"] + ["False"] * 5)
        assert oauth.grants.count("refresh_token") == 1 and "refresh_token" not in oauth.refused
        assert query_works(stack, shop_id)
        # the stored (rotated) refresh token is the live one: the next refresh succeeds
        oauth.delay = 0.0
        assert tokens.refresh_if_due(stack.container.uow(), stack.container.box, stack.container.token_client(),
                                     shop_id, margin=timedelta(hours=2))
        assert "refresh_token" not in oauth.refused


def _refresh_in_process(settings: Settings, shop_id: int, start: Any, out: Any) -> None:
    container = bootstrap(settings, bind_jobs=False)
    start.wait(30)
    try:
        out.put(repr(tokens.refresh_if_due(container.uow(), container.box, container.token_client(), shop_id,
                                           margin=MARGIN)))
    except Exception as exc:  # noqa: BLE001
        out.put(repr(exc))
    finally:
        container.engine.dispose()


def test_concurrent_refreshes_in_separate_processes_are_serialised_by_the_postgresql_lock(
        postgres_url: str) -> None:
    stack, shop_id = installed(postgres_url)
    with stack:
        stack.sandbox.shopify.oauth.delay = 0.3
        context = multiprocessing.get_context("spawn")
        start, out = context.Event(), context.Queue()
        processes = [context.Process(target=_refresh_in_process, args=(stack.container.settings, shop_id, start, out))
                     for _ in range(3)]
        for process in processes:
            process.start()
        start.set()
        results = sorted(out.get(timeout=60) for _ in processes)
        for process in processes:
            process.join(30)
        oauth = stack.sandbox.shopify.oauth
        assert results == ["False", "False", "True"]
        assert oauth.grants.count("refresh_token") == 1 and "refresh_token" not in oauth.refused
        assert query_works(stack, shop_id)


def test_an_expired_token_stops_working_and_the_refresh_job_brings_it_back(database_url: str) -> None:
    stack, shop_id = installed(database_url)
    with stack:
        stack.sandbox.shopify.oauth.expire_tokens(SHOP)
        assert not query_works(stack, shop_id)
        assert tokens.shops_due(stack.container.uow(), MARGIN) == [shop_id]
        from jobs import install as install_jobs

        assert install_jobs.refresh_token(shop_id) is True
        assert query_works(stack, shop_id)
        assert tokens.shops_due(stack.container.uow(), MARGIN) == []
        assert install_jobs.refresh_token(shop_id) is False  # not due: no call


def test_a_refused_refresh_token_raises_and_alerts(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    stack, shop_id = installed(database_url)
    with stack:
        oauth = stack.sandbox.shopify.oauth
        refresh_token = stack.container.box.open(shop_row(stack, "shopify", SHOP).credentials).extra["refresh_token"]
        oauth.token({"client_id": oauth.api_key, "client_secret": stack.sandbox.shopify.api_secret,
                     "grant_type": "refresh_token", "refresh_token": refresh_token})  # someone else used it
        from connector.domain.errors import PlatformRejected

        with pytest.raises(PlatformRejected):
            tokens.refresh_if_due(stack.container.uow(), stack.container.box, stack.container.token_client(),
                                  shop_id, margin=MARGIN)
        assert any(getattr(r, "alert", False) for r in caplog.records)
        assert refresh_token not in caplog.text


def test_a_cached_platform_is_rebuilt_after_the_cache_period_so_a_refreshed_token_is_used(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import connector.bootstrap as bootstrap_module

    stack, shop_id = installed(database_url)
    with stack:
        first = stack.container.platform_for(shop_id)
        assert stack.container.platform_for(shop_id) is first
        monkeypatch.setattr(bootstrap_module, "PLATFORM_CACHE_SECONDS", 0.0)
        assert stack.container.platform_for(shop_id) is not first
