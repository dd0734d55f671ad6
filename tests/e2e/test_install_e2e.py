"""Install end to end against the sandbox on both platforms: orders flow afterwards, subscriptions are
repaired, a refused WooCommerce key disconnects without losing records, uninstall stops everything."""

from __future__ import annotations

import logging
import time

import pytest
import requests
from sqlalchemy import select

from adapters.woocommerce.install import CONNECTOR_TOPICS as WOO_TOPICS
from connector.db.models import Order
from connector.install.models import WebhookSubscription
from jobs import install as install_jobs
from sandbox.shopify_sim.store import build_shop
from sandbox.stack import LocalStack, start_stack
from sandbox.woocommerce_sim.wc_auth import store_for
from tests.support.install_flows import connect_woocommerce, embedded_token, install_shopify, shop_row

SHOP, STORE = "new-merchant.myshopify.com", "https://new-merchant-tea.example"


@pytest.fixture
def stack(database_url: str):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        sim = running.sandbox.shopify
        sim.shops[SHOP] = build_shop({"domain": SHOP, "access_token": "", "products": [
            {"title": "Lamp", "variants": [{"sku": "LAMP", "price": "20.00", "inventory_quantity": 1,
                                            "inventory_policy": "CONTINUE"}]}]}, sim._ids)
        store = store_for(running.sandbox.woocommerce, STORE)
        store.add_product({"name": "Kettle", "sku": "KETTLE-X", "price": "30.00", "manage_stock": True,
                           "stock_quantity": 0, "backorders": "notify"})
        yield running


def orders(stack: LocalStack, shop_id: int) -> list[str]:
    with stack.container.uow() as uow:
        return sorted(o.platform_order_id for o in uow.session.scalars(  # type: ignore[union-attr]
            select(Order).where(Order.shop_id == shop_id)))


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_both_platforms_install_and_then_capture_orders(stack: LocalStack) -> None:
    assert install_shopify(stack, SHOP).status_code == 302
    assert "success=1" in connect_woocommerce(stack, STORE).headers["Location"]
    shopify_id = shop_row(stack, "shopify", SHOP).id
    woo_id = shop_row(stack, "woocommerce", STORE).id
    placed = stack.sandbox.shopify.create_order(SHOP, [{"sku": "LAMP", "quantity": 3}])
    woo_order = stack.sandbox.woocommerce.create_order(STORE, [{"sku": "KETTLE-X", "quantity": 2}])
    stack.wait_for_capture()
    assert orders(stack, shopify_id) == [str(placed["id"])]
    assert orders(stack, woo_id) == [str(woo_order["id"])]
    # the generated WooCommerce secret signed the delivery that was accepted
    assert stack.sandbox.woocommerce.deliveries[-1].status_code == 200


def test_the_health_check_recreates_shopify_subscriptions_shopify_deleted(stack: LocalStack) -> None:
    install_shopify(stack, SHOP)
    shop_id = shop_row(stack, "shopify", SHOP).id
    subs = requests.get(f"{stack.sandbox.shopify_url}/_sandbox/webhook_subscriptions", params={"shop": SHOP}).json()
    gone = [s for s in subs if s["topic"] in ("ORDERS_CREATE", "APP_UNINSTALLED")]
    for sub in gone:
        assert requests.delete(f"{stack.sandbox.shopify_url}/_sandbox/webhook_subscriptions/{sub['numeric_id']}",
                               params={"shop": SHOP}).status_code == 200
    report = install_jobs.check_shop(shop_id)
    assert sorted(report.created) == ["app/uninstalled", "orders/create"]
    from adapters.shopify.subscriptions import CONNECTOR_TOPICS, topic_enum

    assert sorted(report.ok) == sorted(set(CONNECTOR_TOPICS) - {"app/uninstalled", "orders/create"})
    now = requests.get(f"{stack.sandbox.shopify_url}/_sandbox/webhook_subscriptions", params={"shop": SHOP}).json()
    assert sorted(s["topic"] for s in now) == sorted(topic_enum(t) for t in CONNECTOR_TOPICS)
    with stack.container.uow() as uow:
        repairs = {r.topic: r.repairs for r in uow.session.scalars(  # type: ignore[union-attr]
            select(WebhookSubscription).where(WebhookSubscription.shop_id == shop_id))}
    assert repairs == {topic: int(topic in ("orders/create", "app/uninstalled")) for topic in CONNECTOR_TOPICS}
    assert install_jobs.check_shop(shop_id).created == []  # healthy now: nothing to do


