"""Webhook delivery as WooCommerce does it: asynchronous, payload built at delivery, no retries.

- One background worker sends deliveries in order (WooCommerce uses Action Scheduler).
- The body is the resource's REST JSON *at delivery time*, not when the event happened.
- While a delivery for the same webhook and resource is pending, another is not queued.
- A failed delivery (outside 200–302) is not retried; after more than 5 consecutive failures
  the webhook is ``disabled``.
- The ping is a form POST ``webhook_id=<id>`` without any X-WC headers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from sandbox.woocommerce_sim.state import SimStore, Webhook

log = logging.getLogger(__name__)

MAX_CONSECUTIVE_FAILURES = 5
DELIVERY_TIMEOUT = 10.0


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    """One attempted delivery, as the simulator logs it."""

    store_url: str
    topic: str
    resource_id: int | None
    url: str | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    status_code: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code <= 302

    def as_json(self) -> dict[str, Any]:
        return {"store_url": self.store_url, "topic": self.topic, "resource_id": self.resource_id,
                "url": self.url, "headers": self.headers, "body": self.body.decode("utf-8", "replace"),
                "status_code": self.status_code, "error": self.error}


class Dispatcher:
    """Queues and sends webhook deliveries for every store of one simulator."""

    def __init__(self, default_url: Callable[[], str | None]) -> None:
        self._default_url = default_url
        self._queue: queue.Queue[tuple[SimStore, Webhook, str, int]] = queue.Queue()
        self._pending: set[tuple[str, int, str, int]] = set()
        self._lock = threading.Condition()
        self._busy = 0
        self.deliveries: list[Delivery] = []
        self.session = requests.Session()
        self._worker = threading.Thread(target=self._run, name="woocommerce-sim-webhooks", daemon=True)
        self._worker.start()

    def url_for(self, hook: Webhook) -> str | None:
        if hook.delivery_url:
            return hook.delivery_url
        base = self._default_url()
        return f"{base.rstrip('/')}/webhooks/woocommerce" if base else None

    def enqueue(self, store: SimStore, topic: str, order_id: int) -> None:
        for hook in store.webhooks:
            if topic not in hook.topics or hook.status != "active":
                continue
            key = (store.store_url, hook.id, topic, order_id)
            with self._lock:
                if key in self._pending:
                    continue  # WooCommerce does not queue the same webhook+resource twice (one topic each)
                self._pending.add(key)
                self._busy += 1
            self._queue.put((store, hook, topic, order_id))

    def wait(self, timeout: float) -> bool:
        """Block until nothing is queued or being sent; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._busy == 0, timeout=timeout)

    def _run(self) -> None:
        while True:
            store, hook, topic, order_id = self._queue.get()
            with self._lock:
                self._pending.discard((store.store_url, hook.id, topic, order_id))
            try:
                self._deliver(store, hook, topic, order_id)
            except Exception:  # the worker must survive anything a test throws at it
                log.exception("woocommerce sim: delivery of %s failed", topic)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._lock.notify_all()

    def _deliver(self, store: SimStore, hook: Webhook, topic: str, order_id: int) -> None:
        resource, event = topic.split(".", 1)
        with store.lock:
            if resource == "product":  # a product or a variation: GET /products/{id} answers both
                payload = store.products.get(order_id) or store.variations.get(order_id)
            else:
                payload = store.orders.get(order_id)
            body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else b""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.0.0 Hookshot (WordPress/6.5)",
            "X-WC-Webhook-Source": store.store_url.rstrip("/") + "/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature(body, hook.secret),
            "X-WC-Webhook-ID": str(hook.id),
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
        }
        delivery = Delivery(store.store_url, topic, order_id, self.url_for(hook), headers, body)
        self._send(delivery)
        with store.lock:
            if delivery.ok:
                hook.failure_count = 0
            else:
                hook.failure_count += 1
                if hook.failure_count > MAX_CONSECUTIVE_FAILURES:
                    hook.status = "disabled"
                    log.warning("woocommerce sim: webhook %s disabled after %s failures", hook.id,
                                hook.failure_count)

    def ping(self, store: SimStore, hook: Webhook) -> Delivery:
        """Send the activation ping synchronously, as the REST webhook create does."""
        body = f"webhook_id={hook.id}".encode()
        delivery = Delivery(store.store_url, "ping", None, self.url_for(hook),
                            {"Content-Type": "application/x-www-form-urlencoded"}, body)
        self._send(delivery)
        return delivery

    def _send(self, delivery: Delivery) -> None:
        if delivery.url is None:
            delivery.error = "no webhook_url set"
        else:
            try:
                response = self.session.post(delivery.url, data=delivery.body, headers=delivery.headers,
                                             timeout=DELIVERY_TIMEOUT, allow_redirects=False)
                delivery.status_code = response.status_code
            except requests.RequestException as exc:
                delivery.error = type(exc).__name__
        with self._lock:
            self.deliveries.append(delivery)
            self._lock.notify_all()
        log.debug("woocommerce sim: %s → %s: %s", delivery.topic, delivery.url,
                  delivery.status_code or delivery.error)
