"""Simulated WooCommerce gateways that authorise at checkout and capture on a status change, as the two
gateways the connector recognises do it (read from their public source):

- WooCommerce Stripe Gateway ("Issue an authorization on checkout, and capture later"): the order
  waits ``on-hold`` with ``_stripe_charge_captured`` = ``no`` and the charge id as ``transaction_id``;
  ``WC_Stripe_Order_Handler`` hooks ``capture_payment`` on ``woocommerce_order_status_processing`` and
  ``..._completed``: it captures (the order total less refunds), sets the meta to ``yes`` and adds the
  note "Stripe charge complete (Charge ID: ...)".
- WooPayments ("Enable manual capture"): the order waits ``on-hold`` with ``_intent_id``,
  ``_charge_id`` and ``_intention_status`` = ``requires_capture``; the gateway hooks
  ``capture_authorization_on_order_status_change`` on ``woocommerce_order_status_completed`` only:
  completing the order captures and the status meta becomes ``succeeded``.

A capture happens once: a later transition finds the meta already captured and does nothing. Orders
paid at checkout (``paid``) carry the captured meta and ``date_paid`` from the start.
"""

from __future__ import annotations

import itertools
from typing import Any

from sandbox.woocommerce_sim.state import SimStore

GATEWAYS: dict[str, dict[str, Any]] = {
    "stripe": {"title": "Credit Card (Stripe)", "name": "Stripe", "meta": "_stripe_charge_captured",
               "authorised": "no", "captured": "yes", "captures_on": ("processing", "completed")},
    "woocommerce_payments": {"title": "WooPayments", "name": "WooPayments", "meta": "_intention_status",
                             "authorised": "requires_capture", "captured": "succeeded",
                             "captures_on": ("completed",)},
}
_ids = itertools.count(4_000_001)


def _meta(order: dict[str, Any], key: str) -> Any:
    return next((m["value"] for m in order["meta_data"] if m["key"] == key), None)


def captures(store: SimStore) -> list[dict[str, Any]]:
    """Every capture the store's gateways made (tests count these). The caller holds ``store.lock``."""
    found: list[dict[str, Any]] = store.__dict__.setdefault("gateway_captures", [])
    return found


def pay(store: SimStore, order_id: int, gateway: str, *, authorise_only: bool) -> dict[str, Any]:
    """Checkout took the payment with ``gateway``: only authorised (the order waits ``on-hold``) or
    captured at once (``processing``, ``date_paid`` set). The caller holds ``store.lock``."""
    rule = GATEWAYS[gateway]
    order = store.order(order_id)
    charge, intent = f"ch_sim{next(_ids)}", f"pi_sim{next(_ids)}"
    order.update(payment_method=gateway, payment_method_title=rule["title"], transaction_id=charge)
    state = rule["authorised"] if authorise_only else rule["captured"]
    meta = {"_stripe_charge_captured": state, "_stripe_intent_id": intent} if gateway == "stripe" else {
        "_intent_id": intent, "_charge_id": charge, "_intention_status": state}
    for key, value in meta.items():
        store.merge_meta(order, {"key": key, "value": value})
    if authorise_only:
        order["date_paid"] = order["date_paid_gmt"] = None
        if order["status"] != "on-hold":
            order["status"] = "on-hold"
        store.add_note(order_id, f"{rule['name']} charge authorized (Charge ID: {charge}). Process order to take "
                                 "payment, or cancel to remove the pre-authorization.", system=True)
    else:
        store.stamp(order, "paid")
        store.add_note(order_id, f"{rule['name']} charge complete (Charge ID: {charge})", system=True)
    store.stamp(order, "modified")
    return order


def on_status_change(store: SimStore, order: dict[str, Any], status: str) -> None:
    """The gateway's hook on the order's new status: capture an authorisation once."""
    rule = GATEWAYS.get(str(order.get("payment_method")))
    if rule is None or status not in rule["captures_on"] or _meta(order, rule["meta"]) != rule["authorised"]:
        return
    store.merge_meta(order, {"key": rule["meta"], "value": rule["captured"]})
    store.stamp(order, "paid")
    captures(store).append({"order": order["id"], "gateway": order["payment_method"], "amount": order["total"],
                            "charge": order.get("transaction_id"), "status": status})
    store.add_note(order["id"], f"{rule['name']} charge complete (Charge ID: {order.get('transaction_id')})",
                   system=True)
