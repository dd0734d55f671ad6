"""OrderAdmin for Shopify: cancel backordered items, create consolation discount codes.

Cancelling: when the backordered units are everything left on the order, ``orderCancel`` with a
refund to the original payment methods (restock false: the units never left the warehouse).
Otherwise an order edit (``orderEditBegin`` -> ``orderEditSetQuantity`` -> ``orderEditCommit``)
removes just those units, and the order is tagged with the idempotency key (``tagsAdd``): a rerun
finds the tag and does not remove units twice. (A crash between the commit and the tag is the one
window left; the tag is written right after the commit.) The edit leaves the payment difference
as "refund owed" on the order (Shopify's order-edit behaviour); the staff note says why.

Discounts: ``discountCodeBasicCreate`` (percentage) or ``discountCodeFreeShippingCreate``, single
use, limited to the order's customer through ``context.customers`` (2026-04; ``customerSelection``
is gone). A code that already exists (a rerun after a crash) is looked up instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.platform import gid
from connector.domain.errors import PlatformRejected
from connector.domain.notify import CancelResult

log = logging.getLogger(__name__)

ORDER_FOR_ADMIN = """
query ConnectorOrderForAdmin($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    tags
    customer {
      id
    }
    lineItems(first: 250) {
      nodes {
        id
        currentQuantity
      }
    }
  }
}
"""

ORDER_CANCEL = """
mutation ConnectorOrderCancel($orderId: ID!, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: INVENTORY, restock: false, notifyCustomer: false,
              refundMethod: {originalPaymentMethodsRefund: true}, staffNote: $staffNote) {
    job {
      id
    }
    orderCancelUserErrors {
      code
      field
      message
    }
  }
}
"""

ORDER_EDIT_BEGIN = """
mutation ConnectorOrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder {
      id
      lineItems(first: 250) {
        nodes {
          id
          quantity
        }
      }
    }
    userErrors {
      field
      message
    }
  }
}
"""

ORDER_EDIT_SET_QUANTITY = """
mutation ConnectorOrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: false) {
    calculatedLineItem {
      id
      quantity
    }
    userErrors {
      field
      message
    }
  }
}
"""

ORDER_EDIT_COMMIT = """
mutation ConnectorOrderEditCommit($id: ID!, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: false, staffNote: $staffNote) {
    order {
      id
    }
    userErrors {
      field
      message
    }
  }
}
"""

DISCOUNT_BASIC_CREATE = """
mutation ConnectorDiscountBasicCreate($input: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $input) {
    codeDiscountNode {
      id
    }
    userErrors {
      code
      field
      message
    }
  }
}
"""

DISCOUNT_FREE_SHIPPING_CREATE = """
mutation ConnectorDiscountFreeShippingCreate($input: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input) {
    codeDiscountNode {
      id
    }
    userErrors {
      code
      field
      message
    }
  }
}
"""

ORDER_TAGS_ADD = """
mutation ConnectorOrderTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    userErrors {
      field
      message
    }
  }
}
"""

DISCOUNT_BY_CODE = """
query ConnectorDiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
  }
}
"""

DOCUMENTS = [ORDER_FOR_ADMIN, ORDER_CANCEL, ORDER_EDIT_BEGIN, ORDER_EDIT_SET_QUANTITY, ORDER_EDIT_COMMIT,
             ORDER_TAGS_ADD, DISCOUNT_BASIC_CREATE, DISCOUNT_FREE_SHIPPING_CREATE, DISCOUNT_BY_CODE]


class ShopifyOrdersAdmin:
    def __init__(self, client: ShopifyGraphQL) -> None:
        self.client = client

    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.client.execute(ORDER_FOR_ADMIN, {"id": gid("Order", order_id)}).get("order")
        if order is None:
            raise PlatformRejected(f"shopify: order {order_id} not found")
        return dict(order)

    def cancel_items(self, order_id: str, items: Sequence[tuple[str, int]], *, reason: str,
                     idempotency_key: str) -> CancelResult:
        order = self._order(order_id)
        note = f"{reason} [{idempotency_key}]"
        marker = "backorder-" + idempotency_key
        if order.get("cancelledAt"):
            return CancelResult(str(order["id"]), refunded=True)  # a rerun, or the merchant cancelled it
        if marker in (order.get("tags") or []):
            return CancelResult(str(order["id"]), refunded=False)  # a rerun after the order edit
        remaining = {line["id"]: int(line["currentQuantity"]) for line in order["lineItems"]["nodes"]}
        removing = {gid("LineItem", line_id): quantity for line_id, quantity in items}
        if all(remaining.get(line, 0) <= removing.get(line, 0) for line in remaining):
            payload = self.client.execute(ORDER_CANCEL, {"orderId": order["id"], "staffNote": note})["orderCancel"]
            errors = (payload or {}).get("orderCancelUserErrors") or []
            if errors:
                raise PlatformRejected("shopify: orderCancel: " + "; ".join(e["message"] for e in errors))
            log.info("shopify order cancelled", extra={"order": order_id})
            return CancelResult(str(order["id"]), refunded=True)
        reference = self._edit(order["id"], remaining, removing, note)
        tagged = self.client.execute(ORDER_TAGS_ADD, {"id": order["id"], "tags": [marker]})["tagsAdd"]
        raise_user_errors(tagged, "tagsAdd")
        return CancelResult(reference, refunded=False)

    def _edit(self, order_gid: str, remaining: dict[str, int], removing: dict[str, int], note: str) -> str:
        begun = self.client.execute(ORDER_EDIT_BEGIN, {"id": order_gid})["orderEditBegin"]
        raise_user_errors(begun, "orderEditBegin")
        calculated = begun["calculatedOrder"]
        by_number = {node["id"].rsplit("/", 1)[-1]: node for node in calculated["lineItems"]["nodes"]}
        for line_gid, quantity in removing.items():
            node = by_number.get(line_gid.rsplit("/", 1)[-1])
            if node is None:
                raise PlatformRejected(f"shopify: line {line_gid} is not on the order any more")
            target = max(0, remaining.get(line_gid, 0) - quantity)
            changed = self.client.execute(ORDER_EDIT_SET_QUANTITY, {
                "id": calculated["id"], "lineItemId": node["id"], "quantity": target})["orderEditSetQuantity"]
            raise_user_errors(changed, "orderEditSetQuantity")
        committed = self.client.execute(ORDER_EDIT_COMMIT, {"id": calculated["id"], "staffNote": note})
        raise_user_errors(committed["orderEditCommit"], "orderEditCommit")
        log.info("shopify order edited to remove backordered units", extra={"order": order_gid})
        return str(calculated["id"])

    def create_discount(self, code: str, *, kind: str, amount: float | None, customer_email: str, title: str,
                        ends_at: datetime | None, idempotency_key: str, order_id: str) -> str:
        customer = (self._order(order_id).get("customer") or {}).get("id")
        if not customer:
            raise PlatformRejected(f"shopify: order {order_id} has no customer to restrict the code to")
        common: dict[str, Any] = {
            "title": title, "code": code, "startsAt": datetime.now(UTC).isoformat(), "usageLimit": 1,
            "appliesOncePerCustomer": True, "context": {"customers": {"add": [customer]}},
        }
        if ends_at is not None:
            common["endsAt"] = ends_at.isoformat()
        if kind == "free_shipping":
            document, field = DISCOUNT_FREE_SHIPPING_CREATE, "discountCodeFreeShippingCreate"
            variables = {"input": {**common, "destination": {"all": True}}}
        else:
            document, field = DISCOUNT_BASIC_CREATE, "discountCodeBasicCreate"
            variables = {"input": {**common, "customerGets": {"value": {"percentage": (amount or 0) / 100},
                                                              "items": {"all": True}}}}
        payload = self.client.execute(document, variables)[field] or {}
        errors = payload.get("userErrors") or []
        if any(e.get("code") == "TAKEN" for e in errors):
            existing = self.client.execute(DISCOUNT_BY_CODE, {"code": code}).get("codeDiscountNodeByCode")
            if existing:
                return str(existing["id"])
        raise_user_errors(payload, field)
        return str(payload["codeDiscountNode"]["id"])
