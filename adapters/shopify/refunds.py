"""Shopify partial cancellation = a refund of line items (``suggestedRefund`` then ``refundCreate``).

Why a refund and not an order edit, the restock type, the money cases and idempotency: see the
docstring of adapters/shopify/orders_admin.py.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from connector.domain.errors import PlatformRejected
from connector.domain.notify import CancelResult

log = logging.getLogger(__name__)

SUGGESTED_REFUND = """
query ConnectorSuggestedRefund($id: ID!, $lines: [RefundLineItemInput!]) {
  order(id: $id) {
    id
    suggestedRefund(refundLineItems: $lines) {
      amountSet {
        presentmentMoney {
          amount
          currencyCode
        }
      }
      subtotalSet {
        presentmentMoney {
          amount
          currencyCode
        }
      }
      totalTaxSet {
        presentmentMoney {
          amount
          currencyCode
        }
      }
      refundLineItems {
        quantity
        restockType
        lineItem {
          id
        }
        location {
          id
        }
      }
      suggestedTransactions {
        gateway
        kind
        amountSet {
          presentmentMoney {
            amount
            currencyCode
          }
        }
        parentTransaction {
          id
          kind
        }
      }
    }
  }
}
"""

REFUND_CREATE = """
mutation ConnectorRefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund {
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
    userErrors {
      field
      message
    }
  }
}
"""

DOCUMENTS = [SUGGESTED_REFUND, REFUND_CREATE]
FAILED = ("FAILURE", "ERROR")


def money_of(bag: dict[str, Any] | None) -> Decimal:
    """The presentment amount of a MoneyBag (the customer's currency: what refunds are made in)."""
    return Decimal(str(((bag or {}).get("presentmentMoney") or {}).get("amount") or "0"))


def refund_units(client: ShopifyGraphQL, order: dict[str, Any], remaining: dict[str, int],
                 removing: dict[str, int], *, note: str, key: str, charged: bool) -> CancelResult:
    """Refund ``removing`` units (capped at what is left) through suggestedRefund + refundCreate."""
    lines = [{"lineItemId": line, "quantity": min(quantity, remaining.get(line, 0)), "restockType": "CANCEL"}
             for line, quantity in removing.items() if min(quantity, remaining.get(line, 0)) > 0]
    if not lines:
        raise PlatformRejected(f"shopify: order {order['id']}: the units to cancel are no longer on it")
    found = client.execute(SUGGESTED_REFUND, {"id": order["id"], "lines": lines}).get("order") or {}
    suggestion = found.get("suggestedRefund")
    if suggestion is None:
        raise PlatformRejected(f"shopify: no refund suggestion for order {order['id']}")
    amount = money_of(suggestion["amountSet"])
    value = money_of(suggestion["subtotalSet"]) + money_of(suggestion["totalTaxSet"])
    if amount <= 0 and charged and value > 0:
        raise PlatformRejected(f"shopify: order {order['id']} was paid but Shopify suggests no refund for "
                               f"{value} of cancelled items; the merchant must decide")
    locations = {s["lineItem"]["id"]: (s.get("location") or {}).get("id")
                 for s in suggestion.get("refundLineItems") or []}
    for line in lines:
        if locations.get(str(line["lineItemId"])):
            line["locationId"] = locations[str(line["lineItemId"])]
    transactions = _transactions(order["id"], suggestion, amount)
    currency = (suggestion["amountSet"].get("presentmentMoney") or {}).get("currencyCode")
    refund_input: dict[str, Any] = {"orderId": order["id"], "note": note, "notify": False,
                                    "refundLineItems": lines, "transactions": transactions}
    if currency:
        refund_input["currency"] = currency
    payload = client.execute(REFUND_CREATE, {"input": refund_input, "key": key})["refundCreate"]
    raise_user_errors(payload, "refundCreate")
    refund = payload.get("refund")
    if refund is None:
        raise PlatformRejected(f"shopify: refundCreate returned no refund for order {order['id']}")
    result = refund_result(refund)
    log.info("shopify backordered units refunded", extra={"order": order["id"], "refund": refund["id"],
                                                          "amount": result.amount, "money": result.money.value})
    return result


def _transactions(order_gid: str, suggestion: dict[str, Any], amount: Decimal) -> list[dict[str, Any]]:
    """REFUND transactions against the parents Shopify suggests; they must add up to the amount."""
    transactions = []
    for suggested in suggestion.get("suggestedTransactions") or []:
        share = money_of(suggested.get("amountSet"))
        parent = suggested.get("parentTransaction") or {}
        if share <= 0:
            continue
        if not parent.get("id") or not suggested.get("gateway"):
            raise PlatformRejected(f"shopify: suggested refund on {order_gid} names no parent transaction")
        transactions.append({"orderId": order_gid, "parentId": parent["id"], "gateway": suggested["gateway"],
                             "kind": "REFUND", "amount": str(share)})
    if sum((Decimal(t["amount"]) for t in transactions), Decimal("0")) != amount:
        raise PlatformRejected(f"shopify: suggested transactions on {order_gid} do not add up to {amount}")
    return transactions


def refund_result(refund: dict[str, Any]) -> CancelResult:
    """What a refund (new, or found on a rerun) did; a failed transaction is an error."""
    transactions = (refund.get("transactions") or {}).get("nodes") or []
    failed = [t for t in transactions if t.get("status") in FAILED]
    if failed:
        raise PlatformRejected(f"shopify: refund {refund['id']}: the refund transaction {failed[0]['status']}; "
                               "the units are off the order but the money was not returned")
    refunds = [t for t in transactions if t.get("kind") == "REFUND"]
    total = money_of(refund.get("totalRefundedSet"))  # successful transactions only: 0 while pending
    return CancelResult(str(refund["id"]), refunded=True, charged=bool(refunds),
                        amount=str(total) if total > 0 else None)
