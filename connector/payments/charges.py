"""Payment on shipment, one order at a time: the state machine of ``order_payments`` and the charges
(captures, mandate payments, WooCommerce status captures) it asks the store for, never twice.

Every pass runs under the shop's lock and starts by settling a charge left ``pending`` or ``uncertain``
by an earlier pass (a worker killed between the store call and the commit): the store's transactions
are read back, and a charge found there is recorded, not repeated. Only when the read-back shows the
first attempt did not land is it sent again (a mandate payment with the same idempotency key, which
Shopify honours anyway). A new charge row with its key is committed BEFORE the store is called.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import OutcomeUncertain, PlatformRejected
from connector.domain.payments import (
    DECLINED,
    PENDING,
    SUCCEEDED,
    ZERO,
    PaymentFacts,
    Transaction,
    capture_plan,
    route_of,
)
from connector.dropship.place import alert
from connector.payments.models import OrderPayment, PaymentCharge
from connector.payments.repository import FINAL_STATES, PaymentsRepository
from connector.ports import StorePayments

log = logging.getLogger(__name__)

TXN_STATE = {"SUCCESS": SUCCEEDED, "FAILURE": DECLINED, "ERROR": DECLINED}


@dataclass(frozen=True)
class Outcome:
    """What one pass did for one order."""

    order_id: int
    state: str
    action: str
    amount: Decimal = ZERO
    detail: str = ""


@dataclass(frozen=True)
class OrderRef:
    order_id: int
    shop_id: int
    platform_order_id: str
    name: str


def _order(uow: UnitOfWork, order_id: int) -> OrderRef:
    with uow:
        order = uow.orders.by_id(order_id)
        if order is None:
            raise PlatformRejected(f"order {order_id} not found")
        return OrderRef(order.id, order.shop_id, order.platform_order_id, order.name)


def collect(uow: UnitOfWork, store: StorePayments, order_id: int, *, platform: str, manual: bool = False,
            hold_until_paid: bool = True) -> Outcome:
    """One pass over one order: settle what is unsettled, then capture or charge what is due now.
    ``manual``: the merchant asked to take the money now (captures all that is left)."""
    ref = _order(uow, order_id)
    with uow.shop_lock(ref.shop_id):
        facts = store.facts(ref.platform_order_id)
        payment = _sync(uow, ref, facts, platform)
        settled = _settle_unsettled(uow, store, ref, facts)
        if settled is not None:
            return settled
        facts = store.facts(ref.platform_order_id)
        payment = _sync(uow, ref, facts, platform)
        if payment.route == "paid_at_checkout":
            log.info("order paid in full at checkout: left alone", extra={"order": ref.name, "shop_id": ref.shop_id})
            return Outcome(order_id, payment.state, "left alone: paid at checkout")
        if payment.route == "none" or payment.state in FINAL_STATES:
            return Outcome(order_id, payment.state, "nothing to collect")
        if payment.route == "authorization":
            return _capture_shipped(uow, store, ref, facts, payment, everything=manual)
        if payment.route == "woocommerce":
            return _woocommerce(uow, store, ref, facts, payment, manual=manual)
        if payment.route == "mandate":
            if payment.trigger == "on_fulfillment":
                return _watch_on_fulfillment(uow, store, ref, facts, payment)
            return _charge_mandate(uow, store, ref, facts, payment, hold_until_paid=hold_until_paid, manual=manual)
        return Outcome(order_id, payment.state, "nothing to collect")


# -- the order payment row ----------------------------------------------------------------------------

def _sync(uow: UnitOfWork, ref: OrderRef, facts: PaymentFacts, platform: str) -> OrderPayment:
    """Create or refresh the order's payment row from what the store says."""
    with uow:
        repo = uow.repo(PaymentsRepository)
        row = repo.payment_of(ref.order_id)
        route = route_of(facts, platform=platform)
        if row is None:
            row = repo.add_payment(OrderPayment(shop_id=ref.shop_id, order_id=ref.order_id, route=route.route,
                                                state=route.state, trigger=route.trigger, currency=facts.currency,
                                                multi_capture=False, amount_authorized=ZERO,
                                                amount_captured=ZERO, amount_due=ZERO))
            log.info("order payment found", extra={"order": ref.name, "route": route.route,
                                                   "reasons": list(route.reasons)})
        auth = facts.authorization()
        if row.route == "authorization" and auth is not None:
            captured = facts.captured_of(auth.id)
            row.authorization_id, row.authorization_expires_at = auth.id, auth.authorization_expires_at
            row.multi_capture, row.amount_authorized, row.amount_captured = auth.multi_capturable, auth.amount, captured
            row.amount_due = max(ZERO, auth.amount - captured)
            if row.state not in FINAL_STATES:
                row.state = ("captured" if captured >= auth.amount
                             else "partially_captured" if captured else "authorized")
        elif row.route == "mandate":
            row.mandate_id = facts.mandate_ids[0] if facts.mandate_ids else row.mandate_id
            row.payment_schedule_id = facts.payment_schedule_id or row.payment_schedule_id
            row.amount_due = facts.outstanding
            row.amount_captured = max(ZERO, facts.total - facts.outstanding)
            if facts.outstanding <= ZERO and row.state != "charged" and row.trigger != "on_fulfillment":
                row.state = "charged"
        elif row.route == "woocommerce":
            row.amount_authorized = row.amount_authorized or facts.total
            row.amount_due = facts.outstanding
            row.gateway = facts.gateway
            if not facts.capturable_by_status and row.state == "authorized":
                row.state, row.amount_captured = "captured", facts.total
        row.currency = row.currency or facts.currency
        row.gateway = row.gateway or facts.gateway
        uow.commit()
        return row


