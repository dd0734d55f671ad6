"""Shopify webhook topics and their GraphQL enum values both ways, so that the health check recognises
the subscriptions it made (a topic read back under another name would be created again and refused);
every topic the connector subscribes exists in the real 2026-04 schema and in the simulator's subset."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from adapters.shopify.subscriptions import CONNECTOR_TOPICS, topic_enum, topic_name

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
