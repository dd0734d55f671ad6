"""A declined payment: recorded, the customer sent a payment link (once), the merchant alerted; the
goods stay on hold."""

from __future__ import annotations

import logging
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.dropship.place import alert
from connector.payments.repository import PaymentsRepository
from connector.payments.rows import OrderRef, Outcome, update
from connector.ports import StorePayments

log = logging.getLogger(__name__)


def declined(uow: UnitOfWork, store: StorePayments, ref: OrderRef, amount: Decimal, why: str) -> Outcome:
    """Record the decline, send the customer a payment link (once), alert the merchant. Holds stay."""
    with uow:
        row = uow.repo(PaymentsRepository).payment_of(ref.order_id)
        assert row is not None
        row.state, row.last_error = "declined", f"declined: {why}"
        link_sent = row.payment_link_sent_at is not None
        uow.commit()
    if not link_sent:
        store.send_payment_link(ref.platform_order_id)
        update(uow, ref.order_id, payment_link_sent_at=utcnow())
    alert(uow, ref.shop_id, "payment_declined", f"payment-declined-{ref.order_id}-{why}",
          f"Order {ref.name}: the payment of {amount} was declined ({why}); the customer was sent a payment link "
          "and the goods stay on hold until it is paid.")
    log.warning("payment declined", extra={"order": ref.name, "amount": str(amount), "why": why})
    return Outcome(ref.order_id, "declined", "declined: payment link sent, merchant alerted", amount, why)
