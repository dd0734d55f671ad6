"""Shopify fulfillment-service mode: register the connector as a fulfillment service (its own
location), read the fulfillment orders assigned to it by assignment status, and accept or reject
fulfillment requests and cancellation requests."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.platform import numeric_id

log = logging.getLogger(__name__)

SERVICE_CREATE = """
mutation DropshipServiceCreate($name: String!, $callbackUrl: URL) {
  fulfillmentServiceCreate(name: $name, callbackUrl: $callbackUrl, trackingSupport: true,
                           inventoryManagement: false) {
    fulfillmentService { id serviceName callbackUrl location { id } }
    userErrors { field message }
  }
}
"""

ASSIGNED = """
query DropshipAssigned($status: FulfillmentOrderAssignmentStatus, $locations: [ID!], $after: String) {
  assignedFulfillmentOrders(first: 5, after: $after, assignmentStatus: $status, locationIds: $locations) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id orderId status requestStatus
      lineItems(first: 10) {
        pageInfo { hasNextPage }
        nodes { id sku remainingQuantity totalQuantity lineItem { id } }
      }
    }
  }
}
"""

ACCEPT_REQUEST = """
mutation DropshipAcceptRequest($id: ID!, $message: String) {
  fulfillmentOrderAcceptFulfillmentRequest(id: $id, message: $message) {
    fulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}
"""

REJECT_REQUEST = """
mutation DropshipRejectRequest($id: ID!, $reason: FulfillmentOrderRejectionReason, $message: String,
                               $lineItems: [IncomingRequestLineItemInput!]) {
  fulfillmentOrderRejectFulfillmentRequest(id: $id, reason: $reason, message: $message, lineItems: $lineItems) {
    fulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}
"""

ACCEPT_CANCELLATION = """
mutation DropshipAcceptCancellation($id: ID!, $message: String) {
  fulfillmentOrderAcceptCancellationRequest(id: $id, message: $message) {
    fulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}
"""

REJECT_CANCELLATION = """
mutation DropshipRejectCancellation($id: ID!, $message: String) {
  fulfillmentOrderRejectCancellationRequest(id: $id, message: $message) {
    fulfillmentOrder { id status requestStatus }
    userErrors { field message }
  }
}
"""

DOCUMENTS = (SERVICE_CREATE, ASSIGNED, ACCEPT_REQUEST, REJECT_REQUEST, ACCEPT_CANCELLATION, REJECT_CANCELLATION)


@dataclass(frozen=True)
class RequestLine:
    fulfillment_order_line_item_id: str
    line_id: str
    sku: str | None
    quantity: int


@dataclass(frozen=True)
class AssignedOrder:
    """A fulfillment order assigned to the connector's location, with a pending request."""

    id: str
    order_id: str
    request_status: str
    lines: tuple[RequestLine, ...]
    more_lines: bool = False
    """More line items than one page reads (LINES_PER_ORDER): answered as too large."""


class ShopifyFulfillmentService:
    def __init__(self, client: ShopifyGraphQL) -> None:
        self.client = client

    def create(self, name: str, callback_url: str | None) -> tuple[str, str]:
        """Register the service; returns (fulfillment service id, its location id)."""
        data = self.client.execute(SERVICE_CREATE, {"name": name, "callbackUrl": callback_url})
        payload = data.get("fulfillmentServiceCreate")
        raise_user_errors(payload, "fulfillmentServiceCreate")
        assert payload is not None
        service = payload["fulfillmentService"]
        return str(service["id"]), str(service["location"]["id"])

    def assigned(self, status: str, location_id: str) -> list[AssignedOrder]:
        found: list[AssignedOrder] = []
        after = None
        while True:
            data = self.client.execute(ASSIGNED, {"status": status, "locations": [location_id], "after": after})
            page = data.get("assignedFulfillmentOrders") or {}
            for node in page.get("nodes") or []:
                lines = tuple(RequestLine(str(item["id"]), str(numeric_id(item["lineItem"]["id"])), item.get("sku"),
                                          int(item.get("remainingQuantity") or 0))
                              for item in (node.get("lineItems") or {}).get("nodes") or [])
                more = bool(((node.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"))
                found.append(AssignedOrder(str(node["id"]), str(numeric_id(node["orderId"])),
                                           str(node.get("requestStatus")), lines, more))
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return found
            after = info.get("endCursor")

    def _mutate(self, document: str, field: str, variables: dict[str, Any]) -> None:
        data = self.client.execute(document, variables)
        raise_user_errors(data.get(field), field)

    def accept(self, fulfillment_order_id: str, message: str) -> None:
        self._mutate(ACCEPT_REQUEST, "fulfillmentOrderAcceptFulfillmentRequest",
                     {"id": fulfillment_order_id, "message": message})

    def reject(self, fulfillment_order_id: str, reason: str, message: str,
               line_messages: dict[str, str] | None = None) -> None:
        items = [{"fulfillmentOrderLineItemId": k, "message": v} for k, v in (line_messages or {}).items()]
        self._mutate(REJECT_REQUEST, "fulfillmentOrderRejectFulfillmentRequest",
                     {"id": fulfillment_order_id, "reason": reason, "message": message, "lineItems": items or None})

    def accept_cancellation(self, fulfillment_order_id: str, message: str) -> None:
        self._mutate(ACCEPT_CANCELLATION, "fulfillmentOrderAcceptCancellationRequest",
                     {"id": fulfillment_order_id, "message": message})

    def reject_cancellation(self, fulfillment_order_id: str, message: str) -> None:
        self._mutate(REJECT_CANCELLATION, "fulfillmentOrderRejectCancellationRequest",
                     {"id": fulfillment_order_id, "message": message})
