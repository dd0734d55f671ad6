"""Shopify payment on shipment: read an order's money, ``orderCapture``, ``orderCreateMandatePayment``,
``orderInvoiceSend``, and AWAITING_PAYMENT fulfillment holds (the StorePayments port).

Never twice:
- ``orderCreateMandatePayment`` carries the connector's stored ``idempotencyKey``: Shopify returns the
  first payment's result for a key it has seen, so a timeout or 5xx may be sent again with it.
- ``orderCapture`` has no key. The client sends it once (a mutation without ``@idempotent`` is never
  resent after a timeout or 5xx: OutcomeUncertain). Before any new attempt the service reads the
  order's transactions back (``facts``) and matches a CAPTURE on the same parent and amount, exactly
  as the refunds adapter matches a refund by its key in the note.

A mandate payment is asynchronous (a Job): its outcome is the order's transaction whose ``paymentId``
is the ``paymentReferenceId`` the mutation returned (the simulator's reading: Shopify's docs do not
state the link; a transaction of the same amount on a mandate gateway that no other charge claims is
the fallback the service uses).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from connector.domain.errors import PlatformRejected
from connector.domain.payments import ZERO, PaymentFacts, Transaction

log = logging.getLogger(__name__)

ORDER_PAYMENT = """
query ConnectorOrderPayment($id: ID!) {
  order(id: $id) {
    id
    presentmentCurrencyCode
    displayFinancialStatus
    paymentGatewayNames
    totalPriceSet { presentmentMoney { amount currencyCode } }
    totalOutstandingSet { presentmentMoney { amount currencyCode } }
    transactions(first: 100) {
      id kind status gateway paymentId errorCode createdAt authorizationExpiresAt multiCapturable
      amountSet { presentmentMoney { amount currencyCode } }
      parentTransaction { id }
    }
    paymentCollectionDetails {
      additionalPaymentCollectionUrl
      vaultedPaymentMethods { id }
    }
    paymentTerms {
      id
      paymentTermsType
      paymentSchedules(first: 5) {
        nodes { id dueAt completedAt }
      }
    }
  }
}
"""

ORDER_CAPTURE = """
mutation ConnectorOrderCapture($input: OrderCaptureInput!) {
  orderCapture(input: $input) {
    transaction {
      id kind status gateway paymentId errorCode createdAt
      amountSet { presentmentMoney { amount currencyCode } }
      parentTransaction { id }
    }
    userErrors { field message }
  }
}
"""

MANDATE_PAYMENT = """
mutation ConnectorMandatePayment($id: ID!, $mandateId: ID!, $key: String!, $amount: MoneyInput,
                                 $scheduleId: ID) {
  orderCreateMandatePayment(id: $id, mandateId: $mandateId, idempotencyKey: $key, amount: $amount,
                            paymentScheduleId: $scheduleId, autoCapture: true) {
    job { id done }
    paymentReferenceId
    userErrors { field message code }
  }
}
"""

INVOICE_SEND = """
mutation ConnectorInvoiceSend($id: ID!) {
  orderInvoiceSend(id: $id) {
    order { id }
    userErrors { field message }
  }
}
"""

PAYMENT_FULFILLMENT_ORDERS = """
query ConnectorPaymentFulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 10) {
      nodes { id status fulfillmentHolds { id reason handle } }
    }
  }
}
"""

PAYMENT_HOLD = """
mutation ConnectorPaymentHold($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {
    fulfillmentHold { id }
    fulfillmentOrder { id }
    userErrors { field message }
  }
}
"""

PAYMENT_RELEASE_HOLD = """
mutation ConnectorPaymentReleaseHold($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { id status }
    userErrors { field message }
  }
}
"""

DOCUMENTS = (ORDER_PAYMENT, ORDER_CAPTURE, MANDATE_PAYMENT, INVOICE_SEND, PAYMENT_FULFILLMENT_ORDERS, PAYMENT_HOLD,
             PAYMENT_RELEASE_HOLD)
HOLDABLE = ("OPEN", "ON_HOLD", "SCHEDULED")


def order_gid(order_id: str) -> str:
    return order_id if order_id.startswith("gid://") else f"gid://shopify/Order/{order_id}"


def _money(bag: dict[str, Any] | None) -> tuple[Decimal, str]:
    money = (bag or {}).get("presentmentMoney") or {}
    return Decimal(str(money.get("amount") or "0")), str(money.get("currencyCode") or "")


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def transaction_of(raw: dict[str, Any]) -> Transaction:
    amount, _ = _money(raw.get("amountSet"))
    return Transaction(id=str(raw["id"]), kind=str(raw.get("kind")), status=str(raw.get("status")), amount=amount,
                       parent_id=(raw.get("parentTransaction") or {}).get("id"), gateway=raw.get("gateway"),
                       authorization_expires_at=_time(raw.get("authorizationExpiresAt")),
                       multi_capturable=bool(raw.get("multiCapturable")), payment_id=raw.get("paymentId"),
                       created_at=_time(raw.get("createdAt")), error_code=raw.get("errorCode"))


class ShopifyPayments:
    """The StorePayments port on one shop's GraphQL client."""

    def __init__(self, client: ShopifyGraphQL) -> None:
        self.client = client

    def facts(self, order_id: str) -> PaymentFacts:
        order = self.client.execute(ORDER_PAYMENT, {"id": order_gid(order_id)}).get("order")
        if order is None:
            raise PlatformRejected(f"shopify: order {order_id} not found")
        total, currency = _money(order.get("totalPriceSet"))
        outstanding, _ = _money(order.get("totalOutstandingSet"))
        collection = order.get("paymentCollectionDetails") or {}
        terms = order.get("paymentTerms") or {}
        schedules = [s for s in ((terms.get("paymentSchedules") or {}).get("nodes") or []) if not s.get("completedAt")]
        gateways = order.get("paymentGatewayNames") or []
        return PaymentFacts(
            order_id=str(order_id), currency=currency or str(order.get("presentmentCurrencyCode") or ""),
            total=total, outstanding=max(ZERO, outstanding),
            financial_status=(order.get("displayFinancialStatus") or "").lower() or None,
            transactions=tuple(transaction_of(t) for t in order.get("transactions") or []),
            mandate_ids=tuple(str(m["id"]) for m in collection.get("vaultedPaymentMethods") or []),
            payment_terms_type=terms.get("paymentTermsType"),
            payment_schedule_id=schedules[0]["id"] if schedules else None,
            payment_due_at=_time(schedules[0].get("dueAt")) if schedules else None,
            payment_link=collection.get("additionalPaymentCollectionUrl"),
            gateway=gateways[0] if gateways else None)

    def capture(self, order_id: str, authorization_id: str, amount: Decimal, currency: str, *,
                final: bool) -> Transaction:
        capture_input: dict[str, Any] = {"id": order_gid(order_id), "parentTransactionId": authorization_id,
                                         "amount": str(amount), "finalCapture": final}
        if currency:
            capture_input["currency"] = currency
        payload = self.client.execute(ORDER_CAPTURE, {"input": capture_input}).get("orderCapture")
        raise_user_errors(payload, "orderCapture")
        assert payload is not None
        if not payload.get("transaction"):
            raise PlatformRejected(f"shopify: orderCapture on {order_id} returned no transaction")
        found = transaction_of(payload["transaction"])
        log.info("shopify capture", extra={"order": order_id, "transaction": found.id, "status": found.status,
                                           "amount": str(amount), "final": final})
        return found

    def charge_mandate(self, order_id: str, mandate_id: str, amount: Decimal, currency: str, *,
                       idempotency_key: str, payment_schedule_id: str | None) -> str:
        variables: dict[str, Any] = {"id": order_gid(order_id), "mandateId": mandate_id, "key": idempotency_key,
                                     "amount": {"amount": str(amount), "currencyCode": currency},
                                     "scheduleId": payment_schedule_id}
        payload = self.client.execute(MANDATE_PAYMENT, variables).get("orderCreateMandatePayment")
        raise_user_errors(payload, "orderCreateMandatePayment")
        assert payload is not None
        reference = payload.get("paymentReferenceId") or (payload.get("job") or {}).get("id")
        if not reference:
            raise PlatformRejected(f"shopify: orderCreateMandatePayment on {order_id} returned no reference")
        log.info("shopify mandate payment requested", extra={"order": order_id, "reference": reference,
                                                             "amount": str(amount)})
        return str(reference)

    def send_payment_link(self, order_id: str) -> None:
        payload = self.client.execute(INVOICE_SEND, {"id": order_gid(order_id)}).get("orderInvoiceSend")
        raise_user_errors(payload, "orderInvoiceSend")

    def hold_for_payment(self, order_id: str, external_id: str) -> list[tuple[str, str]]:
        order = self.client.execute(PAYMENT_FULFILLMENT_ORDERS, {"id": order_gid(order_id)}).get("order") or {}
        held = []
        for fo in (order.get("fulfillmentOrders") or {}).get("nodes") or []:
            if fo.get("status") not in HOLDABLE:
                continue
            mine = next((h for h in fo.get("fulfillmentHolds") or [] if h.get("handle") == external_id), None)
            if mine is not None:  # held by an earlier attempt
                held.append((str(fo["id"]), str(mine["id"])))
                continue
            hold = {"reason": "AWAITING_PAYMENT", "reasonNotes": "Backordered: waiting for the balance to be paid",
                    "notifyMerchant": False, "externalId": external_id, "handle": external_id}
            payload = self.client.execute(PAYMENT_HOLD, {"id": fo["id"], "hold": hold}).get("fulfillmentOrderHold")
            raise_user_errors(payload, "fulfillmentOrderHold")
            assert payload is not None
            held.append((str((payload.get("fulfillmentOrder") or {}).get("id") or fo["id"]),
                         str(payload["fulfillmentHold"]["id"])))
        return held

    def release_hold(self, fulfillment_order_id: str, hold_id: str) -> None:
        payload = self.client.execute(PAYMENT_RELEASE_HOLD, {"id": fulfillment_order_id, "holdIds": [hold_id]})
        raise_user_errors(payload.get("fulfillmentOrderReleaseHold"), "fulfillmentOrderReleaseHold")
