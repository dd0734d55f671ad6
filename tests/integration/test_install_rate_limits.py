"""Rate limits on the install and connect endpoints, through the real Flask app (webhooks/ratelimit.py).

Before: 200 anonymous connects from one address stored 200 pending connects. Now the address gets
the limit's worth, then 429 with Retry-After and nothing stored; other addresses are not affected,
webhooks are never limited, and with Redis the count is shared by every web process.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from connector.app import create_app
from connector.install.models import OAuthState, PendingConnect
from tests.conftest import REDIS_URL, unavailable
from tests.support.webapp import SHOP, WebApp, make_webapp

APP_URL = "https://connector.example"
ATTACKER = "203.0.113.7"
MERCHANT = "198.51.100.20"


def _rows(web: WebApp, model: Any) -> int:
    with web.container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)))  # type: ignore[union-attr]


def _connect(web: WebApp, address: str, n: int, **environ: str) -> Any:
    return web.client.get("/woocommerce/connect", query_string={"store_url": f"https://store-{n}.example"},
                          environ_base={"REMOTE_ADDR": address, **environ})


@pytest.fixture
def web(database_url: str):  # type: ignore[no-untyped-def]
    app = make_webapp(database_url, app_url=APP_URL, install_rate_limit="20/minute;200/hour")
    yield app
    app.container.close()


def test_two_hundred_anonymous_connects_store_twenty_pending_connects_and_get_429_after(web: WebApp) -> None:
    answers = [_connect(web, ATTACKER, n) for n in range(200)]

    assert [a.status_code for a in answers[:20]] == [302] * 20
    assert {a.status_code for a in answers[20:]} == {429}
    assert _rows(web, PendingConnect) == 20
    refused = answers[-1]
    assert refused.mimetype == "text/plain"
    assert "Too many requests" in refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_another_client_address_is_not_affected_by_one_that_hit_the_limit(web: WebApp) -> None:
    for n in range(25):
        _connect(web, ATTACKER, n)
    assert _connect(web, ATTACKER, 99).status_code == 429

    assert _connect(web, MERCHANT, 100).status_code == 302
    assert _rows(web, PendingConnect) == 21


def test_the_four_install_endpoints_share_one_count_per_address(web: WebApp) -> None:
    environ = {"REMOTE_ADDR": ATTACKER}
    for _ in range(5):  # unsigned: refused by the endpoints themselves, but counted
        assert web.client.get("/shopify/install", query_string={"shop": SHOP}, environ_base=environ).status_code != 429
        assert web.client.get("/shopify/callback", query_string={"shop": SHOP}, environ_base=environ).status_code != 429
        assert web.client.post("/woocommerce/callback", json={}, environ_base=environ).status_code != 429
        assert _connect(web, ATTACKER, 0).status_code == 302
    assert web.client.get("/shopify/install", query_string={"shop": SHOP}, environ_base=environ).status_code == 429
    assert web.client.post("/woocommerce/callback", json={}, environ_base=environ).status_code == 429
    assert _rows(web, OAuthState) == 0 and _rows(web, PendingConnect) == 5


def test_webhooks_are_never_rate_limited(web: WebApp) -> None:
    for n in range(25):
        _connect(web, "127.0.0.1", n)  # the test client's own address, now over the limit
    assert _connect(web, "127.0.0.1", 99).status_code == 429
    answers = [web.post_shopify({"id": n}, event_id=f"e-{n}", webhook_id=f"w-{n}") for n in range(30)]
    assert {a.status_code for a in answers} == {200}


def test_x_forwarded_for_is_ignored_unless_the_operator_trusts_a_proxy(database_url: str) -> None:
    untrusting = make_webapp(database_url, app_url=APP_URL, install_rate_limit="2/minute")
    try:
        # one client writing a new X-Forwarded-For each time is still one socket address
        codes = [_connect(untrusting, ATTACKER, n, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)]
        assert codes == [302, 302, 429]
    finally:
        untrusting.container.close()


def test_behind_one_trusted_proxy_the_address_it_appended_is_the_client(tmp_path) -> None:  # type: ignore[no-untyped-def]
    web = make_webapp(f"sqlite:///{tmp_path}/p.db", app_url=APP_URL, install_rate_limit="2/minute",
                      install_trusted_proxies=1)
    proxy = "10.1.1.1"
    try:
        # the client forged the left entry; the proxy appended the real peer on the right
        first = [_connect(web, proxy, n, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, {ATTACKER}").status_code
                 for n in range(3)]
        assert first == [302, 302, 429]
        assert _connect(web, proxy, 9, HTTP_X_FORWARDED_FOR=MERCHANT).status_code == 302
    finally:
        web.container.close()


def test_an_empty_rate_limit_turns_limiting_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    web = make_webapp(f"sqlite:///{tmp_path}/off.db", app_url=APP_URL, install_rate_limit="")
    try:
        assert {_connect(web, ATTACKER, n).status_code for n in range(30)} == {302}
    finally:
        web.container.close()


@pytest.fixture
def redis_url() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield REDIS_URL
    client.close()


def test_with_redis_every_web_process_shares_the_count(tmp_path, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    import redis

    from webhooks.ratelimit import REDIS_KEY_PREFIX, deployment_key

    database_url = f"sqlite:///{tmp_path}/{uuid.uuid4().hex}.db"  # its own deployment key: its own counts
    first = make_webapp(database_url, app_url=APP_URL, install_rate_limit="20/minute", redis_url=redis_url)
    # a second web process: its own app and its own limiter, the same deployment
    second = WebApp(**{**vars(first), "app": (app := create_app(container=first.container)),
                       "client": app.test_client()})
    client = redis.Redis.from_url(redis_url)
    pattern = f"{REDIS_KEY_PREFIX}:*{deployment_key(database_url)}*"
    try:
        codes = [_connect(first if n % 2 else second, ATTACKER, n).status_code for n in range(30)]
        assert codes == [302] * 20 + [429] * 10
        assert client.keys(pattern), "the counts are in Redis"
        assert _connect(second, MERCHANT, 99).status_code == 302
    finally:
        for key in client.scan_iter(pattern):  # only this test's keys
            client.delete(key)
        client.close()
        first.container.close()


def test_with_redis_down_installs_still_work_and_are_counted_in_the_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    web = make_webapp(f"sqlite:///{tmp_path}/down.db", app_url=APP_URL, install_rate_limit="3/minute",
                      redis_url="redis://127.0.0.1:1/15")  # nothing listens on port 1
    try:
        codes = [_connect(web, ATTACKER, n).status_code for n in range(5)]
        assert codes == [302, 302, 302, 429, 429]
        assert _connect(web, MERCHANT, 9).status_code == 302
    finally:
        web.container.close()
