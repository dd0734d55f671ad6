"""Shopify webhook topics and their GraphQL enum values both ways, so that the health check recognises
the subscriptions it made (a topic read back under another name would be created again and refused);
every topic the connector subscribes exists in the real 2026-04 schema and in the simulator's subset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import build_schema

from adapters.shopify.subscriptions import CONNECTOR_TOPICS, topic_enum, topic_name
from connector.domain import shopify_access

SUBSET = Path(__file__).resolve().parents[2] / "sandbox" / "shopify_sim" / "subset.graphql"


@pytest.mark.parametrize("topic", CONNECTOR_TOPICS)
def test_every_connector_topic_reads_back_under_its_own_name(topic: str) -> None:
    assert topic_name(topic_enum(topic)) == topic


def test_every_connector_topic_is_a_webhook_topic_of_the_real_2026_04_schema(shopify_schema) -> None:  # type: ignore[no-untyped-def]
    values = set(shopify_schema.get_type("WebhookSubscriptionTopic").values)
    assert {topic_enum(t) for t in CONNECTOR_TOPICS} <= values


def test_the_simulator_can_subscribe_every_connector_topic() -> None:
    values = set(build_schema(SUBSET.read_text(encoding="utf-8")).get_type("WebhookSubscriptionTopic").values)  # type: ignore[union-attr]
    assert {topic_enum(t) for t in CONNECTOR_TOPICS} <= values


def test_a_topic_whose_resource_has_an_underscore_is_not_split_at_it() -> None:
    assert topic_name("INVENTORY_LEVELS_UPDATE") == "inventory_levels/update"
    assert topic_name("ORDERS_PARTIALLY_FULFILLED") == "orders/partially_fulfilled"


def test_other_topics_split_at_the_first_underscore() -> None:
    assert topic_name("PRODUCTS_UPDATE") == "products/update"
    assert topic_name("APP_UNINSTALLED") == "app/uninstalled"


def _required_scopes(description: str) -> set[str]:
    """'Requires at least one of the following scopes: read_orders, read_marketplace_orders.' or
    'Requires the `read_inventory` scope.' -> the scopes named; empty when none is required."""
    text = " ".join(description.split())
    found = re.search(r"Requires at least one of the following scopes: ([a-z_, ]+)\.", text)
    if found:
        return {s.strip() for s in found.group(1).split(",")}
    found = re.search(r"Requires the `([a-z_]+)` scope", text)
    return {found.group(1)} if found else set()


@pytest.mark.parametrize("topic", CONNECTOR_TOPICS)
def test_the_always_on_features_grant_a_scope_each_subscribed_topic_requires(topic: str, shopify_schema) -> None:  # type: ignore[no-untyped-def]
    value = shopify_schema.get_type("WebhookSubscriptionTopic").values[topic_enum(topic)]
    required = _required_scopes(value.description or "")
    granted = shopify_access.implied(s for f in shopify_access.ALWAYS_ON for s in f.scopes)
    assert not required or required & granted, (topic, sorted(required))


def test_the_closing_feature_declares_what_fulfillments_webhooks_need() -> None:
    closing = shopify_access.FEATURES_BY_NAME["closing"]
    assert not closing.settings and {"read_fulfillments", "read_orders"} <= set(closing.scopes)
