"""Webhook deliveries from the simulator: signed like Shopify, sent in background threads, logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

log = logging.getLogger(__name__)

DELIVERY_TIMEOUT = (1.0, 5.0)
"""Shopify's 1 s connect / 5 s total budget."""


def sign_webhook(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 over the raw body with the app's secret."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass
class Delivery:
    """One attempt to deliver one webhook."""

    topic: str
    shop_domain: str
    webhook_id: str
    event_id: str
    triggered_at: str
    body: bytes
    url: str
    status_code: int | None = None
    error: str | None = None
    done: bool = False


class WebhookSender:
    """Sends webhooks in background threads and keeps a log of every delivery."""

    def __init__(self, api_secret: str, api_version: str) -> None:
        self.api_secret = api_secret
        self.api_version = api_version
        self.deliveries: list[Delivery] = []
        self._condition = threading.Condition()
        self._pending = 0

    def send(
        self,
        url: str,
        topic: str,
        shop_domain: str,
        body: bytes,
        *,
        event_id: str | None = None,
        triggered_at: str | None = None,
    ) -> Delivery:
        delivery = Delivery(
            topic=topic,
            shop_domain=shop_domain,
            webhook_id=str(uuid.uuid4()),
            event_id=event_id or str(uuid.uuid4()),
            triggered_at=triggered_at
            or datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            body=body,
            url=url,
        )
        with self._condition:
            self.deliveries.append(delivery)
            self._pending += 1
        threading.Thread(target=self._deliver, args=(delivery,), name=f"webhook-{topic}", daemon=True).start()
        return delivery

    def redeliver(self, webhook_id: str) -> Delivery:
        """Resend a past delivery's exact body: new webhook id, same event id and trigger time."""
        with self._condition:
            past = next((d for d in self.deliveries if d.webhook_id == webhook_id), None)
        if past is None:
            raise KeyError(webhook_id)
        return self.send(
            past.url,
            past.topic,
            past.shop_domain,
            past.body,
            event_id=past.event_id,
            triggered_at=past.triggered_at,
        )

    def headers(self, delivery: Delivery) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Hmac-Sha256": sign_webhook(delivery.body, self.api_secret),
            "X-Shopify-Shop-Domain": delivery.shop_domain,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": delivery.webhook_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
        }

    def _deliver(self, delivery: Delivery) -> None:
        try:
            response = requests.post(
                delivery.url,
                data=delivery.body,
                headers=self.headers(delivery),
                timeout=DELIVERY_TIMEOUT,
                allow_redirects=False,
            )
            delivery.status_code = response.status_code
        except requests.RequestException as exc:
            delivery.error = type(exc).__name__
            log.warning("webhook %s to %s failed: %s", delivery.topic, delivery.url, delivery.error)
        finally:
            with self._condition:
                delivery.done = True
                self._pending -= 1
                self._condition.notify_all()

    def wait(self, timeout: float, count: int | None = None) -> bool:
        """Wait until no delivery is in flight (and at least ``count`` were made). True if so."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._pending or (count is not None and len(self.deliveries) < count):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True
