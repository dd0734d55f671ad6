"""Install over real HTTP against the sandbox, on SQLite and PostgreSQL: the happy paths and every refusal."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from connector.domain.clock import utcnow
from connector.domain.shopify_access import DEFAULT_SCOPES
from connector.install.models import OAuthState, PendingConnect
from sandbox.stack import LocalStack, start_stack
from tests.support.install_flows import (
    approve,
    callback_params,
    connect_woocommerce,
    install_query,
    install_shopify,
    shop_row,
    start_shopify_install,
)

NEW_SHOP = "fresh-shop.myshopify.com"
NEW_STORE = "https://new-store.example"


@pytest.fixture
def stack(database_url: str):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url, worker_threads=0) as running:
        yield running


def states(stack: LocalStack) -> list[OAuthState]:
    with stack.container.uow() as uow:
        rows = list(uow.session.scalars(select(OAuthState)))  # type: ignore[union-attr]
        uow.session.expunge_all()  # type: ignore[union-attr]
        return rows


def test_a_shopify_install_stores_an_expiring_offline_token_and_subscribes_the_connector_topics(
        stack: LocalStack) -> None:
    answer = install_shopify(stack, NEW_SHOP)
    assert answer.status_code == 302, answer.text  # into the app, in the shop's admin
    api_key = stack.sandbox.shopify.oauth.api_key
    assert answer.headers["Location"] == f"https://admin.shopify.com/store/fresh-shop/apps/{api_key}"
    shop = shop_row(stack, "shopify", NEW_SHOP)
    assert shop.status == "active" and shop.api_base == stack.sandbox.shopify_url
    creds = stack.container.box.open(shop.credentials)
    assert creds.access_token in stack.sandbox.shopify.oauth.tokens_of(NEW_SHOP)
    assert creds.extra["refresh_token"].startswith("shprt_")
    assert shop.token_expires_at is not None and shop.scopes == ",".join(DEFAULT_SCOPES)
    assert shop.scopes_checked_at is not None  # read back from currentAppInstallation
    subscribed = {(s["topic"], s["uri"]) for s in stack.sandbox.shopify.graphql.webhook_subscriptions.list(NEW_SHOP)}
    from adapters.shopify.subscriptions import CONNECTOR_TOPICS, topic_enum

    assert subscribed == {(topic_enum(t), f"{stack.url}/webhooks/shopify") for t in CONNECTOR_TOPICS}
    assert {"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "APP_UNINSTALLED", "ORDERS_FULFILLED",
            "FULFILLMENTS_CREATE"} <= {topic for topic, _ in subscribed}
    assert shop.credentials.find(creds.access_token) == -1  # sealed, not in clear


def test_the_install_request_needs_a_valid_hmac_and_a_myshopify_domain(stack: LocalStack) -> None:
    bad = install_query(stack, NEW_SHOP, secret="not-the-app-secret")
    assert requests.get(f"{stack.url}/shopify/install", params=bad, allow_redirects=False).status_code == 401
    unsigned = {"shop": NEW_SHOP, "timestamp": str(int(time.time()))}
    assert requests.get(f"{stack.url}/shopify/install", params=unsigned, allow_redirects=False).status_code == 401
    old = install_query(stack, NEW_SHOP, timestamp=time.time() - 3 * 86400)
    assert requests.get(f"{stack.url}/shopify/install", params=old, allow_redirects=False).status_code == 401
    for domain in ("evil.example.com", "shop.myshopify.com.evil.example", "../x.myshopify.com"):
        answer = requests.get(f"{stack.url}/shopify/install", params=install_query(stack, domain),
                              allow_redirects=False)
        assert answer.status_code == 400, domain
    assert states(stack) == []


def test_a_callback_with_a_bad_hmac_or_a_changed_shop_installs_nothing(stack: LocalStack) -> None:
    stack.sandbox.shopify.oauth.auto_approve = True
    callback = approve(start_shopify_install(stack, NEW_SHOP).headers["Location"])
    params = callback_params(callback)
    forged = {**params, "hmac": "0" * 64}
    assert requests.get(f"{stack.url}/shopify/callback", params=forged).status_code == 401
    other = {**params, "shop": "other-shop.myshopify.com"}
    assert requests.get(f"{stack.url}/shopify/callback", params=other).status_code == 401
    assert shop_row(stack, "shopify", NEW_SHOP) is None
    # the genuine callback still works: the refusals did not consume the state
    assert requests.get(callback, allow_redirects=False).status_code == 302


def test_a_state_works_once_only(stack: LocalStack) -> None:
    stack.sandbox.shopify.oauth.auto_approve = True
    callback = approve(start_shopify_install(stack, NEW_SHOP).headers["Location"])
    assert requests.get(callback, allow_redirects=False).status_code == 302
    replay = requests.get(callback)
    assert replay.status_code == 401 and "already used" in replay.json()["error"]


def test_an_expired_state_is_refused(stack: LocalStack) -> None:
    stack.sandbox.shopify.oauth.auto_approve = True
    callback = approve(start_shopify_install(stack, NEW_SHOP).headers["Location"])
    with stack.container.uow() as uow:
        uow.session.execute(update(OAuthState).values(  # type: ignore[union-attr]
            expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    answer = requests.get(callback)
    assert answer.status_code == 401 and "expired" in answer.json()["error"]
    assert shop_row(stack, "shopify", NEW_SHOP) is None


def test_a_state_issued_for_one_shop_does_not_install_another(stack: LocalStack) -> None:
    stack.sandbox.shopify.oauth.auto_approve = True
    callback = approve(start_shopify_install(stack, NEW_SHOP).headers["Location"])
    params = callback_params(callback)
    resigned = install_query(stack, "other-shop.myshopify.com", code=params["code"], state=params["state"],
                             timestamp=float(params["timestamp"]))
    answer = requests.get(f"{stack.url}/shopify/callback", params=resigned)
    assert answer.status_code == 401 and "another shop" in answer.json()["error"]


def test_a_woocommerce_connect_verifies_the_keys_stores_them_sealed_and_creates_signed_webhooks(
        stack: LocalStack) -> None:
    answer = connect_woocommerce(stack, NEW_STORE)
    assert answer.status_code == 302 and "success=1" in answer.headers["Location"]
    shop = shop_row(stack, "woocommerce", NEW_STORE)
    creds = stack.container.box.open(shop.credentials)
    store = stack.sandbox.woocommerce.store(NEW_STORE)
    assert store.api_keys == {creds.consumer_key: creds.consumer_secret}
    assert creds.consumer_secret not in shop.credentials
    hooks = {(sorted(h.topics)[0], h.delivery_url, h.status, h.secret) for h in store.webhooks}
    from adapters.woocommerce.install import CONNECTOR_TOPICS
    assert hooks == {(t, f"{stack.url}/webhooks/woocommerce", "active", creds.webhook_secret)
                     for t in CONNECTOR_TOPICS}
    assert creds.webhook_secret and creds.webhook_secret.isalnum() and len(creds.webhook_secret) >= 32


def test_a_replayed_woocommerce_callback_is_refused_and_changes_nothing(stack: LocalStack) -> None:
    connect_woocommerce(stack, NEW_STORE)
    before = shop_row(stack, "woocommerce", NEW_STORE).credentials
    url, payload = stack.sandbox.woocommerce.auth_callbacks[-1]
    replay = requests.post(url, json={**payload, "consumer_key": "ck_attacker", "consumer_secret": "cs_attacker"})
    assert replay.status_code == 409
    assert shop_row(stack, "woocommerce", NEW_STORE).credentials == before


def test_woocommerce_keys_for_an_unknown_or_expired_user_id_are_refused(stack: LocalStack) -> None:
    body = {"key_id": 1, "user_id": "guessed", "consumer_key": "ck_x", "consumer_secret": "cs_x",
            "key_permissions": "read_write"}
    assert requests.post(f"{stack.url}/woocommerce/callback", json=body).status_code == 401
    started = requests.get(f"{stack.url}/woocommerce/connect", params={"store_url": NEW_STORE},
                           allow_redirects=False)
    with stack.container.uow() as uow:
        uow.session.execute(update(PendingConnect).values(expires_at=utcnow() - timedelta(seconds=1)))  # type: ignore[union-attr]
        uow.commit()
    answer = requests.get(started.headers["Location"], allow_redirects=False)
    assert "success=0" in answer.headers["Location"]
    assert shop_row(stack, "woocommerce", NEW_STORE) is None
    assert stack.sandbox.woocommerce.store(NEW_STORE).api_keys == {}  # WooCommerce deleted the refused keys


def test_keys_that_do_not_work_are_not_stored(stack: LocalStack) -> None:
    started = requests.get(f"{stack.url}/woocommerce/connect", params={"store_url": NEW_STORE},
                           allow_redirects=False)
    user_id = callback_params(started.headers["Location"])["user_id"]
    body = {"key_id": 1, "user_id": user_id, "consumer_key": "ck_wrong", "consumer_secret": "cs_wrong",
            "key_permissions": "read_write"}
    answer = requests.post(f"{stack.url}/woocommerce/callback", json=body)
    assert answer.status_code == 400 and "do not work" in answer.json()["error"]
    assert shop_row(stack, "woocommerce", NEW_STORE) is None
    with stack.container.uow() as uow:
        assert uow.session.scalar(select(PendingConnect.used_at)) is not None  # type: ignore[union-attr]


def test_read_only_keys_are_refused(stack: LocalStack) -> None:
    started = requests.get(f"{stack.url}/woocommerce/connect", params={"store_url": NEW_STORE},
                           allow_redirects=False)
    user_id = callback_params(started.headers["Location"])["user_id"]
    body = {"key_id": 1, "user_id": user_id, "consumer_key": "ck_x", "consumer_secret": "cs_x",
            "key_permissions": "read"}
    assert requests.post(f"{stack.url}/woocommerce/callback", json=body).status_code == 400
