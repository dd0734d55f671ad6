"""OrderAdmin for Shopify: cancel (and refund) backordered items, create consolation discount codes.

Cancelling all that is left on the order: ``orderCancel`` with a refund to the original payment
methods; an authorization is voided by it in any case. Shopify runs it as a background job, so the
outcome is confirmed from the order, or reported ``pending`` for a later ``confirm_cancel`` (see
adapters/shopify/order_cancel.py). An order found already cancelled (a rerun, or the merchant
cancelled it) is judged the same way: the money must have gone back.

Cancelling some units (a partial cancellation) is a refund of those line items: ``refundCreate``
with ``refundLineItems``. Shopify's schema documents that this alone takes them off the order:
``LineItem.currentQuantity`` and ``refundableQuantity`` exclude refunded units and
``nonFulfillableQuantity`` counts them, so no order edit is needed (an order edit would leave the
payment difference as "refund owed" for the merchant). The amount comes from ``suggestedRefund``
(line subtotal and tax, capped at what can be refunded) and its suggested transactions give the
parent SALE/CAPTURE and gateway of each REFUND transaction.

Restocking: ``restockType: CANCEL`` ("use this when restocking unfulfilled line items"), and
``restock: true`` on orderCancel ("restock the inventory committed to the order"). The units never
left a warehouse, but Shopify committed them when the order was placed (a backorder takes the
variant's available count below zero); not restocking would keep that count N too low for good, and
the connector reads a negative count as N units short (connector/capture/capture.py), so other orders would
inherit a shortage that no longer exists.

Money, per ``suggestedRefund``: the order was charged (paid or captured) -> that amount is refunded
(``CancelMoney.REFUNDED``); only authorized (this connector captures when goods ship) -> nothing was
charged: the line items are refunded with no transaction and the units are off the order
(``NOT_CHARGED``). Caution for the capture side: ``totalCapturableSet`` "isn't adjusted for
returns", so capture must take the order's outstanding total, not the whole authorization, or the
customer would be charged for the cancelled units after all. A customer who paid but for whom
Shopify suggests no refund, a userError, or a refund transaction that fails is an error
(PlatformRejected): the flow records cancel_failed and asks the merchant.

Idempotency: refundCreate carries ``@idempotent(key:)`` (required from 2026-04), so a retried
request refunds once; and the refund note carries ``[<idempotency key>]``, so a rerun after a crash
finds its refund among the order's refunds, whatever the key's lifetime at Shopify. Orders edited
by earlier versions of this adapter carry the tag ``backorder-<key>``; they are reported as
``OWED`` (the refund was left to the merchant).

Discounts: ``discountCodeBasicCreate`` (percentage) or ``discountCodeFreeShippingCreate``, single
use, limited to the order's customer through ``context.customers`` (2026-04; ``customerSelection``
is gone). A code that already exists (a rerun after a crash) is looked up instead of failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.shopify import order_cancel, refunds
from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.platform import gid
from adapters.shopify.refunds import money_of, refund_result, refund_units
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
    totalReceivedSet {
      presentmentMoney {
        amount
        currencyCode
      }
    }
    totalRefundedSet {
      presentmentMoney {
        amount
        currencyCode
      }
    }
    lineItems(first: 250) {
      nodes {
        id
        currentQuantity
      }
    }
    refunds(first: 100) {
      id
      note
      totalRefundedSet {
        presentmentMoney {
          amount
          currencyCode
        }
      }
      transactions(first: 20) {
        nodes {
          id
          kind
          status
        }
      }
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

DISCOUNT_BY_CODE = """
query ConnectorDiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
  }
}
"""

DOCUMENTS = [ORDER_FOR_ADMIN, DISCOUNT_BASIC_CREATE, DISCOUNT_FREE_SHIPPING_CREATE, DISCOUNT_BY_CODE,
             *refunds.DOCUMENTS, *order_cancel.DOCUMENTS]


class ShopifyOrdersAdmin:
    def __init__(self, client: ShopifyGraphQL, *, poll_delays: Sequence[float] = order_cancel.POLL_DELAYS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.poll_delays = tuple(poll_delays)
        """Seconds between looks at an orderCancel job before answering pending."""
        self._sleep = sleep

    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.client.execute(ORDER_FOR_ADMIN, {"id": gid("Order", order_id)}).get("order")
        if order is None:
            raise PlatformRejected(f"shopify: order {order_id} not found")
        return dict(order)

    def cancel_items(self, order_id: str, items: Sequence[tuple[str, int]], *, reason: str,
                     idempotency_key: str) -> CancelResult:
        order = self._order(order_id)
        marker = f"[{idempotency_key}]"
        done = next((r for r in order.get("refunds") or [] if marker in str(r.get("note") or "")), None)
        if done is not None:
            log.info("shopify refund already made", extra={"order": order_id, "refund": done["id"]})
            return refund_result(done)
        charged = money_of(order.get("totalReceivedSet")) > money_of(order.get("totalRefundedSet"))
        if order.get("cancelledAt"):  # a rerun, or the merchant cancelled it: did the money go back?
            return order_cancel.outcome(self.client, str(order["id"]), None)
        if "backorder-" + idempotency_key in (order.get("tags") or []):
            return CancelResult(str(order["id"]), refunded=False)  # edited by an earlier version: refund owed
        remaining = {line["id"]: int(line["currentQuantity"]) for line in order["lineItems"]["nodes"]}
        removing = {gid("LineItem", line_id): quantity for line_id, quantity in items}
        if all(remaining.get(line, 0) <= removing.get(line, 0) for line in remaining):
            return order_cancel.cancel_order(self.client, order, f"{reason} {marker}",
                                             poll_delays=self.poll_delays, sleep=self._sleep)
        return refund_units(self.client, order, remaining, removing, note=f"{reason} {marker}",
                            key="backorder-" + idempotency_key, charged=charged)

    def confirm_cancel(self, order_id: str, reference: str, *, expected: str | None) -> CancelResult:
        """What became of a whole-order cancellation ``cancel_items`` answered ``pending`` for
        (``reference`` is its orderCancel job): pending again while the job runs, else its outcome."""
        return order_cancel.confirm(self.client, gid("Order", order_id), reference, expected)

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

