"""What the connector may ask of Shopify: the Admin API versions and the access scopes per feature.

``API_VERSIONS`` lists the Admin API versions every GraphQL document the connector sends has been
validated against (tests/unit/test_shopify_documents.py checks each document against each version's
real schema); ``shopify.api_version`` accepts only these. 2025-07 is not among them: four documents
use what it lacks (``@idempotent`` on refundCreate, ``WebhookSubscription.uri``, the discount
``context`` input and a ``URL!`` callback variable), and it is past Shopify's 12-month support window.

``FEATURES`` says which access scopes each feature calls for (from Shopify's reference: each
query and mutation states the scope it requires). The install requests the union
(``DEFAULT_SCOPES`` is the default of ``shopify.scopes``); the granted scopes are read back after
install, and a merchant who turns on a feature whose scopes were not granted is told which are
missing and where to re-authorise. Shopify grants ``read_X`` with ``write_X``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.domain.errors import PermanentError, PlatformAuthError
from connector.domain.payments import shop_route

API_VERSIONS: tuple[str, ...] = ("2026-04",)
"""Admin API versions every document is validated against, newest last."""

DEFAULT_API_VERSION = API_VERSIONS[-1]

SCOPE_PATTERN = re.compile(r"^(unauthenticated_)?(read|write)_[a-z][a-z_]*$")
"""How an access scope handle looks (``write_orders``, ``read_all_orders``)."""


def _swap(scope: str, old: str, new: str) -> str | None:
    """``write_orders`` -> ``read_orders`` (or back); None when ``scope`` is not an ``old`` scope."""
    head, sep, resource = scope.partition(old)
    return f"{head}{new}{resource}" if sep and head in ("", "unauthenticated_") and resource else None


def implied(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes plus those they imply: ``write_X`` grants ``read_X``."""
    found = {s.strip() for s in scopes if s and s.strip()}
    return frozenset(found | {r for r in (_swap(s, "write_", "read_") for s in found) if r})


def minimal(scopes: Iterable[str]) -> tuple[str, ...]:
    """Sorted, without a ``read_X`` that a ``write_X`` in the same set already grants."""
    wanted = {s.strip() for s in scopes if s and s.strip()}
    return tuple(sorted(s for s in wanted if _swap(s, "read_", "write_") not in wanted))


def missing(granted: Iterable[str], needed: Iterable[str]) -> tuple[str, ...]:
    """The needed scopes the granted ones (with what they imply) do not cover, sorted."""
    have = implied(granted)
    return tuple(sorted({s for s in needed if s not in have}))


def parse_granted(stored: str | None) -> tuple[str, ...] | None:
    """A shop row's ``scopes`` column (comma-separated) as a tuple; None when never recorded."""
    if stored is None:
        return None
    return tuple(sorted({s.strip() for s in stored.split(",") if s.strip()}))


@dataclass(frozen=True)
class Feature:
    """A capability the merchant can have on or off, and the scopes it calls for."""

    name: str
    summary: str
    scopes: tuple[str, ...]
    settings: tuple[str, ...]
    """The per-shop settings that turn it on (empty: always on)."""
    enabled: Callable[[Mapping[str, Any]], bool]
    """Whether it is on, given the shop's settings (declared defaults filled in)."""


