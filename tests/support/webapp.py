"""A connector app on a throwaway database, a recording queue and fake stores, for HTTP-level tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from connector.app import create_app
from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from tests.support.fakes import FakePlatform, RecordingQueue

SHOPIFY_SECRET = "hush-shopify-app-secret"
WOO_SECRET = "woo-webhook-secret"
SHOP = "signed-shop.myshopify.com"
STORE = "https://tea.example"
API_TOKEN = "test-api-token"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class WebApp:
    app: Flask
    client: FlaskClient
    container: Container
    queue: RecordingQueue
    platform: FakePlatform
    shop_id: int
    store_id: int

    def events(self) -> list[Any]:
        with self.container.uow() as uow:
            from sqlalchemy import select

            from connector.db.models import WebhookEvent

            rows = list(uow.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))  # type: ignore[union-attr]
            uow.session.expunge_all()  # type: ignore[union-attr]
            return rows

    def post_shopify(self, body: bytes | dict[str, Any], *, topic: str = "orders/create", event_id: str | None = "e-1",
                     webhook_id: str = "w-1", shop: str = SHOP, secret: str = SHOPIFY_SECRET,
                     signature: str | None = None, drop: tuple[str, ...] = ()) -> Any:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {
            "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Hmac-Sha256": signature if signature is not None else sign(raw, secret),
            "X-Shopify-API-Version": "2026-04", "Content-Type": "application/json",
        }
        if event_id:
            headers["X-Shopify-Event-Id"] = event_id
        for name in drop:
            headers.pop(name, None)
        return self.client.post("/webhooks/shopify", data=raw, headers=headers)

    def post_woo(self, body: bytes | dict[str, Any], *, topic: str = "order.created", source: str = STORE + "/",
                 secret: str = WOO_SECRET, signature: str | None = None, drop: tuple[str, ...] = (),
                 webhook_id: str = "7") -> Any:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {
            "X-WC-Webhook-Source": source, "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": topic.split(".")[-1], "X-WC-Webhook-ID": webhook_id,
            "X-WC-Webhook-Delivery-ID": "d-1", "Content-Type": "application/json",
            "X-WC-Webhook-Signature": signature if signature is not None else sign(raw, secret),
        }
        for name in drop:
            headers.pop(name, None)
        return self.client.post("/webhooks/woocommerce", data=raw, headers=headers)


def make_webapp(database_url: str, **overrides: Any) -> WebApp:
    settings = Settings(database_url=database_url, secret_key=generate_key(), shopify_api_secret=SHOPIFY_SECRET,
                        api_token=API_TOKEN, worker_threads=0, log_level="DEBUG",
                        allow_private_targets=True).with_overrides(**overrides)
    queue = RecordingQueue()
    platform = FakePlatform()
    container = bootstrap(settings, queue=queue, platform_factory=lambda access: platform, auto_upgrade=True)
    shop = add_shop(container.uow(), container.box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t"))
    store = add_shop(container.uow(), container.box, Platform.WOOCOMMERCE, STORE,
                     ShopCredentials(consumer_key="ck", consumer_secret="cs", webhook_secret=WOO_SECRET))
    app = create_app(container=container)
    return WebApp(app, app.test_client(), container, queue, platform, shop.id, store.id)
