"""Charges (``payment_charges``): keyed and committed before the store is called, settled after it, and
found again in the store's transactions when an earlier pass died before settling."""

from __future__ import annotations

import uuid
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import OutcomeUncertain
from connector.domain.payments import DECLINED, PENDING, SUCCEEDED, PaymentFacts, Transaction
from connector.payments.models import PaymentCharge
from connector.payments.repository import PaymentsRepository
from connector.payments.rows import OrderRef


def new_charge(uow: UnitOfWork, ref: OrderRef, kind: str, amount: Decimal, currency: str, *,
               final: bool = False) -> tuple[int, str]:
    """Commit a pending charge with its idempotency key; (row id, key). OutcomeUncertain while an
    earlier charge of the order is unsettled (the state machine's guard against a second charge)."""
    with uow:
        repo = uow.repo(PaymentsRepository)
        if repo.unsettled_charge(ref.order_id) is not None:
            raise OutcomeUncertain(f"order {ref.name}: an earlier charge is not settled yet")
        key = f"{kind}-{ref.shop_id}-{ref.order_id}-{uuid.uuid4().hex}"
        row = repo.add_charge(PaymentCharge(shop_id=ref.shop_id, order_id=ref.order_id, kind=kind, amount=amount,
                                            currency=currency, idempotency_key=key, final=final, state=PENDING))
        uow.commit()
        return row.id, key


def settle(uow: UnitOfWork, charge_id: int, state: str, *, reference: str | None = None,
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


def claimed(uow: UnitOfWork, order_id: int) -> set[str]:
    """Store references that settled charges of the order already account for."""
    with uow:
        return {c.reference for c in uow.repo(PaymentsRepository).charges_of(order_id)
                if c.reference and c.state in (SUCCEEDED, DECLINED)}


def find_capture(facts: PaymentFacts, parent_id: str | None, amount: Decimal, taken: set[str],
                 reference: str | None) -> Transaction | None:
    """The CAPTURE a charge asked for: by its reference, else one on the same parent and amount that no
    settled charge claims."""
    for txn in facts.transactions:
        if txn.kind != "CAPTURE" or txn.parent_id != parent_id:
            continue
        if (reference and txn.id == reference) or (not reference and txn.amount == amount and txn.id not in taken):
            return txn
    return None


def find_mandate_charge(facts: PaymentFacts, reference: str | None, taken: set[str]) -> Transaction | None:
    """The transaction a mandate payment made: the one whose payment id is the reference Shopify returned."""
    for txn in facts.transactions:
        if txn.kind not in ("SALE", "CAPTURE", "AUTHORIZATION") or txn.id in taken:
            continue
        if reference and txn.payment_id == reference:
            return txn
    return None
