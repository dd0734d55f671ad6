"""One order the store cannot mark never stops the shop: signed webhooks for orders the store does not
have, then a real order, on both simulators (Shopify on its real 2026-04 schema), on SQLite and
PostgreSQL. The real order is marked; each bad order carries the store's reason and is alerted once;
reconciliation succeeds and its watermark advances."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from connector.db.models import Order, Shop, WebhookEvent
from connector.dropship.alerts import list_alerts
from connector.shop_settings import set_setting
from jobs.shops import reconcile, sync_marks
from sandbox.shopify_sim import sign_webhook
from sandbox.stack import LocalStack
from sandbox.woocommerce_sim.webhooks import signature as woo_signature

SHOP = "e2e-poison.myshopify.com"
STORE = "https://e2e-poison-tea.example"
SHOPIFY_SECRET = "poison-secret"
WOO_SECRET = "poisonwebhooksecret"
MERCHANT = {SHOP: "owner@poison.example", STORE: "owner@poison-tea.example"}
SEED = {  # stock far below zero: every order placed is short
    "shopify": {"api_secret": SHOPIFY_SECRET, "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": "shpat_poison",
        "products": [{"title": "Lamp", "variants": [{"sku": "LAMP", "price": "30.00", "inventory_quantity": -20,
                                                     "inventory_policy": "CONTINUE"}]}]}]},
    "woocommerce": {"stores": [{
        "store_url": STORE, "consumer_key": "ck_poison", "consumer_secret": "cs_poison",
        "webhook_secret": WOO_SECRET, "webhook_id": 21,
        "products": [{"name": "Teapot", "sku": "TEAPOT", "price": "40.00", "manage_stock": True,
                      "stock_quantity": -20, "backorders": "yes"}]}]},
}
UNKNOWN_IDS = (990000001, 990000002, 990000003)


@pytest.fixture
def stack(seeded_stack):  # type: ignore[no-untyped-def]
    running = seeded_stack(SEED)
    for domain, email in MERCHANT.items():
        set_setting(running.container.uow(), running.shops[domain].id, "alerts.email", email)
    return running


def post_shopify(stack: LocalStack, order: dict, topic: str = "orders/create") -> None:
    body = json.dumps({k: v for k, v in order.items() if k != "tag_list"}).encode()
    response = requests.post(f"{stack.url}/webhooks/shopify", data=body, timeout=10, headers={
        "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Hmac-Sha256": sign_webhook(body, SHOPIFY_SECRET),
        "Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def post_woo(stack: LocalStack, order: dict, topic: str = "order.created") -> None:
    body = json.dumps({k: v for k, v in order.items() if k != "notes"}, separators=(",", ":")).encode()
    response = requests.post(f"{stack.url}/webhooks/woocommerce", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-WC-Webhook-Source": STORE + "/", "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": woo_signature(body, WOO_SECRET), "X-WC-Webhook-ID": "21",
        "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex})
    assert response.status_code == 200, response.text


def later(stamp: str, minutes: int) -> str:
    return (datetime.fromisoformat(stamp) + timedelta(minutes=minutes)).isoformat()


def orders(stack: LocalStack, domain: str) -> dict[str, Order]:
    with stack.container.uow() as uow:
        rows = {o.platform_order_id: o for o in uow.session.scalars(
            select(Order).where(Order.shop_id == stack.shops[domain].id))}
        uow.session.expunge_all()
        return rows


def watermark(stack: LocalStack, domain: str) -> datetime | None:
    with stack.container.uow() as uow:
        return uow.session.get(Shop, stack.shops[domain].id).reconciled_until


def event_statuses(stack: LocalStack) -> dict[str, int]:
    with stack.container.uow() as uow:
        return uow.events.count_by_status()


def alert_mails(stack: LocalStack, domain: str) -> list:  # type: ignore[type-arg]
    return stack.sandbox.smtp.to(MERCHANT[domain])


def assert_each_bad_order_shows_the_reason_and_was_alerted_once(stack: LocalStack, domain: str,
                                                                reason: str) -> None:
    stored = orders(stack, domain)
    for order_id in map(str, UNKNOWN_IDS):
        row = stored[order_id]
        assert row.mark_error is not None and reason in row.mark_error, row.mark_error
        assert row.mark_error_at is not None and not row.needs_mark and row.marked is None
    listed = list_alerts(stack.container.uow(), stack.shops[domain].id)
    alerts = [a for a in listed if a["kind"] == "store_refused_mark"]
    assert len(alerts) == 3 and all(a["sent"] for a in alerts)
    assert sorted(a["message"].split(" (id ")[1].split(")")[0] for a in alerts) == sorted(map(str, UNKNOWN_IDS))
    mails = alert_mails(stack, domain)
    assert len(mails) == 3
    assert all("refused to mark an order" in mail.subject for mail in mails)


def test_shopify_orders_the_store_does_not_have_never_stop_the_next_real_order_being_tagged(stack):
    sim = stack.sandbox.shopify
    real = sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 2}], deliver_webhook=False)
    shape = sim.order(SHOP, real["id"])
    for number, unknown in enumerate(UNKNOWN_IDS, start=1):
        post_shopify(stack, {**shape, "id": unknown, "name": f"#BAD{number}", "order_number": 9000 + number})
    stack.wait_for_capture()
    post_shopify(stack, sim.order(SHOP, real["id"]))
    stack.wait_for_capture()

    assert "backorder" in sim.order(SHOP, real["id"])["tag_list"]
    assert orders(stack, SHOP)[str(real["id"])].mark_error is None
    assert event_statuses(stack) == {"done": 4}
    assert_each_bad_order_shows_the_reason_and_was_alerted_once(stack, SHOP, "Order does not exist")

    before = watermark(stack, SHOP)
    started = datetime.now(UTC)
    report = reconcile(stack.shops[SHOP].id)
    assert report.outcomes.get("failed", 0) == 0
    after = watermark(stack, SHOP)
    assert after is not None and (before is None or after > before) and after >= started - timedelta(seconds=1)

    # the store changes one bad order again (a retry of its mark): refused again, still one alert
    post_shopify(stack, {**shape, "id": UNKNOWN_IDS[0], "name": "#BAD1", "order_number": 9001,
                         "updated_at": later(shape["updated_at"], 5),
                         "line_items": [{**shape["line_items"][0], "quantity": 3, "current_quantity": 3}]},
                 topic="orders/updated")
    stack.wait_for_capture()
    assert sync_marks(stack.shops[SHOP].id) == 0
    reconcile(stack.shops[SHOP].id)
    assert_each_bad_order_shows_the_reason_and_was_alerted_once(stack, SHOP, "Order does not exist")


def test_woocommerce_orders_the_store_does_not_have_never_stop_the_next_real_order_being_noted(stack):
    woo = stack.sandbox.woocommerce
    real = woo.create_order(STORE, [{"sku": "TEAPOT", "quantity": 2}], deliver_webhook=False)
    shape = woo.order(STORE, real["id"])
    for number, unknown in enumerate(UNKNOWN_IDS, start=1):
        post_woo(stack, {**shape, "id": unknown, "number": f"BAD{number}"})
    stack.wait_for_capture()
    post_woo(stack, woo.order(STORE, real["id"]))
    stack.wait_for_capture()

    marked = woo.order(STORE, real["id"])
    assert any("TEAPOT" in note["note"] for note in marked["notes"])
    assert "_backorder_lines" in {m["key"] for m in marked["meta_data"]}
    assert orders(stack, STORE)[str(real["id"])].mark_error is None
    with stack.container.uow() as uow:
        failed = list(uow.session.scalars(select(WebhookEvent.last_error).where(WebhookEvent.status != "done")))
    assert failed == []
    assert_each_bad_order_shows_the_reason_and_was_alerted_once(stack, STORE, "PlatformNotFound")

    before = watermark(stack, STORE)
    report = reconcile(stack.shops[STORE].id)
    assert report.outcomes.get("failed", 0) == 0
    after = watermark(stack, STORE)
    assert after is not None and (before is None or after > before)

    post_woo(stack, {**shape, "id": UNKNOWN_IDS[1], "number": "BAD2",
                     "date_modified_gmt": later(shape["date_modified_gmt"], 5),
                     "line_items": [{**shape["line_items"][0], "quantity": 3}]}, topic="order.updated")
    stack.wait_for_capture()
    assert sync_marks(stack.shops[STORE].id) == 0
    assert_each_bad_order_shows_the_reason_and_was_alerted_once(stack, STORE, "PlatformNotFound")


def test_reconciliation_passes_an_order_it_cannot_read_and_still_advances(stack):
    woo = stack.sandbox.woocommerce
    absurd = woo.create_order(STORE, [{"sku": "TEAPOT", "quantity": 2**40}], deliver_webhook=False)
    lost = woo.create_order(STORE, [{"sku": "TEAPOT", "quantity": 1}], deliver_webhook=False)
    before = watermark(stack, STORE)

    report = reconcile(stack.shops[STORE].id)

    stored = orders(stack, STORE)
    assert str(lost["id"]) in stored and str(absurd["id"]) not in stored
    assert report.seen >= 1
    after = watermark(stack, STORE)
    assert after is not None and (before is None or after > before)
