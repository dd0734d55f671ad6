"""POST /webhooks/shopify"""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from connector.domain.errors import StorageUnavailable
from webhooks import compliance
from webhooks.common import Rejected, container, parse_json_object, read_body, reject, store_and_enqueue
from webhooks.verify import SignatureError, verify_shopify

bp = Blueprint("shopify_webhooks", __name__)


@bp.post("/webhooks/shopify")
def receive() -> ResponseReturnValue:
    try:
        return _receive()
    except Rejected as error:
        return reject("shopify", error)


def header(name: str) -> str:
    """A Shopify header in its legacy (X-Shopify-Topic) or newer (Shopify-Topic) spelling."""
    value = request.headers.get(f"X-Shopify-{name}") or request.headers.get(f"Shopify-{name}") or ""
    return value.strip()


def _receive() -> ResponseReturnValue:
    settings = container().settings
    body = read_body(settings.webhook_max_body_bytes)
    secrets = [s.strip() for s in (settings.shopify_api_secret or "").split(",") if s.strip()]
    try:
        verify_shopify(body, header("Hmac-Sha256") or None, secrets)
    except SignatureError as exc:
        raise Rejected(401, str(exc)) from None
    topic = header("Topic")
    domain = header("Shop-Domain").lower()
    event_id = header("Event-Id")
    webhook_id = header("Webhook-Id")
    missing = [name for name, value in (("X-Shopify-Topic", topic), ("X-Shopify-Shop-Domain", domain))
               if not value]
    if not event_id and not webhook_id:
        missing.append("X-Shopify-Event-Id or X-Shopify-Webhook-Id")
    if missing:
        raise Rejected(400, f"missing headers: {', '.join(missing)}")
    payload = parse_json_object(body)
    if topic in compliance.TOPICS:
        return compliance.handle(topic, domain, payload)
    try:
        shop = container().webhook_shop("shopify", domain)
    except (StorageUnavailable, SQLAlchemyError) as exc:
        raise Rejected(503, f"storage unavailable: {type(exc).__name__}") from None
    if shop is None or not shop.active:
        raise Rejected(401, "unknown shop", shop=domain)
    shop_id = shop.shop_id
    key = f"{topic}:event:{event_id}" if event_id else f"{topic}:webhook:{webhook_id}"
    return store_and_enqueue("shopify", shop_id, topic, key, body)
