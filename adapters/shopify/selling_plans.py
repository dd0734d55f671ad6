"""The SellingPlans port on Shopify: the connector's pre-order selling plan group (deferred purchase options).

One group per shop (merchantCode ``backorder-connector-preorder``, category PRE_ORDER) with one fixed
plan: checkout charge ``PERCENTAGE`` (0 or the deposit), remaining balance ``ON_FULFILLMENT`` or the
backstop ``TIME_AFTER_CHECKOUT``, delivery ``UNKNOWN``, inventory reserved ``ON_SALE``
(connector/domain/selling_plans.py says why). Every call needs ``write_purchase_options``
(``read_purchase_options`` for reads). None of these mutations takes an idempotency key: a create
whose answer is lost raises OutcomeUncertain (adapters/shopify/client.py) and the next sync finds the
group by its merchant code before it creates one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.platform import gid, numeric_id
from connector.domain.errors import PlatformRejected
from connector.domain.selling_plans import APP_ID, GROUP_NAME, MERCHANT_CODE, PlanSpec, StoreGroup

log = logging.getLogger(__name__)

VARIANTS_PER_CALL = 100
"""Variant ids per add/remove call."""

_GROUP_FIELDS = """      id
      merchantCode
      sellingPlans(first: 1) {
        nodes {
          id
          name
          billingPolicy {
            ... on SellingPlanFixedBillingPolicy { remainingBalanceChargeTrigger }
          }
        }
      }
