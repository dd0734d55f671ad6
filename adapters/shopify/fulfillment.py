"""StoreFulfillment for Shopify, through fulfillment orders: order facts, holds (INVENTORY_OUT_OF_STOCK,
released by hold id only), an optional move to the drop-ship location, and ``fulfillmentCreate``
with tracking and customer notification per the merchant's setting."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.platform import gid, numeric_id
from connector.domain.errors import PlatformRejected
from connector.domain.routing import Address, Payment, StoreLine, StoreOrderFacts, Tracking

log = logging.getLogger(__name__)

ORDER_FACTS = """
query DropshipOrderFacts($id: ID!) {
  order(id: $id) {
    id cancelledAt displayFinancialStatus tags email phone
    shippingAddress { name firstName lastName company address1 address2 city province zip countryCodeV2 phone }
    lineItems(first: 100) {
      nodes { id unfulfilledQuantity discountedUnitPriceSet { shopMoney { amount } } }
    }
  }
}
"""

FULFILLMENT_ORDERS = """
query DropshipFulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 20) { id trackingInfo { number } }
    fulfillmentOrders(first: 5) {
      nodes {
        id status requestStatus
        assignedLocation { location { id } }
        fulfillmentHolds { id reason }
        lineItems(first: 25) { nodes { id remainingQuantity lineItem { id } } }
      }
    }
  }
}
"""

HOLD = """
mutation DropshipHold($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {
    fulfillmentHold { id }
    fulfillmentOrder { id }
    userErrors { field message }
  }
}
"""

RELEASE_HOLD = """
mutation DropshipReleaseHold($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { id status }
    userErrors { field message }
  }
}
"""

MOVE = """
mutation DropshipMove($id: ID!, $locationId: ID!, $items: [FulfillmentOrderLineItemInput!]) {
  fulfillmentOrderMove(id: $id, newLocationId: $locationId, fulfillmentOrderLineItems: $items) {
    movedFulfillmentOrder { id lineItems(first: 25) { nodes { id remainingQuantity lineItem { id } } } }
    userErrors { field message }
  }
}
"""

FULFILL = """
mutation DropshipFulfill($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

DOCUMENTS = (ORDER_FACTS, FULFILLMENT_ORDERS, HOLD, RELEASE_HOLD, MOVE, FULFILL)

PAYMENTS = {"PAID": Payment.PAID, "AUTHORIZED": Payment.AUTHORIZED, "PARTIALLY_PAID": Payment.PARTIALLY_PAID,
            "PENDING": Payment.PENDING, "REFUNDED": Payment.REFUNDED, "PARTIALLY_REFUNDED": Payment.PARTIALLY_REFUNDED,
            "VOIDED": Payment.VOIDED, "EXPIRED": Payment.VOIDED}
OPEN_STATUSES = ("OPEN", "IN_PROGRESS", "ON_HOLD", "SCHEDULED")


class ShopifyFulfillment:
    def __init__(self, client: ShopifyGraphQL, *, location_id: str | None = None,
                 no_dropship_tag: str = "no-dropship") -> None:
        self.client = client
        self.location_id = location_id
        self.no_dropship_tag = no_dropship_tag.lower()

    def _order(self, document: str, order_id: str) -> dict[str, Any]:
        order = self.client.execute(document, {"id": gid("Order", order_id)}).get("order")
        if not order:
            raise PlatformRejected(f"shopify order {order_id} not found")
        return dict(order)

    def order_facts(self, order_id: str) -> StoreOrderFacts:
        order = self._order(ORDER_FACTS, order_id)
        a = order.get("shippingAddress")
        address = None
        if a:
            name = a.get("name") or " ".join(p for p in (a.get("firstName"), a.get("lastName")) if p)
            address = Address(name=name or "Customer", company=a.get("company"), address1=a.get("address1"),
                              address2=a.get("address2"), city=a.get("city"), province=a.get("province"),
                              zip=a.get("zip"), country_code=a.get("countryCodeV2"),
                              phone=a.get("phone") or order.get("phone"), email=order.get("email"))
        lines = []
        for node in (order.get("lineItems") or {}).get("nodes") or []:
            try:
                price: Decimal | None = Decimal(str(node["discountedUnitPriceSet"]["shopMoney"]["amount"]))
            except (KeyError, TypeError, InvalidOperation):
                price = None
            lines.append(StoreLine(str(numeric_id(node["id"])), price, int(node.get("unfulfilledQuantity") or 0)))
        tags = {t.lower() for t in order.get("tags") or []}
        return StoreOrderFacts(PAYMENTS.get(str(order.get("displayFinancialStatus")), Payment.UNKNOWN),
                               order.get("cancelledAt") is not None, self.no_dropship_tag in tags, address,
                               tuple(lines))

    def _line_on_orders(self, order: dict[str, Any], line_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        found = []
        for fo in (order.get("fulfillmentOrders") or {}).get("nodes") or []:
            if fo.get("status") not in OPEN_STATUSES:
                continue
            for item in (fo.get("lineItems") or {}).get("nodes") or []:
                if numeric_id(item["lineItem"]["id"]) == line_id and item.get("remainingQuantity", 0) > 0:
                    found.append((fo, item))
        return found

    def hold(self, order_id: str, line_id: str, quantity: int, external_id: str) -> tuple[str, str] | None:
        order = self._order(FULFILLMENT_ORDERS, order_id)
        for fo, item in self._line_on_orders(order, line_id):
            if fo.get("status") == "ON_HOLD":
                continue
            hold = {"reason": "INVENTORY_OUT_OF_STOCK", "reasonNotes": "Backordered: waiting for restock",
                    "notifyMerchant": False, "externalId": external_id, "handle": external_id,
                    "fulfillmentOrderLineItems": [{"id": item["id"], "quantity": min(quantity,
                                                                                       item["remainingQuantity"])}]}
            data = self.client.execute(HOLD, {"id": fo["id"], "hold": hold})
            payload = data.get("fulfillmentOrderHold")
            raise_user_errors(payload, "fulfillmentOrderHold")
            assert payload is not None
            held_fo = (payload.get("fulfillmentOrder") or {}).get("id") or fo["id"]
            return str(held_fo), str(payload["fulfillmentHold"]["id"])
        return None

    def release_hold(self, fulfillment_order_id: str, hold_id: str) -> None:
        data = self.client.execute(RELEASE_HOLD, {"id": fulfillment_order_id, "holdIds": [hold_id]})
        raise_user_errors(data.get("fulfillmentOrderReleaseHold"), "fulfillmentOrderReleaseHold")

    def fulfill(self, order_id: str, line_id: str, quantity: int, tracking: Tracking, *,
                notify_customer: bool, order_complete: bool, dedupe_key: str) -> str:
        order = self._order(FULFILLMENT_ORDERS, order_id)
        for existing in order.get("fulfillments") or []:  # a crash after fulfillmentCreate: never twice
            if tracking.number and any(t.get("number") == tracking.number for t in existing.get("trackingInfo") or []):
                return str(existing["id"])
        # units on a held FO wait for restock (a split line): ship from an open one
        targets = sorted(self._line_on_orders(order, line_id), key=lambda pair: pair[0].get("status") == "ON_HOLD")
        if not targets:
            raise PlatformRejected(f"shopify order {order_id} line {line_id}: nothing left to fulfil")
        fo, item = targets[0]
        take = min(quantity, int(item["remainingQuantity"]))
        location = ((fo.get("assignedLocation") or {}).get("location") or {}).get("id")
        if self.location_id and location != self.location_id:
            data = self.client.execute(MOVE, {"id": fo["id"], "locationId": self.location_id,
                                              "items": [{"id": item["id"], "quantity": take}]})
            payload = data.get("fulfillmentOrderMove")
            raise_user_errors(payload, "fulfillmentOrderMove")
            assert payload is not None
            fo = payload["movedFulfillmentOrder"]
            item = next(i for i in fo["lineItems"]["nodes"] if numeric_id(i["lineItem"]["id"]) == line_id)
        fulfillment = {"notifyCustomer": notify_customer,
                       "trackingInfo": {"company": tracking.carrier, "number": tracking.number, "url": tracking.url},
                       "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"],
                                                        "fulfillmentOrderLineItems": [{"id": item["id"],
                                                                                       "quantity": take}]}]}
        data = self.client.execute(FULFILL, {"fulfillment": fulfillment})
        payload = data.get("fulfillmentCreate")
        raise_user_errors(payload, "fulfillmentCreate")
        assert payload is not None
        return str(payload["fulfillment"]["id"])
