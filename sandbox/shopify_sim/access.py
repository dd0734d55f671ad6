"""Access scopes in the simulated Admin API: which scope each root field needs, refused as Shopify does.

Shopify answers a field the app has no scope for with HTTP 200, ``data.<field>: null`` and an error
``{"message": "Access denied for <field> field. Required access: `<scope>` access scope.",
"extensions": {"code": "ACCESS_DENIED", "documentation": …, "requiredAccess": "`<scope>` access scope."}}``;
where several scopes would do, ``requiredAccess`` names each ("`a` access scope or `b` access scope").
The table comes from Shopify's reference ("Requires … access scope" on each query and mutation),
kept here on its own so that the simulator does not take the connector's word for it.
A ``write_X`` scope grants ``read_X``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import DocumentNode, FieldNode, InlineFragmentNode, OperationDefinitionNode

FULFILLMENT_ORDER_WRITE = ("write_merchant_managed_fulfillment_orders", "write_third_party_fulfillment_orders")

ROOT_FIELD_ACCESS: dict[str, tuple[str, ...]] = {
    # queries
    "orders": ("read_orders",),
    "order": ("read_orders",),
    "nodes": ("read_products",),
    "node": ("read_products",),
    "productVariant": ("read_products",),
    "productVariants": ("read_products",),
    "codeDiscountNodeByCode": ("read_discounts",),
    "assignedFulfillmentOrders": ("read_assigned_fulfillment_orders",),
    # mutations
    "tagsAdd": ("write_orders",),
    "tagsRemove": ("write_orders",),
    "orderCancel": ("write_orders",),
    "refundCreate": ("write_orders",),
    "orderEditBegin": ("write_order_edits",),
    "orderEditSetQuantity": ("write_order_edits",),
    "orderEditCommit": ("write_order_edits",),
    "metafieldsSet": ("write_products",),
    "metafieldsDelete": ("write_products",),
    "productVariantsBulkUpdate": ("write_products",),
    "discountCodeBasicCreate": ("write_discounts",),
    "discountCodeFreeShippingCreate": ("write_discounts",),
    "fulfillmentOrderHold": FULFILLMENT_ORDER_WRITE,
    "fulfillmentOrderReleaseHold": FULFILLMENT_ORDER_WRITE,
    "fulfillmentOrderMove": FULFILLMENT_ORDER_WRITE,
    "fulfillmentCreate": ("write_assigned_fulfillment_orders", *FULFILLMENT_ORDER_WRITE),
    "fulfillmentServiceCreate": ("write_fulfillments",),
    "fulfillmentOrderAcceptFulfillmentRequest": ("write_assigned_fulfillment_orders",),
    "fulfillmentOrderRejectFulfillmentRequest": ("write_assigned_fulfillment_orders",),
    "fulfillmentOrderAcceptCancellationRequest": ("write_assigned_fulfillment_orders",),
    "fulfillmentOrderRejectCancellationRequest": ("write_assigned_fulfillment_orders",),
}
"""Root field -> the scopes any one of which allows it. Fields not listed need none (shop, job,
webhookSubscriptions, currentAppInstallation)."""

APP_SCOPES: tuple[str, ...] = (
    "read_inventory", "write_assigned_fulfillment_orders", "write_discounts", "write_fulfillments",
    "write_merchant_managed_fulfillment_orders", "write_order_edits", "write_orders", "write_products")
"""What the simulated app's configuration (shopify.app.toml) grants on a managed install / token exchange,
and what a seeded shop without ``scopes`` has."""

ROOT_FIELD_ACCESS.update({  # payments (issue 13): captures, mandate payments, invoices
    "orderCapture": ("write_orders",),
    "orderCreateMandatePayment": ("write_payment_mandate",),
    "orderInvoiceSend": ("write_orders",),
})
APP_SCOPES = (*APP_SCOPES, "write_payment_mandate")

DOCUMENTATION = "https://shopify.dev/api/usage/access-scopes"


def with_implied(scopes: Iterable[str]) -> frozenset[str]:
    granted = {s.strip() for s in scopes if s.strip()}
    return frozenset(granted | {"read_" + s.removeprefix("write_") for s in granted if s.startswith("write_")})


def parse_scopes(value: Any) -> frozenset[str] | None:
    """A seed's or a token's scopes: a list or a comma-separated string; None for "all"."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return frozenset(str(item).strip() for item in items if str(item).strip())


