"""Authorised payments captured on shipment: Shopify ``orderCapture`` of what shipped (final on the last,
everything at once where the gateway captures once), and WooCommerce gateways that capture when the
order's status moves on."""

from __future__ import annotations

import logging
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.errors import OutcomeUncertain, PlatformRejected
from connector.domain.payments import DECLINED, PENDING, ZERO, PaymentFacts, Transaction, capture_plan
from connector.dropship.place import alert
from connector.payments.declines import declined
from connector.payments.ledger import new_charge, settle
from connector.payments.models import OrderPayment
from connector.payments.repository import PaymentsRepository
from connector.payments.rows import TXN_STATE, OrderRef, Outcome, update
from connector.ports import StorePayments

log = logging.getLogger(__name__)


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


def ready_to_ship(uow: UnitOfWork, order_id: int) -> tuple[bool, bool]:
    """(goods ready: no backorder of the order still waits for stock, shipped: something shipped)."""
    with uow:
        found = [(b.status, b.quantity_shipped or 0) for b in uow.repo(PaymentsRepository).backorders_of(order_id)]
    waiting = [status for status, _ in found if status == "open"]
    started = [status for status, shipped in found if status in ("allocated", "fulfilled") or shipped > 0]
    return bool(found) and not waiting and bool(started), any(shipped > 0 for _, shipped in found)


def capture_shipped(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                    payment: OrderPayment, *, everything: bool = False) -> Outcome:
    auth = facts.authorization()
    if auth is None:
        return Outcome(ref.order_id, payment.state, "no open authorisation")
    value, all_shipped = shipped_value(uow, ref.order_id)
    plan = capture_plan(authorized=auth.amount, captured=facts.captured_of(auth.id), shipped_value=value,
                        everything_shipped=all_shipped or everything, multi_capture=auth.multi_capturable)
    if plan.amount <= ZERO:
        return Outcome(ref.order_id, payment.state, "; ".join(plan.reasons))
    charge_id, _ = new_charge(uow, ref, "capture", plan.amount, facts.currency, final=plan.final)
    return send_capture(uow, store, ref, charge_id, auth.id, plan.amount, facts.currency, plan.final)


def send_capture(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int, auth_id: str,
                 amount: Decimal, currency: str, final: bool) -> Outcome:
    try:
        txn = store.capture(ref.platform_order_id, auth_id, amount, currency, final=final)
    except OutcomeUncertain as exc:
        settle(uow, charge_id, "uncertain", error=str(exc))
        raise
    except PlatformRejected as exc:
        settle(uow, charge_id, DECLINED, error=str(exc))
        update(uow, ref.order_id, last_error=str(exc))
        alert(uow, ref.shop_id, "payment_failed", f"payment-capture-{charge_id}",
              f"Order {ref.name}: capturing {amount} {currency} was refused: {exc}")
        return Outcome(ref.order_id, "failed", "capture refused", amount, str(exc))
    return after_capture(uow, store, ref, charge_id, txn)


def after_capture(uow: UnitOfWork, store: StorePayments, ref: OrderRef, charge_id: int,
                  txn: Transaction) -> Outcome:
    state = TXN_STATE.get(txn.status, PENDING)
    settle(uow, charge_id, state, reference=txn.id, error=txn.error_code if state == DECLINED else None)
    if state == DECLINED:
        return declined(uow, store, ref, txn.amount, txn.error_code or txn.status)
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


def capture_by_status(uow: UnitOfWork, store: StorePayments, ref: OrderRef, facts: PaymentFacts,
                      payment: OrderPayment, *, manual: bool) -> Outcome:
    """WooCommerce: the gateway captures the whole authorisation when the order's status moves on."""
    _, everything = shipped_value(uow, ref.order_id)
    ready, shipped = ready_to_ship(uow, ref.order_id)
    if not (everything or manual or (shipped and ready)):
        return Outcome(ref.order_id, payment.state, "goods not shipped yet")
    if manual and not everything and facts.capture_completes_order:
        return Outcome(ref.order_id, payment.state, f"{facts.gateway} captures only when the order is completed: "
                       "not before everything shipped (capture it from the order page in WooCommerce)")
    charge_id, _ = new_charge(uow, ref, "woocommerce", facts.total, facts.currency, final=True)
    return send_capture(uow, store, ref, charge_id, payment.authorization_id or "", facts.total, facts.currency, True)
