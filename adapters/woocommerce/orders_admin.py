"""OrderAdmin for WooCommerce: refund backordered items, create consolation coupons.

Cancelling is a refund of those line items (POST /orders/{id}/refunds with ``api_refund`` so the
payment gateway returns the money, and ``api_restock``). Restocking: WooCommerce reduced the stock
by the whole line when the order was placed (a backorder takes it below zero; the line's
``_reduced_stock``), so the refunded units go back (``wc_restock_refunded_items``), exactly as
Shopify's ``restockType: CANCEL``. The connector reads a refund back as units off the line
(adapters/woocommerce/orders.py) and a negative stock as units short (connector/capture/capture.py): not
restocking would leave the position short of units nobody waits for any more, and other orders
would inherit that shortage.
WooCommerce has no idempotency keys, so the key is written into the refund's reason and the
order's refunds are read first (every page): a rerun after a crash finds its own refund and does
not refund twice. The same read-back guards the POST itself: when it times out or answers 5xx
(WooCommerce may have refunded all the same), the refunds are listed again and the POST is resent
only when no refund carries the key; a read-back that fails raises OutcomeUncertain and the job's
next run reads back first. Coupons: single use, ``email_restrictions`` to the customer; the code is
unique, so an uncertain create is looked up by code, and a code that already exists (a rerun) is
looked up instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from adapters.woocommerce.client import WooCommerceClient
from connector.domain.errors import PlatformRejected
from connector.domain.notify import CancelResult

log = logging.getLogger(__name__)

CENT = Decimal("0.01")


class WooCommerceOrdersAdmin:
    def __init__(self, client: WooCommerceClient) -> None:
        self.client = client

    def cancel_items(self, order_id: str, items: Sequence[tuple[str, int]], *, reason: str,
                     idempotency_key: str) -> CancelResult:
        marker = f"[{idempotency_key}]"
        existing = self._refund_with(order_id, marker)
        if existing is not None:
            log.info("woocommerce refund already made", extra={"order": order_id, "refund": existing.get("id")})
            return CancelResult(str(existing["id"]), refunded=True)
        order = self.client.get(f"orders/{order_id}")
        lines = {str(line["id"]): line for line in order.get("line_items") or []}
        refund_lines: list[dict[str, Any]] = []
        amount = Decimal("0")
        for line_id, quantity in items:
            line = lines.get(str(line_id))
            if line is None:
                raise PlatformRejected(f"woocommerce: order {order_id} has no line {line_id}")
            unit = Decimal(str(line.get("total") or "0")) / max(1, int(line["quantity"]))
            unit_tax = Decimal(str(line.get("total_tax") or "0")) / max(1, int(line["quantity"]))
            total = (unit * quantity).quantize(CENT, ROUND_HALF_UP)
            tax = (unit_tax * quantity).quantize(CENT, ROUND_HALF_UP)
            refund_lines.append({"id": int(line["id"]), "quantity": quantity, "refund_total": str(total),
                                 "refund_tax": [] if not tax else [{"id": t["id"], "refund_total": str(
                                     (Decimal(str(t.get("total") or "0")) / max(1, int(line["quantity"]))
                                      * quantity).quantize(CENT, ROUND_HALF_UP))} for t in line.get("taxes") or []]})
            amount += total + tax
        if amount <= 0:
            raise PlatformRejected(f"woocommerce: nothing to refund on order {order_id}")
        refund = self.client.post(f"orders/{order_id}/refunds", {
            "amount": str(amount), "reason": f"{reason} {marker}", "line_items": refund_lines,
            "api_refund": True, "api_restock": True}, landed=lambda: self._refund_with(order_id, marker))
        log.info("woocommerce backordered items refunded", extra={"order": order_id, "amount": str(amount)})
        return CancelResult(str(refund["id"]), refunded=True)

    def _refund_with(self, order_id: str, marker: str) -> dict[str, Any] | None:
        """The order's refund whose reason carries ``marker`` (the connector's key), if any."""
        for refund in self.client.paginate(f"orders/{order_id}/refunds"):
            if marker in str(refund.get("reason") or ""):
                return dict(refund)
        return None

    def _coupon(self, code: str) -> dict[str, Any] | None:
        """The coupon with this code (WooCommerce codes are unique and lower-cased), if any."""
        for coupon in self.client.get("coupons", {"code": code}) or []:
            if str(coupon.get("code") or "").lower() == code.lower():
                return dict(coupon)
        return None

    def create_discount(self, code: str, *, kind: str, amount: float | None, customer_email: str, title: str,
                        ends_at: datetime | None, idempotency_key: str, order_id: str) -> str:
        body: dict[str, Any] = {
            "code": code, "description": title, "individual_use": False, "usage_limit": 1,
            "usage_limit_per_user": 1, "email_restrictions": [customer_email],
        }
        if kind == "free_shipping":
            body.update({"discount_type": "fixed_cart", "amount": "0", "free_shipping": True})
        else:
            body.update({"discount_type": "percent", "amount": f"{amount or 0:g}"})
        if ends_at is not None:
            body["date_expires"] = ends_at.strftime("%Y-%m-%dT%H:%M:%S")
        try:
            created = self.client.post("coupons", body, landed=lambda: self._coupon(code))
        except PlatformRejected as exc:
            if "already exists" not in str(exc):
                raise
            found = self._coupon(code)
            if found is None:
                raise
            return str(found["id"])
        return str(created["id"])