def denied_fields(document: DocumentNode, operation_name: str | None,
                  granted: frozenset[str] | None) -> list[dict[str, Any]]:
    """The ACCESS_DENIED errors for the operation's root fields the granted scopes do not allow."""
    if granted is None:
        return []
    have = with_implied(granted)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    errors: list[dict[str, Any]] = []
    for operation in chosen[:1]:
        for selection in operation.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            needed = _node_access(selection) if name in ("node", "nodes") else ROOT_FIELD_ACCESS.get(name, ())
            if needed and not have & set(needed):
                required = " or ".join(f"`{scope}` access scope" for scope in needed) + "."
                key = selection.alias.value if selection.alias else name
                location = selection.loc.source.get_location(selection.loc.start) if selection.loc else None
                error: dict[str, Any] = {"message": f"Access denied for {name} field. Required access: {required}",
                                         "path": [key],
                                         "extensions": {"code": "ACCESS_DENIED", "documentation": DOCUMENTATION,
                                                        "requiredAccess": required}}
                if location is not None:
                    error["locations"] = [{"line": location.line, "column": location.column}]
                errors.append(error)
    return errors

NODE_TYPE_ACCESS: dict[str, tuple[str, ...]] = {
    "Order": ("read_orders",),
    "ProductVariant": ("read_products",),
    "Product": ("read_products",),
}
"""``node``/``nodes`` need the scope of the object types asked for (their ``... on Type`` fragments)."""


def _node_access(selection: FieldNode) -> tuple[str, ...]:
    """The scope a ``node``/``nodes`` field needs: that of the first known type it selects, else the table's."""
    for inner in selection.selection_set.selections if selection.selection_set else ():
        if isinstance(inner, InlineFragmentNode) and inner.type_condition is not None:
            scopes = NODE_TYPE_ACCESS.get(inner.type_condition.name.value)
            if scopes:
                return scopes
    return ROOT_FIELD_ACCESS.get(selection.name.value, ())


ROOT_FIELD_ACCESS.update({  # selling plan groups (deferred purchase options, issue 13)
    "sellingPlanGroup": ("read_purchase_options",),
    "sellingPlanGroups": ("read_purchase_options",),
    "sellingPlanGroupCreate": ("write_purchase_options",),
    "sellingPlanGroupUpdate": ("write_purchase_options",),
    "sellingPlanGroupAddProductVariants": ("write_purchase_options",),
    "sellingPlanGroupRemoveProductVariants": ("write_purchase_options",),
    "sellingPlanGroupDelete": ("write_purchase_options",),
})
APP_SCOPES = (*APP_SCOPES, "write_purchase_options")

UNAUTHENTICATED_SCOPES = ("unauthenticated_read_product_listings", "unauthenticated_read_product_tags",
                          "unauthenticated_read_content", "unauthenticated_read_customer_tags",
                          "unauthenticated_read_customers", "unauthenticated_write_customers",
                          "unauthenticated_read_checkouts", "unauthenticated_write_checkouts")
"""The Storefront API's scopes (shopify.dev "Storefront API access scopes"): a Storefront access token
inherits those of them the app was granted, and creating one fails when it was granted none."""
ROOT_FIELD_ACCESS.update({  # the shop's brand (issue 18): a Storefront token for the Storefront API
    "storefrontAccessTokenCreate": UNAUTHENTICATED_SCOPES,
})
APP_SCOPES = (*APP_SCOPES, "unauthenticated_read_product_listings")