def _update(uow: UnitOfWork, order_id: int, **values: object) -> None:
    with uow:
        row = uow.repo(PaymentsRepository).payment_of(order_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        uow.commit()


# -- charges: keyed before the call, settled after it ---------------------------------------------------

def _new_charge(uow: UnitOfWork, ref: OrderRef, kind: str, amount: Decimal, currency: str, *,
                final: bool = False) -> tuple[int, str]:
    """Commit a pending charge with its idempotency key; (row id, key)."""
    with uow:
        repo = uow.repo(PaymentsRepository)
        if repo.unsettled_charge(ref.order_id) is not None:
            raise OutcomeUncertain(f"order {ref.name}: an earlier charge is not settled yet")
        key = f"{kind}-{ref.shop_id}-{ref.order_id}-{uuid.uuid4().hex}"
        row = repo.add_charge(PaymentCharge(shop_id=ref.shop_id, order_id=ref.order_id, kind=kind, amount=amount,
                                            currency=currency, idempotency_key=key, final=final, state=PENDING))
        uow.commit()
        return row.id, key


def _settle(uow: UnitOfWork, charge_id: int, state: str, *, reference: str | None = None,
            error: str | None = None) -> None:
    with uow:
        row = uow.repo(PaymentsRepository).charge(charge_id)
        assert row is not None
        row.state = state
        row.reference = reference or row.reference
        row.error = error
        if state in (SUCCEEDED, DECLINED):
            row.settled_at = utcnow()
        uow.commit()


def _claimed(uow: UnitOfWork, order_id: int) -> set[str]:
    with uow:
        return {c.reference for c in uow.repo(PaymentsRepository).charges_of(order_id)
                if c.reference and c.state in (SUCCEEDED, DECLINED)}


def _find_capture(facts: PaymentFacts, parent_id: str | None, amount: Decimal, claimed: set[str],
                  reference: str | None) -> Transaction | None:
    for txn in facts.transactions:
        if txn.kind != "CAPTURE" or txn.parent_id != parent_id:
            continue
        if (reference and txn.id == reference) or (not reference and txn.amount == amount and txn.id not in claimed):
            return txn
    return None


def _find_mandate_charge(facts: PaymentFacts, reference: str | None, amount: Decimal,
                         claimed: set[str]) -> Transaction | None:
    for txn in facts.transactions:
        if txn.kind not in ("SALE", "CAPTURE", "AUTHORIZATION") or txn.id in claimed:
            continue
        if reference and txn.payment_id == reference:
            return txn
    return None


def _settle_unsettled(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts) -> Outcome | None:
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
    claimed = _claimed(uow, ref.order_id)
    if kind == "capture":
        found = _find_capture(facts, auth_id, amount, claimed, reference)
        if found is not None:
            log.info("capture found on read-back, not repeated", extra={"order": ref.name, "transaction": found.id})
            return _after_capture(uow, store, ref, charge_id, found)
        log.info("capture did not land (read back): sending it again", extra={"order": ref.name})
        return _send_capture(uow, store, ref, charge_id, auth_id or "", amount, currency, final)
    if kind == "mandate":
        found = _find_mandate_charge(facts, reference, amount, claimed)
        if found is not None:
            return _after_mandate(uow, store, ref, charge_id, found)
        if reference:  # asked for; the payment job has not answered yet
            return Outcome(ref.order_id, "charging", "waiting for the mandate payment", amount)
        return _send_mandate(uow, store, ref, charge_id, key, mandate_id or "", amount, currency, schedule)
    if kind == "woocommerce":
        if not facts.capturable_by_status:
            _settle(uow, charge_id, SUCCEEDED, reference=ref.platform_order_id)
            _update(uow, ref.order_id, state="captured", amount_captured=amount, amount_due=ZERO, last_error=None)
            return Outcome(ref.order_id, "captured", "captured (found on read-back)", amount)
        return _send_capture(uow, store, ref, charge_id, auth_id or "", amount, currency, True)
    return None


# -- authorisation route: capture what shipped -------------------------------------------------------

def shipped_value(uow: UnitOfWork, order_id: int) -> tuple[Decimal, bool]:
    """(value of the units shipped, whether every unit of the order shipped)."""
    with uow:
        repo = uow.repo(PaymentsRepository)
        lines, shipped = repo.order_lines(order_id), repo.shipped_by_line(order_id)
        value, everything = ZERO, bool(lines)
        for line in lines:
            units = min(line.quantity, max(line.quantity_fulfilled or 0, shipped.get(line.id, 0)))
            value += (line.unit_price or ZERO) * units
            everything = everything and units >= line.quantity
        return value, everything


def _capture_shipped(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                     payment: OrderPayment, *, everything: bool = False) -> Outcome:
    auth = facts.authorization()
    if auth is None:
        return Outcome(ref.order_id, payment.state, "no open authorisation")
    value, all_shipped = shipped_value(uow, ref.order_id)
    plan = capture_plan(authorized=auth.amount, captured=facts.captured_of(auth.id), shipped_value=value,
                        everything_shipped=all_shipped or everything, multi_capture=auth.multi_capturable)
    if plan.amount <= ZERO:
        return Outcome(ref.order_id, payment.state, "; ".join(plan.reasons))
    charge_id, _ = _new_charge(uow, ref, "capture", plan.amount, facts.currency, final=plan.final)
    return _send_capture(uow, store, ref, charge_id, auth.id, plan.amount, facts.currency, plan.final)


def _send_capture(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int, auth_id: str,
                  amount: Decimal, currency: str, final: bool) -> Outcome:
    try:
        txn = store.capture(ref.platform_order_id, auth_id, amount, currency, final=final)
    except OutcomeUncertain as exc:
        _settle(uow, charge_id, "uncertain", error=str(exc))
        raise
    except PlatformRejected as exc:
        _settle(uow, charge_id, DECLINED, error=str(exc))
        _update(uow, ref.order_id, last_error=str(exc))
        alert(uow, ref.shop_id, "payment_failed", f"payment-capture-{charge_id}",
              f"Order {ref.name}: capturing {amount} {currency} was refused: {exc}")
        return Outcome(ref.order_id, "failed", "capture refused", amount, str(exc))
    return _after_capture(uow, store, ref, charge_id, txn)


def _after_capture(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int,
                   txn: Transaction) -> Outcome:
    state = TXN_STATE.get(txn.status, PENDING)
    _settle(uow, charge_id, state, reference=txn.id, error=txn.error_code if state == DECLINED else None)
    if state == DECLINED:
        return _declined(uow, store, ref, txn.amount, txn.error_code or txn.status)
    if state == PENDING:
        return Outcome(ref.order_id, "pending", "capture pending at the gateway", txn.amount)
    with uow:
        repo = uow.repo(PaymentsRepository)
        row, charge = repo.payment_of(ref.order_id), repo.charge(charge_id)
        assert row is not None and charge is not None
        row.amount_captured = (row.amount_captured or ZERO) + charge.amount
        left = max(ZERO, (row.amount_authorized or ZERO) - row.amount_captured)
        row.amount_due = ZERO if charge.final else left
        row.state = "captured" if charge.final or left <= ZERO else "partially_captured"
        row.last_error = None
        new_state = row.state
        uow.commit()
    log.info("payment captured", extra={"order": ref.name, "amount": str(txn.amount), "state": new_state})
    return Outcome(ref.order_id, new_state, "captured", txn.amount)


# -- mandate route: charge the balance when the goods are ready --------------------------------------

def _ready_to_ship(uow: UnitOfWork, order_id: int) -> tuple[bool, bool]:
    """(goods ready: no backorder of the order still waits for stock, shipped: something shipped)."""
    with uow:
        found = [(b.status, b.quantity_shipped or 0) for b in uow.repo(PaymentsRepository).backorders_of(order_id)]
    waiting = [status for status, _ in found if status == "open"]
    started = [status for status, shipped in found if status in ("allocated", "fulfilled") or shipped > 0]
    return bool(found) and not waiting and bool(started), any(shipped > 0 for _, shipped in found)


def _charge_mandate(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                    payment: OrderPayment, *, hold_until_paid: bool, manual: bool) -> Outcome:
    if payment.state == "declined" and not manual:
        return Outcome(ref.order_id, "declined", "declined: waiting for the customer to pay the link")
    ready, shipped = _ready_to_ship(uow, ref.order_id)
    if not (ready or shipped or manual):
        return Outcome(ref.order_id, payment.state, "goods not ready to ship yet")
    if not facts.mandate_ids or facts.outstanding <= ZERO:
        return Outcome(ref.order_id, payment.state, "no vaulted card or nothing outstanding")
    if hold_until_paid and not shipped and not payment.holds:
        holds = store.hold_for_payment(ref.platform_order_id, f"payment-{ref.order_id}")
        _update(uow, ref.order_id, holds=json.dumps(holds))
        payment.holds = json.dumps(holds)
    charge_id, key = _new_charge(uow, ref, "mandate", facts.outstanding, facts.currency, final=True)
    _update(uow, ref.order_id, state="charging")
    return _send_mandate(uow, store, ref, charge_id, key, facts.mandate_ids[0], facts.outstanding, facts.currency,
                         facts.payment_schedule_id)


def _send_mandate(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int, key: str, mandate_id: str,
                  amount: Decimal, currency: str, schedule: str | None) -> Outcome:
    try:
        reference = store.charge_mandate(ref.platform_order_id, mandate_id, amount, currency,
                                         idempotency_key=key, payment_schedule_id=schedule)
    except PlatformRejected as exc:
        _settle(uow, charge_id, DECLINED, error=str(exc))
        return _declined(uow, store, ref, amount, str(exc))
    _settle(uow, charge_id, PENDING, reference=reference)
    facts = store.facts(ref.platform_order_id)
    found = _find_mandate_charge(facts, reference, amount, _claimed(uow, ref.order_id))
    if found is None:
        return Outcome(ref.order_id, "charging", "mandate payment requested", amount)
    return _after_mandate(uow, store, ref, charge_id, found)


def _after_mandate(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int,
                   txn: Transaction) -> Outcome:
    state = TXN_STATE.get(txn.status, PENDING)
    if state == PENDING:
        return Outcome(ref.order_id, "charging", "mandate payment pending", txn.amount)
    _settle(uow, charge_id, state, reference=txn.payment_id or txn.id,
            error=txn.error_code if state == DECLINED else None)
    if state == DECLINED:
        return _declined(uow, store, ref, txn.amount, txn.error_code or txn.status)
    _update(uow, ref.order_id, state="charged", last_error=None)
    _release_holds(uow, store, ref)
    log.info("balance charged", extra={"order": ref.name, "amount": str(txn.amount)})
    return Outcome(ref.order_id, "charged", "balance charged", txn.amount)


def _release_holds(uow: UnitOfWork, store: StorePayments, ref: OrderRef) -> None:
    with uow:
        row = uow.repo(PaymentsRepository).payment_of(ref.order_id)
        holds = json.loads(row.holds) if row is not None and row.holds else []
    for fulfillment_order_id, hold_id in holds:
        store.release_hold(fulfillment_order_id, hold_id)
    if holds:
        _update(uow, ref.order_id, holds=None)
        log.info("payment holds released", extra={"order": ref.name, "holds": len(holds)})


def _watch_on_fulfillment(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                          payment: OrderPayment) -> Outcome:
    """Shopify charges a balance due on fulfillment itself: record what it did."""
    claimed = _claimed(uow, ref.order_id)
    for txn in facts.transactions:
        if txn.kind != "SALE" or txn.id in claimed or txn.status not in TXN_STATE:
            continue
        if facts.outstanding > ZERO and txn.status == "SUCCESS":
            continue  # the deposit taken at checkout
        with uow:
            uow.repo(PaymentsRepository).add_charge(PaymentCharge(
                shop_id=ref.shop_id, order_id=ref.order_id, kind="mandate", amount=txn.amount, currency=facts.currency,
                idempotency_key=f"shopify-{txn.id}", final=True, state=TXN_STATE[txn.status], reference=txn.id,
                error=txn.error_code, settled_at=utcnow()))
            uow.commit()
        if txn.status != "SUCCESS":
            return _declined(uow, store, ref, txn.amount, txn.error_code or txn.status)
    if facts.outstanding <= ZERO:
        _update(uow, ref.order_id, state="charged", last_error=None)
        return Outcome(ref.order_id, "charged", "Shopify charged the balance on fulfillment")
    return Outcome(ref.order_id, payment.state, "waiting for Shopify to charge on fulfillment")


# -- WooCommerce: the status transition captures --------------------------------------------------------

def _woocommerce(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                 payment: OrderPayment, *, manual: bool) -> Outcome:
    _, everything = shipped_value(uow, ref.order_id)
    ready, shipped = _ready_to_ship(uow, ref.order_id)
    if not (everything or manual or (shipped and ready)):
        return Outcome(ref.order_id, payment.state, "goods not shipped yet")
    charge_id, _ = _new_charge(uow, ref, "woocommerce", facts.total, facts.currency, final=True)
    return _send_capture(uow, store, ref, charge_id, payment.authorization_id or "", facts.total, facts.currency, True)


# -- a decline ------------------------------------------------------------------------------------------

def _declined(uow: UnitOfWork, store: StorePayments, ref: OrderRef, amount: Decimal, why: str) -> Outcome:
    """Record the decline, send the customer a payment link (once), alert the merchant. Holds stay."""
    with uow:
        row = uow.repo(PaymentsRepository).payment_of(ref.order_id)
        assert row is not None
        row.state, row.last_error = "declined", f"declined: {why}"
        link_sent = row.payment_link_sent_at is not None
        uow.commit()
    if not link_sent:
        store.send_payment_link(ref.platform_order_id)
        _update(uow, ref.order_id, payment_link_sent_at=utcnow())
    alert(uow, ref.shop_id, "payment_declined", f"payment-declined-{ref.order_id}-{why}",
          f"Order {ref.name}: the payment of {amount} was declined ({why}); the customer was sent a payment link "
          "and the goods stay on hold until it is paid.")
    log.warning("payment declined", extra={"order": ref.name, "amount": str(amount), "why": why})
    return Outcome(ref.order_id, "declined", "declined: payment link sent, merchant alerted", amount, why)
