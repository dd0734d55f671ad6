"""Payment on shipment, one order at a time: the state machine of ``order_payments`` and the charges
(captures, mandate payments, WooCommerce status captures) it asks the store for, never twice.

Every pass runs under the shop's lock and starts by settling a charge left ``pending`` or ``uncertain``
by an earlier pass (a worker killed between the store call and the commit): the store's transactions
are read back, and a charge found there is recorded, not repeated. Only when the read-back shows the
first attempt did not land is it sent again (a mandate payment with the same idempotency key, which
Shopify honours anyway). A new charge row with its key is committed BEFORE the store is called.

The steps live by concept: rows.py (the order payment row), ledger.py (charge rows and read-back),
authorization.py (captures), mandate.py (vaulted balances), declines.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from connector.db.uow import UnitOfWork
from connector.domain.payments import SUCCEEDED, ZERO, PaymentFacts
from connector.payments.authorization import after_capture, capture_by_status, capture_shipped, send_capture
from connector.payments.ledger import claimed, find_capture, find_mandate_charge, settle
from connector.payments.mandate import after_mandate, charge_mandate, send_mandate, watch_on_fulfillment
from connector.payments.repository import FINAL_STATES, PaymentsRepository
from connector.payments.rows import OrderRef, Outcome, order_ref, sync, update
from connector.ports import StorePayments

log = logging.getLogger(__name__)

__all__ = ["Outcome", "collect"]


def collect(uow: UnitOfWork, store: StorePayments, order_id: int, *, platform: str, manual: bool = False,
            hold_until_paid: bool = True, routes: frozenset[str] | None = None,
            under_plan: Callable[[str], bool] | None = None) -> Outcome:
    """One pass over one order: settle what is unsettled, then capture or charge what is due now.
    ``manual``: the merchant asked to take the money now (captures all that is left). ``routes``: the
    order payment routes the shop's ``payments.route`` collects (None: every one; the manual trigger);
    an order of another route is left alone (a charge already under way is still settled).
    ``under_plan``: asked once, with the store's order id, before the order's payment row is first made:
    whether it was bought under the connector's selling plan (connector/payments/selling_plans.py)."""
    ref = order_ref(uow, order_id)
    with uow.shop_lock(ref.shop_id):
        plan = False
        if under_plan is not None:
            with uow:
                known = uow.repo(PaymentsRepository).payment_of(order_id) is not None
            plan = not known and under_plan(ref.platform_order_id)
        facts = store.facts(ref.platform_order_id)
        payment = sync(uow, ref, facts, platform, under_plan=plan)
        settled = settle_unsettled(uow, store, ref, facts)
        if settled is not None:
            return settled
        facts = store.facts(ref.platform_order_id)
        payment = sync(uow, ref, facts, platform)
        if payment.route == "paid_at_checkout":
            log.info("order paid in full at checkout: left alone", extra={"order": ref.name, "shop_id": ref.shop_id})
            return Outcome(order_id, payment.state, "left alone: paid at checkout")
        if payment.route == "none" or payment.state in FINAL_STATES:
            return Outcome(order_id, payment.state, "nothing to collect")
        if routes is not None and payment.route not in routes:
            log.info("order payment left alone: the shop's payments.route does not collect it",
                     extra={"order": ref.name, "shop_id": ref.shop_id, "route": payment.route})
            return Outcome(order_id, payment.state, f"left alone: payments.route does not collect {payment.route}")
        if payment.route == "authorization":
            return capture_shipped(uow, store, ref, facts, payment, everything=manual)
        if payment.route == "woocommerce":
            return capture_by_status(uow, store, ref, facts, payment, manual=manual)
        if payment.route == "mandate":
            if payment.trigger == "on_fulfillment":
                return watch_on_fulfillment(uow, store, ref, facts, payment)
            return charge_mandate(uow, store, ref, facts, payment, hold_until_paid=hold_until_paid, manual=manual)
        return Outcome(order_id, payment.state, "nothing to collect")


def settle_unsettled(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts) -> Outcome | None:
    """Settle a charge an earlier pass left pending or uncertain; None when there is none (or it settled
    and the pass may go on)."""
    with uow:
        repo = uow.repo(PaymentsRepository)
        charge = repo.unsettled_charge(ref.order_id)
        payment = repo.payment_of(ref.order_id)
        if charge is None or payment is None:
            return None
        charge_id, kind, amount, final = charge.id, charge.kind, charge.amount, charge.final
        key = charge.idempotency_key
        reference, currency = charge.reference, charge.currency
        auth_id, mandate_id, schedule = payment.authorization_id, payment.mandate_id, payment.payment_schedule_id
    taken = claimed(uow, ref.order_id)
    if kind == "capture":
        found = find_capture(facts, auth_id, amount, taken, reference)
        if found is not None:
            log.info("capture found on read-back, not repeated", extra={"order": ref.name, "transaction": found.id})
            return after_capture(uow, store, ref, charge_id, found)
        log.info("capture did not land (read back): sending it again", extra={"order": ref.name})
        return send_capture(uow, store, ref, charge_id, auth_id or "", amount, currency, final)
    if kind == "mandate":
        found = find_mandate_charge(facts, reference, taken)
        if found is not None:
            return after_mandate(uow, store, ref, charge_id, found)
        if reference:  # asked for; the payment job has not answered yet
            return Outcome(ref.order_id, "charging", "waiting for the mandate payment", amount)
        return send_mandate(uow, store, ref, charge_id, key, mandate_id or "", amount, currency, schedule)
    if kind == "woocommerce":
        if not facts.capturable_by_status:
            settle(uow, charge_id, SUCCEEDED, reference=ref.platform_order_id)
            update(uow, ref.order_id, state="captured", amount_captured=amount, amount_due=ZERO, last_error=None)
            log.info("status capture found on read-back, not repeated", extra={"order": ref.name})
            return Outcome(ref.order_id, "captured", "captured (found on read-back)", amount)
        return send_capture(uow, store, ref, charge_id, auth_id or "", amount, currency, True)
    return None
