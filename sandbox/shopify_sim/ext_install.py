"""Simulated webhook subscription API: webhookSubscriptions, webhookSubscriptionCreate/Delete.

Subscriptions are recorded per shop; deliveries still go to the simulator's ``webhook_url``.
``remove(shop, id)`` (and DELETE /_sandbox/webhook_subscriptions/<id>) plays Shopify deleting a
subscription after repeated delivery failures.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.shopify_sim.pagination import connection
from sandbox.shopify_sim.store import gid, graphql_time

TOPICS = {"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "APP_UNINSTALLED", "BULK_OPERATIONS_FINISH"}


@dataclass
class Subscriptions:
    by_shop: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def list(self, shop: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(s) for s in self.by_shop.get(shop, {}).values()]

    def remove(self, shop: str, subscription_id: int) -> bool:
        with self.lock:
            return self.by_shop.get(shop, {}).pop(subscription_id, None) is not None


def subscriptions_of(api: Any) -> Subscriptions:
    """The subscription store of one simulator (kept on its AdminGraphQL object)."""
    store = getattr(api, "webhook_subscriptions", None)
    if store is None:
        store = Subscriptions()
        api.webhook_subscriptions = store
    return store


def _render(sub: dict[str, Any]) -> dict[str, Any]:
    return {"id": gid("WebhookSubscription", sub["numeric_id"]), "topic": sub["topic"], "uri": sub["uri"],
            "createdAt": graphql_time(sub["created_at"]), "legacyResourceId": str(sub["numeric_id"])}


def extension(api: Any, shop: Any) -> dict[str, Any]:
    store = subscriptions_of(api)

    def list_subscriptions(info: Any, **args: Any) -> dict[str, Any]:
        items = sorted(store.list(shop.domain), key=lambda s: s["numeric_id"])
        return connection(items, [(str(s["numeric_id"]), s["numeric_id"]) for s in items], _render, args)

    def create(info: Any, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        uri = str(webhookSubscription.get("uri") or "")
        if not uri.startswith(("https://", "http://")):
            return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "uri"],
                                                                "message": "Address is invalid"}]}
        with store.lock:
            mine = store.by_shop.setdefault(shop.domain, {})
            if any(s["topic"] == topic and s["uri"] == uri for s in mine.values()):
                return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "uri"],
                                                                    "message": "Address for this topic has "
                                                                               "already been taken"}]}
            numeric = store.next_id
            sub: dict[str, Any] = {"numeric_id": numeric, "topic": topic, "uri": uri, "created_at": datetime.now(UTC)}
            store.next_id += 1
            mine[numeric] = sub
        return {"webhookSubscription": _render(sub), "userErrors": []}

    def delete(info: Any, id: str) -> dict[str, Any]:  # noqa: A002
        numeric = int(id.rsplit("/", 1)[-1]) if id.rsplit("/", 1)[-1].isdigit() else -1
        if not store.remove(shop.domain, numeric):
            return {"deletedWebhookSubscriptionId": None,
                    "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}

    name = shop.domain.removesuffix(".myshopify.com")
    shop_fields = {"id": gid("Shop", zlib.crc32(shop.domain.encode())), "name": name, "myshopifyDomain": shop.domain,
                   "email": f"owner@{name}.example", "contactEmail": f"contact@{name}.example"}
    return {"shop": shop_fields, "webhookSubscriptions": list_subscriptions, "webhookSubscriptionCreate": create,
            "webhookSubscriptionDelete": delete}