def _on(key: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: bool(values.get(key))


def _always(values: Mapping[str, Any]) -> bool:
    return True


def _consolation_on(values: Mapping[str, Any]) -> bool:
    policy = values.get("notify.consolation")
    return isinstance(policy, Mapping) and policy.get("min_slip_days") is not None


def _holds_on(values: Mapping[str, Any]) -> bool:
    return bool(values.get("dropship.enabled")) and bool(values.get("dropship.hold_waiting_lines"))


FEATURES: tuple[Feature, ...] = (
    Feature("capture", "read orders and stock, tag backordered orders (tagsAdd/tagsRemove), order webhooks",
            ("write_orders", "read_products", "read_inventory"), (), _always),
    Feature("notify", "cancel and refund orders the customer gave up on (orderCancel, refundCreate)",
            ("write_orders",), (), _always),
    Feature("promise", "read the delivery promise on the order's fulfillment orders",
            ("read_orders", "read_merchant_managed_fulfillment_orders"), ("promise.shopify_delivery_method",),
            _on("promise.shopify_delivery_method")),
    Feature("publish_dates", "write the in-stock date on product pages (metafieldsSet, metafieldsDelete; many at "
            "once as a bulk mutation: stagedUploadsCreate, bulkOperationRunMutation, bulkOperation(s))",
            ("write_products",), ("publish.dates",), _on("publish.dates")),
    Feature("toggle_backorders", "switch a variant's inventory policy (productVariantsBulkUpdate)",
            ("write_products",), ("publish.toggle_backorders",), _on("publish.toggle_backorders")),
    Feature("consolation", "consolation discount codes for long slips (discountCodeBasicCreate, "
            "discountCodeFreeShippingCreate, codeDiscountNodeByCode)",
            ("read_orders", "write_discounts"), ("notify.consolation",), _consolation_on),
    Feature("dropship", "drop-ship lines: fulfillment orders, move, fulfillmentCreate with tracking",
            ("write_orders", "write_merchant_managed_fulfillment_orders"), ("dropship.enabled",),
            _on("dropship.enabled")),
    Feature("holds", "hold waiting lines (fulfillmentOrderHold, fulfillmentOrderReleaseHold)",
            ("read_orders", "write_merchant_managed_fulfillment_orders"),
            ("dropship.enabled", "dropship.hold_waiting_lines"),
            _holds_on),
    Feature("fulfillment_service", "run as a fulfillment service (fulfillmentServiceCreate, "
            "assignedFulfillmentOrders, accept/reject requests, fulfillmentCreate)",
            ("write_fulfillments", "write_assigned_fulfillment_orders"), ("dropship.fulfillment_service",),
            _on("dropship.fulfillment_service")),
)

FEATURES = (*FEATURES, Feature(
    "selling_plans", "a pre-order purchase option on backordered variants, balance charged when it ships "
    "(sellingPlanGroupCreate/Update/AddProductVariants/RemoveProductVariants/Delete, sellingPlanGroups)",
    ("write_purchase_options", "read_orders"), ("payments.route",),
    lambda values: values.get("payments.route") == "selling_plan"))

FEATURES = (*FEATURES, Feature(
    "payments", "payment on shipment: capture authorisations (orderCapture), charge vaulted balances "
    "(orderCreateMandatePayment), payment links (orderInvoiceSend), AWAITING_PAYMENT holds",
    ("write_orders", "write_payment_mandate", "write_merchant_managed_fulfillment_orders"),
    ("payments.route", "payments.enabled"), lambda values: shop_route(values).on))

FEATURES = (*FEATURES, Feature(
    "closing", "close backorders when their units ship: orders/fulfilled|partially_fulfilled and "
    "fulfillments/create|update webhooks, the order read after a fulfillment (order with lineItems "
    "unfulfilledQuantity)", ("read_orders", "read_fulfillments"), (), _always))

FEATURES = (*FEATURES, Feature(
    "reorder", "reorder advice from sales history: the shop's orders read once in pages (orders with lineItems "
    "currentQuantity). Shopify answers the last 60 days only unless the app is granted read_all_orders "
    "(a protected scope, asked for separately: shopify.scopes)", ("read_orders",), (), _always))

FEATURES = (*FEATURES, Feature(
    "brand", "the shop's logo and accent colour for customer messages: a Storefront access token made once "
    "(storefrontAccessTokenCreate, which needs an unauthenticated_* scope), then the Storefront API's shop "
    "{ brand } (its logo images need unauthenticated_read_product_listings)",
    ("unauthenticated_read_product_listings",), ("brand.from_store",), _on("brand.from_store")))

FEATURES_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

ALWAYS_ON: tuple[Feature, ...] = tuple(f for f in FEATURES if not f.settings)

DEFAULT_SCOPES: tuple[str, ...] = minimal(s for f in FEATURES for s in f.scopes)
"""The union of every feature's scopes: what the install asks for unless ``shopify.scopes`` says otherwise."""


def required_for(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The scopes the features turned on in ``values`` need (minimal form)."""
    return minimal(s for f in FEATURES if f.enabled(values) for s in f.scopes)


@dataclass(frozen=True)
class ScopeGap:
    """A feature that is (or would be) on without the scopes it needs."""

    feature: Feature
    missing: tuple[str, ...]


def gaps(values: Mapping[str, Any], granted: Iterable[str]) -> list[ScopeGap]:
    """Every feature on in ``values`` whose scopes ``granted`` does not cover."""
    granted = tuple(granted)
    found = []
    for feature in FEATURES:
        if feature.enabled(values):
            lacking = missing(granted, feature.scopes)
            if lacking:
                found.append(ScopeGap(feature, lacking))
    return found


class AccessDenied(PlatformAuthError):
    """Shopify refused a call for want of an access scope (GraphQL ``ACCESS_DENIED``).

    ``required`` is Shopify's ``requiredAccess`` text (which scopes would do), ``fields`` the refused
    fields. Retrying cannot help: the merchant must grant the scope (re-authorise the app)."""

    def __init__(self, message: str, *, fields: tuple[str, ...] = (), required: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields
        self.required = required


class MissingScopes(PermanentError):
    """A feature was turned on for a shop that did not grant the scopes it calls for."""

    def __init__(self, shop: str, gaps: list[ScopeGap], reauthorize_url: str | None) -> None:
        lacking = minimal(s for g in gaps for s in g.missing)
        features = ", ".join(g.feature.name for g in gaps)
        where = f"; re-authorise the app to grant them: {reauthorize_url}" if reauthorize_url else \
            "; re-authorise the app (open it from the shop's admin) to grant them"
        super().__init__(f"shop {shop}: {features} needs access scopes the shop has not granted: "
                         f"{', '.join(lacking)}{where}")
        self.shop = shop
        self.missing = lacking
        self.gaps = gaps
        self.reauthorize_url = reauthorize_url