def test_the_health_check_moves_subscriptions_off_an_old_app_address(stack: LocalStack) -> None:
    from adapters.shopify.client import ShopifyGraphQL
    from adapters.shopify.subscriptions import ShopifySubscriptions

    install_shopify(stack, SHOP)
    shop_id = shop_row(stack, "shopify", SHOP).id
    access = stack.container.shop_access(shop_id)
    api = ShopifySubscriptions(ShopifyGraphQL(SHOP, access.credentials.access_token or "", api_base=access.api_base))
    api.create("orders/updated", "https://old-address.example/webhooks/shopify")
    report = install_jobs.check_shop(shop_id)
    assert report.removed == ["orders/updated"] and report.created == []
    assert {s.uri for s in api.list()} == {f"{stack.url}/webhooks/shopify"}


def test_the_health_check_re_enables_disabled_woocommerce_webhooks_and_recreates_missing_ones(
        stack: LocalStack) -> None:
    connect_woocommerce(stack, STORE)
    shop_id = shop_row(stack, "woocommerce", STORE).id
    woo = stack.sandbox.woocommerce
    hooks = {sorted(h.topics)[0]: h for h in woo.store(STORE).webhooks}
    hooks["order.created"].status, hooks["order.created"].failure_count = "disabled", 6
    woo.delete_webhook(STORE, hooks["order.updated"].id)
    lost = woo.create_order(STORE, [{"sku": "KETTLE-X", "quantity": 1}])
    woo.wait_for_deliveries(5)
    assert orders(stack, shop_id) == []  # nothing delivered: the webhook is disabled
    report = install_jobs.check_shop(shop_id)
    assert report.reactivated == ["order.created"] and report.created == ["order.updated"]
    assert {(sorted(h.topics)[0], h.status) for h in woo.store(STORE).webhooks} == {
        (topic, "active") for topic in WOO_TOPICS}
    placed = woo.create_order(STORE, [{"sku": "KETTLE-X", "quantity": 1}])
    stack.wait_for_capture()
    assert str(placed["id"]) in orders(stack, shop_id) and str(lost["id"]) not in orders(stack, shop_id)


def test_a_refused_woocommerce_key_disconnects_the_store_and_alerts_without_losing_records(
        stack: LocalStack, caplog: pytest.LogCaptureFixture) -> None:
    connect_woocommerce(stack, STORE)
    shop_id = shop_row(stack, "woocommerce", STORE).id
    stack.sandbox.woocommerce.create_order(STORE, [{"sku": "KETTLE-X", "quantity": 1}])
    stack.wait_for_capture()
    assert len(orders(stack, shop_id)) == 1
    stack.sandbox.woocommerce.revoke_keys(STORE)
    caplog.set_level(logging.WARNING)
    report = install_jobs.check_shop(shop_id)
    assert report.status == "disconnected" and shop_row(stack, "woocommerce", STORE).status == "disconnected"
    assert any(getattr(r, "alert", False) and r.levelno >= logging.ERROR for r in caplog.records)
    assert len(orders(stack, shop_id)) == 1
    from jobs.schedules import enqueue_shop_jobs

    seeded = len(stack.shops)
    assert enqueue_shop_jobs(stack.container) == seeded  # the disconnected store gets no more jobs


