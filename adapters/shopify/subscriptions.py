"""Webhook subscriptions through the GraphQL Admin API: list, create, delete.

Compliance topics (customers/data_request, customers/redact, shop/redact) cannot be subscribed
through the API: they are set in the app's configuration (Partner Dashboard / shopify.app.toml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

SHOP_CONTACT = """
query ShopContact {
  shop { name contactEmail email }
}
"""

DOCUMENTS = (WEBHOOK_SUBSCRIPTIONS, WEBHOOK_SUBSCRIPTION_CREATE, WEBHOOK_SUBSCRIPTION_DELETE, SHOP_CONTACT)

CONNECTOR_TOPICS: tuple[str, ...] = ("orders/create", "orders/updated", "orders/cancelled", "app/uninstalled")
"""Topics the connector subscribes to after install."""

CONNECTOR_TOPICS = (*CONNECTOR_TOPICS, "inventory_levels/update")
"""Stock that arrives is allocated to waiting backorders (connector/capture/stock.py); needs read_inventory."""

CONNECTOR_TOPICS = (*CONNECTOR_TOPICS, "orders/fulfilled", "orders/partially_fulfilled", "fulfillments/create",
                    "fulfillments/update")
"""Shipped units close backorders (connector/shipping): orders/* need read_orders, fulfillments/* read_fulfillments."""

CONNECTOR_TOPICS = (*CONNECTOR_TOPICS, "bulk_operations/finish")
"""A bulk publish of in-stock dates finished (connector/supply/publish_bulk.py): the shop's publishing resumes."""


def topic_enum(topic: str) -> str:
    """orders/create -> ORDERS_CREATE"""
    return topic.replace("/", "_").upper()


def topic_name(enum: str) -> str:
    """ORDERS_CREATE -> orders/create; APP_UNINSTALLED -> app/uninstalled. The connector's own topics are
    looked up (INVENTORY_LEVELS_UPDATE -> inventory_levels/update, ORDERS_PARTIALLY_FULFILLED ->
    orders/partially_fulfilled); any other splits at the first underscore."""
    for topic in CONNECTOR_TOPICS:
        if topic_enum(topic) == enum:
            return topic
    resource, _, event = enum.lower().partition("_")
    return f"{resource}/{event}"


@dataclass(frozen=True)
class Subscription:
    id: str
    topic: str
    uri: str


class ShopifySubscriptions:
    def __init__(self, client: ShopifyGraphQL) -> None:
        self.client = client

    def list(self) -> list[Subscription]:
        found: list[Subscription] = []
        after: str | None = None
        while True:
            data = self.client.execute(WEBHOOK_SUBSCRIPTIONS, {"after": after} if after else None)
            page: dict[str, Any] = data["webhookSubscriptions"]
            found += [Subscription(n["id"], topic_name(n["topic"]), n["uri"]) for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def create(self, topic: str, uri: str) -> Subscription:
        data = self.client.execute(WEBHOOK_SUBSCRIPTION_CREATE,
                                   {"topic": topic_enum(topic), "subscription": {"uri": uri}})
        payload = data.get("webhookSubscriptionCreate")
        raise_user_errors(payload, "webhookSubscriptionCreate")
        node = payload["webhookSubscription"]  # type: ignore[index]
        return Subscription(node["id"], topic_name(node["topic"]), node["uri"])

    def contact_email(self) -> str | None:
        """Where the shop wants app e-mail (privacy exports): contactEmail, else the owner's email."""
        return self.identity()[1]

    def identity(self) -> tuple[str | None, str | None]:
        """(the shop's name, its contact e-mail) in one read: ``name``; ``contactEmail`` (the public
        address customers write to), else the owner's ``email``."""
        shop = self.client.execute(SHOP_CONTACT).get("shop") or {}
        name = shop.get("name")
        return ((" ".join(name.split())[:255] or None) if isinstance(name, str) else None,
                shop.get("contactEmail") or shop.get("email") or None)

    def delete(self, subscription_id: str) -> None:
        data = self.client.execute(WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription_id})
        raise_user_errors(data.get("webhookSubscriptionDelete"), "webhookSubscriptionDelete")
