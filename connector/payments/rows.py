"""The order payment row (``order_payments``): created or refreshed from what the store says, and the
outcome one collection pass reports for one order."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.errors import PlatformRejected
from connector.domain.payments import DECLINED, SUCCEEDED, ZERO, PaymentFacts, route_of
from connector.payments.models import OrderPayment
from connector.payments.repository import FINAL_STATES, PaymentsRepository

log = logging.getLogger(__name__)

TXN_STATE = {"SUCCESS": SUCCEEDED, "FAILURE": DECLINED, "ERROR": DECLINED}
"""A store transaction's status -> the charge state it settles to (anything else: still pending)."""


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


def order_ref(uow: UnitOfWork, order_id: int) -> OrderRef:
    with uow:
        order = uow.orders.by_id(order_id)
        if order is None:
            raise PlatformRejected(f"order {order_id} not found")
        return OrderRef(order.id, order.shop_id, order.platform_order_id, order.name)


def sync(uow: UnitOfWork, ref: OrderRef, facts: PaymentFacts, platform: str, *,
         under_plan: bool = False) -> OrderPayment:
    """Create or refresh the order's payment row from what the store says. ``under_plan``: the order was
    bought under the connector's selling plan (domain ``route_of``), used when the row is made."""
    with uow:
        repo = uow.repo(PaymentsRepository)
        row = repo.payment_of(ref.order_id)
        route = route_of(facts, platform=platform, under_plan=under_plan)
        if row is None:
            row = repo.add_payment(OrderPayment(shop_id=ref.shop_id, order_id=ref.order_id, route=route.route,
                                                state=route.state, trigger=route.trigger, currency=facts.currency,
                                                multi_capture=False, amount_authorized=ZERO,
                                                amount_captured=ZERO, amount_due=ZERO))
            if route.route == "mandate":  # what checkout took (the deposit): never the balance's charge
                row.amount_authorized = max(ZERO, facts.total - facts.outstanding)
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


def update(uow: UnitOfWork, order_id: int, **values: object) -> None:
    with uow:
        row = uow.repo(PaymentsRepository).payment_of(order_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        uow.commit()
