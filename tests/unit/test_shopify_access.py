"""The access scopes declared per feature cover every document each feature sends (judged by the
simulator's table, taken from Shopify's reference), the default scopes cover every feature, and
shopify.api_version / shopify.scopes refuse what the documents were not validated against."""

from __future__ import annotations

import pytest
from graphql import parse

from connector.config import Settings, load_settings
from connector.domain import shopify_access
from connector.domain.errors import ConfigError
from sandbox.shopify_sim.access import ROOT_FIELD_ACCESS, denied_fields
from tests.unit.test_shopify_documents import DOCUMENTS

FEATURE_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "capture": ("queries.STOCK_LEVELS", "queries.ORDERS_UPDATED_SINCE", "queries.ORDER_LINE_ITEMS",
                "queries.TAGS_ADD", "queries.TAGS_REMOVE", "subscriptions.WEBHOOK_SUBSCRIPTIONS",
                "subscriptions.WEBHOOK_SUBSCRIPTION_CREATE", "subscriptions.WEBHOOK_SUBSCRIPTION_DELETE",
                "subscriptions.SHOP_CONTACT", "access.GRANTED_SCOPES",
                "batched.TAGS_ADD_MANY_EXAMPLE", "bulk.STAGED_UPLOADS_CREATE", "bulk.BULK_RUN_MUTATION",
                "bulk.BULK_OPERATION"),
    "notify": ("orders_admin.ORDER_FOR_ADMIN", "refunds.SUGGESTED_REFUND", "refunds.REFUND_CREATE",
               "order_cancel.ORDER_CANCEL", "order_cancel.JOB", "order_cancel.ORDER_CANCELLED"),
    "promise": ("queries.DELIVERY_PROMISE", "batched.DELIVERY_PROMISES"),
    "publish_dates": ("catalog.CATALOG_VARIANTS", "catalog.METAFIELDS_SET", "catalog.METAFIELDS_DELETE",
                      "bulk.STAGED_UPLOADS_CREATE", "bulk.BULK_METAFIELDS_SET", "bulk.BULK_RUN_MUTATION",
                      "bulk.BULK_OPERATION", "bulk.BULK_MUTATIONS_SINCE"),
    "toggle_backorders": ("catalog.CATALOG_VARIANTS", "catalog.VARIANTS_BULK_UPDATE"),
    "consolation": ("orders_admin.ORDER_FOR_ADMIN", "orders_admin.DISCOUNT_BASIC_CREATE",
                    "orders_admin.DISCOUNT_FREE_SHIPPING_CREATE", "orders_admin.DISCOUNT_BY_CODE"),
    "dropship": ("fulfillment.ORDER_FACTS", "fulfillment.FULFILLMENT_ORDERS", "fulfillment.MOVE",
                 "fulfillment.FULFILL"),
    "holds": ("fulfillment.FULFILLMENT_ORDERS", "fulfillment.HOLD", "fulfillment.RELEASE_HOLD"),
    "fulfillment_service": ("fulfillment_service.SERVICE_CREATE", "fulfillment_service.ASSIGNED",
                            "fulfillment_service.ACCEPT_REQUEST", "fulfillment_service.REJECT_REQUEST",
                            "fulfillment_service.ACCEPT_CANCELLATION", "fulfillment_service.REJECT_CANCELLATION",
                            "fulfillment.FULFILL"),
}
"""Which documents each feature sends (the adapters it drives)."""
FEATURE_DOCUMENTS["payments"] = ("payments.ORDER_PAYMENT", "payments.ORDER_CAPTURE", "payments.MANDATE_PAYMENT",
                                 "payments.INVOICE_SEND", "payments.PAYMENT_FULFILLMENT_ORDERS",
                                 "payments.PAYMENT_HOLD", "payments.PAYMENT_RELEASE_HOLD")
FEATURE_DOCUMENTS["selling_plans"] = tuple(f"selling_plans.{name}" for name in (
    "GROUP", "GROUPS", "GROUP_CREATE", "GROUP_UPDATE", "ADD_VARIANTS", "REMOVE_VARIANTS", "GROUP_DELETE",
    "ORDER_SELLING_PLANS"))
FEATURE_DOCUMENTS["closing"] = ("queries.ORDER_BY_ID",)  # shipping: a fulfillments/* webhook reads its order
FEATURE_DOCUMENTS["reorder"] = ("sales_history.SALES_ORDERS",)  # the sales history read
FEATURE_DOCUMENTS["brand"] = ("brand.STOREFRONT_TOKEN_CREATE",)  # then the Storefront API (not an Admin document)

SCOPE_FREE = {"shop", "job", "webhookSubscriptions", "webhookSubscriptionCreate", "webhookSubscriptionDelete",
              "currentAppInstallation",
              # a bulk mutation needs the scopes of the mutation it runs (metafieldsSet: write_products)
              "stagedUploadsCreate", "bulkOperationRunMutation", "bulkOperation", "bulkOperations"}


def test_every_document_belongs_to_a_declared_feature() -> None:
    assert set(FEATURE_DOCUMENTS) == set(shopify_access.FEATURES_BY_NAME)
    claimed = {name for names in FEATURE_DOCUMENTS.values() for name in names}
    assert claimed == set(DOCUMENTS)


