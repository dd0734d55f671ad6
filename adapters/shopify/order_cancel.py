"""Shopify whole-order cancellation: ``orderCancel``, then confirming what it really did.

``orderCancel`` only queues the work: it answers with a ``Job`` and Shopify cancels, restocks and
refunds (or voids an authorization) in the background. In 2026-04 the job says only ``done``
(2026-10 adds ``jobResult`` with a status and errors), so the outcome is read from the order once
the job is done:

- ``cancelledAt`` is not set -> the cancellation failed (PlatformRejected).
- Nothing was received (``totalReceivedSet`` 0: the payment was only authorized, and the
  cancellation voids it) -> ``NOT_CHARGED``, as for a partial cancellation (refunds.py).
- ``totalReceivedSet`` minus ``totalRefundedSet`` is 0 -> everything paid went back: ``REFUNDED``
  (``totalRefundedSet`` counts successful refund transactions only).
- Money left: REFUND transactions not yet settled (PENDING, AWAITING_RESPONSE...) that cover it ->
  on its way, ``REFUNDED`` with no amount, exactly as refunds.refund_result treats a pending refund;
  otherwise a FAILURE / ERROR refund transaction, or no refund at all, is PlatformRejected (the
  flow records cancel_failed and asks the merchant).

The job is polled a few times with backoff (POLL_DELAYS, bounded); still running after that ->
a ``pending`` CancelResult naming the job and the amount to be refunded, so the caller records
that and checks later (``confirm``) instead of blocking. A job Shopify no longer knows (``job``
null) is taken as finished: the order says what happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.refunds import FAILED, money_of
from connector.domain.errors import PlatformRejected
from connector.domain.notify import CancelResult

log = logging.getLogger(__name__)

POLL_DELAYS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)
"""Seconds before each look at the cancel job (under 4 s in all) before answering ``pending``."""

ORDER_CANCEL = """
mutation ConnectorOrderCancel($orderId: ID!, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: INVENTORY, restock: true, notifyCustomer: false,
              refundMethod: {originalPaymentMethodsRefund: true}, staffNote: $staffNote) {
    job {
      id
      done
    }
    orderCancelUserErrors {
      code
      field
      message
    }
  }
}
"""

JOB = """
query ConnectorJob($id: ID!) {
  job(id: $id) {
    id
    done
  }
}
"""

ORDER_CANCELLED = """
query ConnectorOrderCancelled($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    displayFinancialStatus
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
    transactions(first: 100) {
      id
      kind
      status
      amountSet {
        presentmentMoney {
          amount
          currencyCode
        }
      }
    }
  }
}
"""

DOCUMENTS = [ORDER_CANCEL, JOB, ORDER_CANCELLED]


def cancel_order(client: ShopifyGraphQL, order: dict[str, Any], note: str, *,
                 poll_delays: Sequence[float] = POLL_DELAYS,
                 sleep: Callable[[float], None] = time.sleep) -> CancelResult:
    """Cancel the whole order with a refund to the original payment methods; confirm the outcome."""
    owed = money_of(order.get("totalReceivedSet")) - money_of(order.get("totalRefundedSet"))
    expected = str(owed) if owed > 0 else None
    payload = client.execute(ORDER_CANCEL, {"orderId": order["id"], "staffNote": note})["orderCancel"] or {}
    errors = payload.get("orderCancelUserErrors") or []
    if errors:
        raise PlatformRejected("shopify: orderCancel: " + "; ".join(e["message"] for e in errors))
    job = payload.get("job") or {}
    if not job.get("id"):
        raise PlatformRejected(f"shopify: orderCancel on {order['id']} returned no job")
    done = bool(job.get("done"))
    for delay in poll_delays:
        if done:
            break
        sleep(delay)
        done = job_done(client, str(job["id"]))
    if not done:
        log.info("shopify order cancel still running", extra={"order": order["id"], "job": job["id"]})
        return CancelResult(str(job["id"]), refunded=False, pending=True, charged=owed > 0, amount=expected)
    return outcome(client, str(order["id"]), expected)


def confirm(client: ShopifyGraphQL, order_gid: str, job_id: str, expected: str | None) -> CancelResult:
    """A later look at a cancellation that was still running: pending again, or its outcome."""
    if not job_done(client, job_id):
        return CancelResult(job_id, refunded=False, pending=True, charged=expected is not None, amount=expected)
    return outcome(client, order_gid, expected)


def job_done(client: ShopifyGraphQL, job_id: str) -> bool:
    job = client.execute(JOB, {"id": job_id}).get("job")
    return job is None or bool(job.get("done"))


def outcome(client: ShopifyGraphQL, order_gid: str, expected: str | None) -> CancelResult:
    """What the order says now that the cancellation has run (see the module docstring)."""
    order = client.execute(ORDER_CANCELLED, {"id": order_gid}).get("order")
    if order is None:
        raise PlatformRejected(f"shopify: order {order_gid} not found")
    if not order.get("cancelledAt"):
        raise PlatformRejected(f"shopify: the cancel job of order {order_gid} finished but the order is not "
                               "cancelled (Shopify gives no reason here: see the order's timeline)")
    received = money_of(order.get("totalReceivedSet"))
    left = received - money_of(order.get("totalRefundedSet"))
    extra = {"order": order_gid, "financial_status": order.get("displayFinancialStatus"), "left": str(left)}
    if received <= 0:
        if order.get("displayFinancialStatus") == "AUTHORIZED":  # nothing can be captured on it any more
            log.warning("shopify order cancelled; its authorization is not shown voided", extra=extra)
        else:
            log.info("shopify order cancelled; nothing had been charged", extra=extra)
        return CancelResult(order_gid, refunded=True, charged=False)
    if left <= 0:
        log.info("shopify order cancelled and refunded", extra=extra)
        return CancelResult(order_gid, refunded=True, amount=expected)
    refunds = [t for t in order.get("transactions") or [] if t.get("kind") == "REFUND"]
    on_the_way = sum((money_of(t.get("amountSet")) for t in refunds
                      if t.get("status") not in FAILED and t.get("status") != "SUCCESS"), Decimal("0"))
    if on_the_way >= left:
        log.info("shopify order cancelled; its refund is pending at the gateway", extra=extra)
        return CancelResult(order_gid, refunded=True)
    failed = [t for t in refunds if t.get("status") in FAILED]
    if failed:
        raise PlatformRejected(f"shopify: order {order_gid} is cancelled but its refund transaction "
                               f"{failed[-1]['status']}: {left} of the {received} paid was not returned")
    raise PlatformRejected(f"shopify: order {order_gid} is cancelled but {left} of the {received} paid "
                           "was not refunded")
