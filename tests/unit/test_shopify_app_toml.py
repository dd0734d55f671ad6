"""shopify.app.toml: the shape Shopify CLI documents (app configuration reference), and the scopes and
webhook topics the code asks for, so `shopify app deploy` configures the app the connector expects."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from adapters.shopify.subscriptions import CONNECTOR_TOPICS, topic_enum
from connector.domain import shopify_access

TOML = Path(__file__).resolve().parents[2] / "shopify.app.toml"
TOP_LEVEL = {"name", "handle", "client_id", "application_url", "embedded", "access_scopes", "access", "auth",
             "webhooks", "app_proxy", "pos", "app_preferences", "build", "customer_authentication"}
"""The global keys and sections of Shopify's app configuration reference."""
COMPLIANCE = ["customers/data_request", "customers/redact", "shop/redact"]


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    with TOML.open("rb") as handle:
        return tomllib.load(handle)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_file_has_the_documented_required_keys_and_no_unknown_ones(config: dict[str, Any]) -> None:
    assert set(config) <= TOP_LEVEL
    assert isinstance(config["name"], str) and config["name"]
    assert isinstance(config["client_id"], str) and config["client_id"]
    assert config["embedded"] is True
    assert config["pos"] == {"embedded": False}
    assert isinstance(config["access_scopes"]["scopes"], str)
    assert all(isinstance(url, str) for url in config["auth"]["redirect_urls"])


def test_the_app_opens_at_app_on_https_and_every_address_is_on_the_same_host(config: dict[str, Any]) -> None:
    app_url = config["application_url"]
    assert app_url.startswith("https://") and urlsplit(app_url).path == "/app"
    base = origin(app_url)
    assert config["auth"]["redirect_urls"] == [f"{base}/shopify/callback"]
    assert {s["uri"] for s in config["webhooks"]["subscriptions"]} == {f"{base}/webhooks/shopify"}


def test_the_scopes_are_the_union_of_every_feature_s_scopes(config: dict[str, Any]) -> None:
    scopes = config["access_scopes"]["scopes"].split(",")
    assert scopes == sorted(scopes) and len(scopes) == len(set(scopes))
    assert tuple(scopes) == shopify_access.DEFAULT_SCOPES
    assert all(shopify_access.SCOPE_PATTERN.match(scope) for scope in scopes)


def test_the_webhook_topics_are_the_ones_the_connector_subscribes_plus_the_compliance_topics(
        config: dict[str, Any]) -> None:
    webhooks = config["webhooks"]
    assert webhooks["api_version"] == shopify_access.DEFAULT_API_VERSION == "2026-04"
    subscriptions = webhooks["subscriptions"]
    topics = [t for s in subscriptions for t in s.get("topics", [])]
    assert sorted(topics) == sorted(CONNECTOR_TOPICS) and len(topics) == len(set(topics))
    compliance = [s for s in subscriptions if "compliance_topics" in s]
    assert len(compliance) == 1 and compliance[0]["compliance_topics"] == COMPLIANCE
    assert "topics" not in compliance[0]  # Shopify CLI refuses both kinds in one subscription
    for subscription in subscriptions:
        assert set(subscription) <= {"topics", "compliance_topics", "uri", "filter", "include_fields"}


def test_every_topic_exists_in_the_2026_04_admin_schema(config: dict[str, Any], shopify_schema: Any) -> None:
    allowed = set(shopify_schema.get_type("WebhookSubscriptionTopic").values)
    topics = [t for s in config["webhooks"]["subscriptions"] for t in s.get("topics", [])]
    assert [t for t in topics if topic_enum(t) not in allowed] == []
