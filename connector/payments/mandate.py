"""Balances on a vaulted card (Shopify payment mandates): charged by the connector with
``orderCreateMandatePayment`` when the goods are ready (backstop trigger), the fulfillment held
AWAITING_PAYMENT until paid; or charged by Shopify itself at fulfillment (``ON_FULFILLMENT``), the
outcome recorded."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import PlatformRejected
from connector.domain.payments import DECLINED, PENDING, ZERO, PaymentFacts, Transaction
from connector.payments.authorization import ready_to_ship
from connector.payments.declines import declined
from connector.payments.ledger import claimed, find_mandate_charge, new_charge, settle
from connector.payments.models import OrderPayment, PaymentCharge
from connector.payments.repository import PaymentsRepository
from connector.payments.rows import TXN_STATE, OrderRef, Outcome, update
from connector.ports import StorePayments

log = logging.getLogger(__name__)


def charge_mandate(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                   payment: OrderPayment, *, hold_until_paid: bool, manual: bool) -> Outcome:
    if payment.state == "declined" and not manual:
        return Outcome(ref.order_id, "declined", "declined: waiting for the customer to pay the link")
    ready, shipped = ready_to_ship(uow, ref.order_id)
    if not (ready or shipped or manual):
        return Outcome(ref.order_id, payment.state, "goods not ready to ship yet")
    if not facts.mandate_ids or facts.outstanding <= ZERO:
        return Outcome(ref.order_id, payment.state, "no vaulted card or nothing outstanding")
    if hold_until_paid and not shipped and not payment.holds:
        holds = store.hold_for_payment(ref.platform_order_id, f"payment-{ref.order_id}")
        update(uow, ref.order_id, holds=json.dumps(holds))
        payment.holds = json.dumps(holds)
    charge_id, key = new_charge(uow, ref, "mandate", facts.outstanding, facts.currency, final=True)
    update(uow, ref.order_id, state="charging")
    return send_mandate(uow, store, ref, charge_id, key, facts.mandate_ids[0], facts.outstanding, facts.currency,
                        facts.payment_schedule_id)


def send_mandate(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int, key: str, mandate_id: str,
                 amount: Decimal, currency: str, schedule: str | None) -> Outcome:
    try:
        reference = store.charge_mandate(ref.platform_order_id, mandate_id, amount, currency,
                                         idempotency_key=key, payment_schedule_id=schedule)
    except PlatformRejected as exc:
        settle(uow, charge_id, DECLINED, error=str(exc))
        return declined(uow, store, ref, amount, str(exc))
    settle(uow, charge_id, PENDING, reference=reference)
    facts = store.facts(ref.platform_order_id)
    found = find_mandate_charge(facts, reference, claimed(uow, ref.order_id))
    if found is None:
        return Outcome(ref.order_id, "charging", "mandate payment requested", amount)
    return after_mandate(uow, store, ref, charge_id, found)


def after_mandate(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int,
                  txn: Transaction) -> Outcome:
    state = TXN_STATE.get(txn.status, PENDING)
    if state == PENDING:
        return Outcome(ref.order_id, "charging", "mandate payment pending", txn.amount)
    settle(uow, charge_id, state, reference=txn.payment_id or txn.id,
           error=txn.error_code if state == DECLINED else None)
    if state == DECLINED:
        return declined(uow, store, ref, txn.amount, txn.error_code or txn.status)
    update(uow, ref.order_id, state="charged", last_error=None)
    release_holds(uow, store, ref)
    log.info("balance charged", extra={"order": ref.name, "amount": str(txn.amount)})
    return Outcome(ref.order_id, "charged", "balance charged", txn.amount)


def release_holds(uow: UnitOfWork, store: StorePayments, ref: OrderRef) -> None:
    with uow:
        row = uow.repo(PaymentsRepository).payment_of(ref.order_id)
        holds = json.loads(row.holds) if row is not None and row.holds else []
    for fulfillment_order_id, hold_id in holds:
        store.release_hold(fulfillment_order_id, hold_id)
    if holds:
        update(uow, ref.order_id, holds=None)
        log.info("payment holds released", extra={"order": ref.name, "holds": len(holds)})


def watch_on_fulfillment(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                         payment: OrderPayment) -> Outcome:
    """Shopify charges a balance due on fulfillment itself: record what it did."""
    taken = claimed(uow, ref.order_id)
    deposit, seen = payment.amount_authorized or ZERO, ZERO
    for txn in facts.transactions:
        if txn.kind != "SALE":
            continue
        if txn.status == "SUCCESS" and seen + txn.amount <= deposit:
            seen += txn.amount  # taken at checkout (the deposit), oldest first
            continue
        if txn.id in taken or txn.status not in TXN_STATE:
            continue
        with uow:
            uow.repo(PaymentsRepository).add_charge(PaymentCharge(
                shop_id=ref.shop_id, order_id=ref.order_id, kind="mandate", amount=txn.amount, currency=facts.currency,
                idempotency_key=f"shopify-{txn.id}", final=True, state=TXN_STATE[txn.status], reference=txn.id,
                error=txn.error_code, settled_at=utcnow()))
            uow.commit()
        if txn.status != "SUCCESS":
            return declined(uow, store, ref, txn.amount, txn.error_code or txn.status)
    if facts.outstanding <= ZERO:
        update(uow, ref.order_id, state="charged", last_error=None)
        return Outcome(ref.order_id, "charged", "Shopify charged the balance on fulfillment")
    return Outcome(ref.order_id, payment.state, "waiting for Shopify to charge on fulfillment")