"""

GROUP = """
query ConnectorSellingPlanGroup($id: ID!, $after: String) {
  sellingPlanGroup(id: $id) {
""" + _GROUP_FIELDS + """    productVariants(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id }
    }
  }
}
"""

GROUPS = """
query ConnectorSellingPlanGroups($after: String) {
  sellingPlanGroups(first: 50, after: $after, query: "category:PRE_ORDER") {
    pageInfo { hasNextPage endCursor }
    nodes {
""" + _GROUP_FIELDS + """    }
  }
}
"""

GROUP_CREATE = """
mutation ConnectorSellingPlanGroupCreate($input: SellingPlanGroupInput!, $resources: SellingPlanGroupResourceInput) {
  sellingPlanGroupCreate(input: $input, resources: $resources) {
    sellingPlanGroup {
""" + _GROUP_FIELDS + """    }
    userErrors { field message code }
  }
}
"""

GROUP_UPDATE = """
mutation ConnectorSellingPlanGroupUpdate($id: ID!, $input: SellingPlanGroupInput!) {
  sellingPlanGroupUpdate(id: $id, input: $input) {
    sellingPlanGroup {
""" + _GROUP_FIELDS + """    }
    userErrors { field message code }
  }
}
"""

ADD_VARIANTS = """
mutation ConnectorSellingPlanGroupAddVariants($id: ID!, $productVariantIds: [ID!]!) {
  sellingPlanGroupAddProductVariants(id: $id, productVariantIds: $productVariantIds) {
    sellingPlanGroup { id }
    userErrors { field message code }
  }
}
"""

REMOVE_VARIANTS = """
mutation ConnectorSellingPlanGroupRemoveVariants($id: ID!, $productVariantIds: [ID!]!) {
  sellingPlanGroupRemoveProductVariants(id: $id, productVariantIds: $productVariantIds) {
    removedProductVariantIds
    userErrors { field message code }
  }
}
"""

GROUP_DELETE = """
mutation ConnectorSellingPlanGroupDelete($id: ID!) {
  sellingPlanGroupDelete(id: $id) {
    deletedSellingPlanGroupId
    userErrors { field message code }
  }
}
"""

ORDER_SELLING_PLANS = """
query ConnectorOrderSellingPlans($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id sellingPlan { sellingPlanId name } }
    }
  }
}
"""

DOCUMENTS = (GROUP, GROUPS, GROUP_CREATE, GROUP_UPDATE, ADD_VARIANTS, REMOVE_VARIANTS, GROUP_DELETE,
             ORDER_SELLING_PLANS)


def plan_input(spec: PlanSpec, plan_id: str | None = None) -> dict[str, Any]:
    """A ``SellingPlanInput`` for ``spec`` (with ``id`` to update an existing plan)."""
    billing: dict[str, Any] = {
        "remainingBalanceChargeTrigger": spec.balance_trigger,
        "checkoutCharge": {"type": "PERCENTAGE", "value": {"percentage": float(spec.deposit_percent)}},
    }
    if spec.time_after_checkout is not None:
        billing["remainingBalanceChargeTimeAfterCheckout"] = spec.time_after_checkout
    plan: dict[str, Any] = {
        "name": spec.name,
        "options": [spec.name],
        "category": spec.category,
        "billingPolicy": {"fixed": billing},
        "deliveryPolicy": {"fixed": {"fulfillmentTrigger": spec.fulfillment_trigger}},
        "inventoryPolicy": {"reserve": spec.reserve},
    }
    if plan_id is not None:
        plan["id"] = plan_id
    return plan


def group_input(spec: PlanSpec, *, plan_id: str | None = None) -> dict[str, Any]:
    """A ``SellingPlanGroupInput``: a new group with its plan, or (``plan_id``) the plan rewritten."""
    group: dict[str, Any] = {"name": GROUP_NAME, "merchantCode": MERCHANT_CODE, "appId": APP_ID,
                             "options": ["Purchase option"], "description": spec.name}
    if plan_id is None:
        group["sellingPlansToCreate"] = [plan_input(spec)]
    else:
        group["sellingPlansToUpdate"] = [plan_input(spec, plan_id)]
    return group


def _group(node: dict[str, Any], variant_ids: Sequence[str] = ()) -> StoreGroup:
    plans = ((node.get("sellingPlans") or {}).get("nodes")) or []
    plan = plans[0] if plans else {}
    return StoreGroup(str(node["id"]), plan.get("id"), str(node.get("merchantCode") or ""), tuple(variant_ids),
                      plan.get("name"), (plan.get("billingPolicy") or {}).get("remainingBalanceChargeTrigger"))


class ShopifySellingPlans:
    def __init__(self, client: ShopifyGraphQL) -> None:
        self.client = client

    def get(self, group_id: str) -> StoreGroup | None:
        after: str | None = None
        variants: list[str] = []
        while True:
            node = self.client.execute(GROUP, {"id": group_id, "after": after}).get("sellingPlanGroup")
            if node is None:
                return None
            page = node.get("productVariants") or {}
            variants += [str(numeric_id(v["id"])) for v in page.get("nodes") or []]
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return _group(node, variants)
            after = info.get("endCursor")

    def find(self, merchant_code: str) -> StoreGroup | None:
        after: str | None = None
        while True:
            page = self.client.execute(GROUPS, {"after": after}).get("sellingPlanGroups") or {}
            for node in page.get("nodes") or []:
                if node.get("merchantCode") == merchant_code:
                    return self.get(str(node["id"]))
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return None
            after = info.get("endCursor")

    def create(self, spec: PlanSpec, variant_ids: Sequence[str]) -> StoreGroup:
        first, rest = list(variant_ids[:VARIANTS_PER_CALL]), list(variant_ids[VARIANTS_PER_CALL:])
        resources = {"productVariantIds": [gid("ProductVariant", v) for v in first]} if first else None
        data = self.client.execute(GROUP_CREATE, {"input": group_input(spec), "resources": resources})
        payload = data.get("sellingPlanGroupCreate")
        raise_user_errors(payload, "sellingPlanGroupCreate")
        assert payload is not None
        group = _group(payload["sellingPlanGroup"], first)
        log.info("selling plan group created", extra={"shop": self.client.shop_domain, "group_id": group.group_id,
                                                      "variants": len(first)})
        if rest:
            self.add_variants(group.group_id, rest)
        return StoreGroup(group.group_id, group.plan_id, group.merchant_code, tuple(variant_ids), group.plan_name,
                          group.balance_trigger)

    def update(self, group: StoreGroup, spec: PlanSpec) -> StoreGroup:
        data = self.client.execute(GROUP_UPDATE, {"id": group.group_id,
                                                  "input": group_input(spec, plan_id=group.plan_id)})
        payload = data.get("sellingPlanGroupUpdate")
        raise_user_errors(payload, "sellingPlanGroupUpdate")
        assert payload is not None
        updated = _group(payload["sellingPlanGroup"], group.variant_ids)
        log.info("selling plan group updated", extra={"shop": self.client.shop_domain, "group_id": group.group_id})
        return updated

    def _variants(self, document: str, field: str, group_id: str, variant_ids: Sequence[str]) -> None:
        ids = list(variant_ids)
        for start in range(0, len(ids), VARIANTS_PER_CALL):
            chunk = [gid("ProductVariant", v) for v in ids[start:start + VARIANTS_PER_CALL]]
            raise_user_errors(self.client.execute(document, {"id": group_id, "productVariantIds": chunk})
                              .get(field), field)

    def add_variants(self, group_id: str, variant_ids: Sequence[str]) -> None:
        self._variants(ADD_VARIANTS, "sellingPlanGroupAddProductVariants", group_id, variant_ids)

    def remove_variants(self, group_id: str, variant_ids: Sequence[str]) -> None:
        self._variants(REMOVE_VARIANTS, "sellingPlanGroupRemoveProductVariants", group_id, variant_ids)

    def delete(self, group_id: str) -> None:
        data = self.client.execute(GROUP_DELETE, {"id": group_id})
        raise_user_errors(data.get("sellingPlanGroupDelete"), "sellingPlanGroupDelete")

    def order_selling_plans(self, order_id: str) -> dict[str, str]:
        after: str | None = None
        found: dict[str, str] = {}
        while True:
            variables = {"id": gid("Order", order_id), "after": after}
            order = self.client.execute(ORDER_SELLING_PLANS, variables).get("order")
            if order is None:
                raise PlatformRejected(f"shopify: order {order_id} not found")
            page = order.get("lineItems") or {}
            for node in page.get("nodes") or []:
                plan = node.get("sellingPlan") or {}
                if plan.get("sellingPlanId"):
                    found[str(numeric_id(node["id"]))] = str(plan["sellingPlanId"])
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return found
            after = info.get("endCursor")
