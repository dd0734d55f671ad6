"""WooCommerce payment on shipment (the StorePayments port): core WooCommerce has no capture endpoint;
the gateways that authorise at checkout capture when the order's status moves on (read from their
public source; docs/payments.md):

- WooPayments (``woocommerce_payments``, "Enable manual capture"): the order waits ``on-hold`` with
  ``_intention_status`` = ``requires_capture``; the gateway captures on ``woocommerce_order_status_completed``
  only (``capture_authorization_on_order_status_change``), after which the meta reads ``succeeded``.
  So the connector completes the order, which it does only once everything shipped.
- WooCommerce Stripe Gateway (``stripe``, "authorize on checkout, capture later"): the order waits
  ``on-hold`` with ``_stripe_charge_captured`` = ``no``; ``capture_payment`` runs on processing and on
  completed (``yes`` afterwards). The connector moves it to ``processing``: the merchant (or the store's
  shipping plugin) still completes it when it ships.
- Any other gateway, or an order whose gateway took the money at checkout (``date_paid`` set and no
  authorisation meta): paid at checkout, left alone.

The status change is safe to repeat (a captured charge is not captured again by these gateways; a PUT
is resent after a timeout), and the capture is read back from the meta before any new attempt.
Mandates, invoices and holds do not exist on WooCommerce: a mandate charge raises PlatformRejected.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from adapters.woocommerce.client import WooCommerceClient
from connector.domain.errors import PlatformRejected
from connector.domain.payments import ZERO, PaymentFacts, Transaction

log = logging.getLogger(__name__)

AUTHORISED = {"woocommerce_payments": ("_intention_status", "requires_capture", "succeeded", "completed"),
              "stripe": ("_stripe_charge_captured", "no", "yes", "processing")}
"""gateway -> (meta key, value while authorised only, value once captured, the status that captures)."""


def _meta(order: dict[str, Any], key: str) -> str | None:
    found = next((m for m in order.get("meta_data") or [] if m.get("key") == key), None)
    return None if found is None else str(found.get("value"))


class WooCommercePayments:
    def __init__(self, client: WooCommerceClient) -> None:
        self.client = client

    def facts(self, order_id: str) -> PaymentFacts:
        order = self.client.get(f"orders/{order_id}")
        gateway = str(order.get("payment_method") or "")
        total = Decimal(str(order.get("total") or "0"))
        rule = AUTHORISED.get(gateway)
        state = _meta(order, rule[0]) if rule else None
        authorised = rule is not None and state == rule[1] and order.get("status") in ("on-hold", "pending")
        captured = rule is not None and state == rule[2]
        transactions = (Transaction(id=str(order.get("transaction_id") or order_id), kind="AUTHORIZATION",
                                    status="SUCCESS", amount=total, gateway=gateway),) if authorised else ()
        return PaymentFacts(order_id=str(order_id), currency=str(order.get("currency") or ""), total=total,
                            outstanding=total if authorised else ZERO, financial_status=str(order.get("status")),
                            transactions=transactions, gateway=gateway,
                            paid_at_checkout=not authorised and (captured or bool(order.get("date_paid"))),
                            capturable_by_status=authorised, capture_completes_order=rule is not None
                            and rule[3] == "completed")

    def capture(self, order_id: str, authorization_id: str, amount: Decimal, currency: str, *,
                final: bool) -> Transaction:
        facts = self.facts(order_id)
        if facts.capturable_by_status:
            self.client.put(f"orders/{order_id}", {"status": AUTHORISED[facts.gateway or ""][3]})
            facts = self.facts(order_id)
        status = "FAILURE" if facts.capturable_by_status else "SUCCESS"
        log.info("woocommerce capture by status", extra={"order": order_id, "gateway": facts.gateway,
                                                         "status": status})
        return Transaction(id=f"{order_id}-capture", kind="CAPTURE", status=status, amount=amount,
                           parent_id=authorization_id, gateway=facts.gateway,
                           error_code=None if status == "SUCCESS" else "NOT_CAPTURED_BY_STATUS")

    def charge_mandate(self, order_id: str, mandate_id: str, amount: Decimal, currency: str, *,
                       idempotency_key: str, payment_schedule_id: str | None) -> str:
        raise PlatformRejected("woocommerce: no payment mandates")

    def send_payment_link(self, order_id: str) -> None:
        self.client.post(f"orders/{order_id}/notes", {
            "note": "Your payment could not be taken. Please pay the balance from your account's order page.",
            "customer_note": True})

    def hold_for_payment(self, order_id: str, external_id: str) -> list[tuple[str, str]]:
        return []

    def release_hold(self, fulfillment_order_id: str, hold_id: str) -> None:
        return None