def test_every_root_field_the_documents_use_has_a_known_scope_rule() -> None:
    fields = {selection.name.value for document in DOCUMENTS.values()
              for selection in parse(document).definitions[0].selection_set.selections}  # type: ignore[attr-defined]
    assert fields - SCOPE_FREE <= set(ROOT_FIELD_ACCESS)


@pytest.mark.parametrize("feature", sorted(FEATURE_DOCUMENTS))
def test_each_feature_s_declared_scopes_allow_every_document_it_sends(feature: str) -> None:
    granted = frozenset(shopify_access.FEATURES_BY_NAME[feature].scopes)
    for name in FEATURE_DOCUMENTS[feature]:
        assert denied_fields(parse(DOCUMENTS[name]), None, granted) == [], (feature, name)


def test_the_scopes_issue_11_found_missing_are_declared_where_they_are_needed() -> None:
    needs = {f.name: set(f.scopes) for f in shopify_access.FEATURES}
    assert "write_merchant_managed_fulfillment_orders" in needs["holds"] & needs["dropship"]
    assert "write_discounts" in needs["consolation"]
    assert {"write_fulfillments", "write_assigned_fulfillment_orders"} <= needs["fulfillment_service"]


def test_the_default_scopes_cover_every_declared_feature() -> None:
    defaults = Settings().shopify_scopes
    assert defaults == shopify_access.DEFAULT_SCOPES
    for feature in shopify_access.FEATURES:
        assert shopify_access.missing(defaults, feature.scopes) == (), feature.name
    assert shopify_access.gaps({k: True for f in shopify_access.FEATURES for k in f.settings}
                               | {"notify.consolation": {"min_slip_days": 5}}, defaults) == []


def test_the_example_configuration_requests_the_default_scopes() -> None:
    from tests.conftest import ROOT

    settings = load_settings(env={}, path=ROOT / "config.example.yaml")
    assert settings.shopify_scopes == shopify_access.DEFAULT_SCOPES
    assert settings.shopify_api_version in shopify_access.API_VERSIONS


def test_write_grants_read_and_read_does_not_grant_write() -> None:
    assert shopify_access.missing(["write_orders"], ["read_orders", "write_orders"]) == ()
    assert shopify_access.missing(["read_orders"], ["write_orders"]) == ("write_orders",)
    assert shopify_access.missing(["write_orders"], ["read_all_orders"]) == ("read_all_orders",)
    assert shopify_access.minimal(["read_orders", "write_orders", "read_inventory"]) == ("read_inventory",
                                                                                        "write_orders")


def test_a_feature_turned_on_without_its_scope_is_a_gap_naming_the_missing_scopes() -> None:
    granted = ("write_orders", "write_products", "read_inventory", "read_fulfillments")
    values = {"notify.consolation": {"min_slip_days": 10}, "dropship.enabled": True,
              "dropship.hold_waiting_lines": True, "publish.dates": True}
    found = {g.feature.name: g.missing for g in shopify_access.gaps(values, granted)}
    assert found == {"consolation": ("write_discounts",),
                     "dropship": ("write_merchant_managed_fulfillment_orders",),
                     "holds": ("write_merchant_managed_fulfillment_orders",)}


@pytest.mark.parametrize("version", ["2025-07", "2026-01", "2099-01", "unstable", "latest"])
def test_an_api_version_the_documents_were_not_validated_against_is_a_config_error(version: str) -> None:
    with pytest.raises(ConfigError, match="shopify.api_version") as caught:
        Settings(shopify_api_version=version)
    assert "2026-04" in str(caught.value)


def test_the_api_version_from_the_environment_is_checked_too() -> None:
    with pytest.raises(ConfigError, match="shopify.api_version"):
        load_settings(env={"CONNECTOR_SHOPIFY_API_VERSION": "2025-07"}, path=None)


def test_scopes_that_do_not_cover_capture_are_a_config_error_naming_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="shopify.scopes.*write_orders"):
        Settings(shopify_scopes=("read_orders", "write_products", "read_inventory"))
    with pytest.raises(ConfigError, match="shopify.scopes.*not an access scope"):
        Settings(shopify_scopes=("write_orders", "write products", "read_inventory"))
    with pytest.raises(ConfigError, match="shopify.scopes.*read_fulfillments, needed by closing"):
        Settings(shopify_scopes=("write_orders", "write_products", "read_inventory"))
    narrow = Settings(shopify_scopes=("write_orders", "write_products", "read_inventory", "read_fulfillments"))
    assert narrow.shopify_scopes == ("write_orders", "write_products", "read_inventory", "read_fulfillments")


def test_nodes_needs_the_scope_of_the_object_type_it_asks_for() -> None:
    orders = parse("query Q($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { id } } }")
    variants = parse("query Q($ids: [ID!]!) { nodes(ids: $ids) { ... on ProductVariant { id } } }")
    assert denied_fields(orders, None, frozenset({"read_orders"})) == []
    assert "read_orders" in denied_fields(orders, None, frozenset({"read_products"}))[0]["message"]
    assert denied_fields(variants, None, frozenset({"read_products"})) == []
    assert "read_products" in denied_fields(variants, None, frozenset({"read_orders"}))[0]["message"]
