"""Later checks of a cancellation the store was still carrying out (decision outcome ``cancel_pending``).

Shopify's ``orderCancel`` runs as a background job; when it is not done within the adapter's short
wait, the decision is recorded ``cancel_pending`` together with a durable run of
jobs.notify.confirm_cancellation (delay_flow.schedule_check). Each run asks the store once:

- done -> the outcome is recorded as for any cancellation (delay_flow.record): the customer's
  confirmation email, or ``cancel_failed`` and the merchant's question; pending messages are sent;
- still running, or the store unreachable -> the next check is recorded (delay_flow.CHECK_DELAYS);
  after the last one -> ``cancel_failed`` (the store never finished) and the merchant is asked.

Idempotent: a decision no longer ``cancel_pending`` is left alone, so a duplicate run or a rerun
after a crash records nothing twice; the outcome is written only while the decision is pending, and
a rerun's next check joins the one already waiting (coalesced).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from connector.domain.errors import ConnectorError, PlatformRejected, TransientError
from connector.domain.notify import CancelResult
from connector.notify.delay_flow import CHECK_DELAYS, PENDING, outcome_of, record, schedule_check
from connector.notify.repository import NotifyRepository

if TYPE_CHECKING:
    from connector.notify.evaluate import Notifier

log = logging.getLogger(__name__)


@runtime_checkable
class CancelConfirmation(Protocol):
    """An OrderAdmin whose ``cancel_items`` may answer while the store is still cancelling
    (CancelMoney.PENDING): adapters/shopify/orders_admin.py."""

    def confirm_cancel(self, order_id: str, reference: str, *, expected: str | None) -> CancelResult:
        """What became of the cancellation ``reference`` names (PENDING again while still running);
        ``expected`` is the amount the store is to refund. Raises PlatformRejected when it failed."""
        ...


def confirm_cancellation(notifier: Notifier, shop_id: int, decision_id: int, reference: str,
                         expected: str | None, check: int) -> str | None:
    """One later check (the ``check``-th); returns the decision's outcome after it."""
    from connector.notify import delivery as notify_delivery
    from connector.notify import settings as notify_settings

    shop = notify_settings.load(notifier.uow(), shop_id)
    with notifier.uow().shop_lock(shop_id):
        with notifier.uow() as uow:
            notes = uow.repo(NotifyRepository)
            decision = notes.decision(decision_id)
            if decision is None or decision.shop_id != shop_id or decision.outcome != PENDING:
                log.info("cancellation check: nothing pending", extra={"shop_id": shop_id, "decision_id": decision_id})
                return decision.outcome if decision is not None else None
            backorder = uow.backorders.get(decision.backorder_id)
            assert backorder is not None
            order_id = backorder.line.order.platform_order_id
        outcome, error, result = _ask(notifier, shop_id, decision_id, order_id, reference, expected)
        if outcome == PENDING:
            if schedule_check(notifier, shop_id, decision_id, reference, expected, check + 1):
                log.info("cancellation still under way; checking again later",
                         extra={"shop_id": shop_id, "decision_id": decision_id, "check": check, "error": error})
                return PENDING
            outcome = "cancel_failed"
            error = (f"the store had not finished the cancellation ({reference}) after {check} checks over "
                     f"{sum(CHECK_DELAYS) // 60} minutes{f' ({error})' if error else ''}; check the order in the store")
        if record(notifier, shop_id, shop, decision_id, outcome, error, was=PENDING, result=result):
            notify_delivery.deliver_pending(notifier, shop_id, shop)
    return outcome


def _ask(notifier: Notifier, shop_id: int, decision_id: int, order_id: str, reference: str,
         expected: str | None) -> tuple[str, str | None, CancelResult | None]:
    """(outcome, error, result): PENDING with the error when the store could not be asked now."""
    admin = notifier.order_admin(shop_id)
    try:
        if not isinstance(admin, CancelConfirmation):
            raise PlatformRejected("this store cannot report on a cancellation it is still carrying out")
        result = admin.confirm_cancel(order_id, reference, expected=expected)
        return outcome_of(result, shop_id, decision_id), None, result
    except TransientError as exc:
        return PENDING, str(exc), None
    except ConnectorError as exc:
        return "cancel_failed", str(exc), None