def test_a_revoked_shopify_token_disconnects_the_shop_and_reopening_the_app_reconnects_it(
        stack: LocalStack) -> None:
    install_shopify(stack, SHOP)
    shop_id = shop_row(stack, "shopify", SHOP).id
    oauth = stack.sandbox.shopify.oauth
    oauth.expire_tokens(SHOP)  # e.g. refreshes failed for a long time: the token no longer works
    assert install_jobs.check_shop(shop_id).status == "disconnected"
    assert shop_row(stack, "shopify", SHOP).status == "disconnected"
    reopened = requests.post(f"{stack.url}/shopify/session",
                             headers={"Authorization": f"Bearer {embedded_token(stack, SHOP)}"})
    assert reopened.json()["token_exchanged"] is True
    assert shop_row(stack, "shopify", SHOP).status == "active"
    assert install_jobs.check_shop(shop_id).status == "active"


def test_the_health_check_purges_spent_states_and_expired_exports(stack: LocalStack) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from connector.domain.clock import utcnow
    from connector.install.health import purge_expired
    from connector.install.models import OAuthState, PendingConnect

    install_shopify(stack, SHOP)
    connect_woocommerce(stack, STORE)
    requests.get(f"{stack.url}/woocommerce/connect", params={"store_url": STORE}, allow_redirects=False)
    assert purge_expired(stack.container) == {"oauth_states": 0, "pending_connects": 0, "data_exports": 0}
    with stack.container.uow() as uow:
        old = utcnow() - timedelta(days=2)
        uow.session.execute(update(OAuthState).values(used_at=old))  # type: ignore[union-attr]
        uow.session.execute(update(PendingConnect).values(expires_at=old))  # type: ignore[union-attr]
        uow.commit()
    assert purge_expired(stack.container) == {"oauth_states": 1, "pending_connects": 2, "data_exports": 0}


def test_uninstall_from_the_shopify_admin_stops_the_shop_and_a_reinstall_brings_it_back(stack: LocalStack) -> None:
    install_shopify(stack, SHOP)
    shop_id = shop_row(stack, "shopify", SHOP).id
    stack.sandbox.shopify.oauth.uninstall(SHOP)
    stack.sandbox.shopify.wait_for_deliveries(5)
    wait_for(lambda: shop_row(stack, "shopify", SHOP).status == "uninstalled")
    assert stack.container.box.open(shop_row(stack, "shopify", SHOP).credentials).access_token is None
    assert install_shopify(stack, SHOP).status_code == 302
    again = shop_row(stack, "shopify", SHOP)
    assert again.id == shop_id and again.status == "active" and again.uninstalled_at is None
    from adapters.shopify.subscriptions import CONNECTOR_TOPICS

    assert len(stack.sandbox.shopify.graphql.webhook_subscriptions.list(SHOP)) == len(CONNECTOR_TOPICS)


def test_an_embedded_session_installs_by_token_exchange_and_a_tampered_token_is_refused(stack: LocalStack) -> None:
    token = embedded_token(stack, SHOP)
    answer = requests.post(f"{stack.url}/shopify/session", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json() == {"shop": SHOP, "installed": True, "token_exchanged": True}
    assert stack.sandbox.shopify.oauth.grants == ["urn:ietf:params:oauth:grant-type:token-exchange"]
    again = requests.post(f"{stack.url}/shopify/session",
                          headers={"Authorization": f"Bearer {embedded_token(stack, SHOP)}"})
    assert again.json()["token_exchanged"] is False  # the stored offline token is used from now on
    header, claims, signature = token.split(".")
    other = embedded_token(stack, "victim-shop.myshopify.com").split(".")[1]
    for forged in (f"{header}.{other}.{signature}", token[:-2] + "xx", ""):
        refused = requests.post(f"{stack.url}/shopify/session", headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401
    assert shop_row(stack, "shopify", "victim-shop.myshopify.com") is None
