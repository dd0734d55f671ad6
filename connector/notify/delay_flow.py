"""The FTC delay notice's answers and outcomes: keep waiting, cancel (through the store), lapse.

Decision outcomes: ``kept`` (the customer chose to wait), ``cancelling`` (a cancellation is due:
the customer confirmed, or a consent-required notice lapsed under the cancel_and_refund policy),
``cancel_pending`` (the store accepted the cancellation and is still carrying it out: Shopify's
orderCancel is a background job; no email yet, a durable later check settles it, see
cancel_checks.py), ``cancelled`` (cancelled and the money refunded), ``cancelled_not_charged``
(cancelled; the payment was only authorized, so nothing was charged for them and nothing is),
``cancelled_refund_owed`` (cancelled, but the store left the refund to the merchant),
``cancel_failed`` (the store refused, a refund failed or went missing, or the store never finished;
the merchant is asked), ``escalated`` (lapsed under ask_merchant: the merchant got a decision
email). Every answer and outcome is stored on the decision row; every email on the message log. An
answer ``wait`` is confirmed by a ``wait_confirmed`` e-mail reserved with it (page_cancel.confirm_wait),
as a cancellation is by ``cancelled``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, LinkInvalid, TransientError
from connector.domain.model import BackorderStatus
from connector.domain.notify import CancelMoney, CancelResult, DelayPolicy, Kind, date_key
from connector.notify.delivery import uncharged
from connector.notify.email import long_date
from connector.notify.links import LinkSigner
from connector.notify.models import DelayDecision
from connector.notify.page_cancel import confirm_wait
from connector.notify.repository import NotifyRepository
from connector.notify.settings import ShopNotifySettings

if TYPE_CHECKING:
    from connector.notify.evaluate import EvaluationReport, Notifier

log = logging.getLogger(__name__)

CANCELLED_OUTCOMES = {CancelMoney.REFUNDED: "cancelled", CancelMoney.NOT_CHARGED: "cancelled_not_charged",
                      CancelMoney.OWED: "cancelled_refund_owed"}
"""The decision outcome for what the store did with the money (see the module docstring)."""
PENDING = "cancel_pending"
"""The store accepted the cancellation and is still carrying it out (CancelMoney.PENDING)."""
CHECK_DELAYS: tuple[int, ...] = (30, 120, 600, 1800, 3600)
"""Seconds before each later check of a ``cancel_pending`` cancellation (about 1 h 40 min in all);
still not done after the last one -> ``cancel_failed`` and the merchant is asked."""


def lapse(uow: UnitOfWork, shop_id: int, shop: ShopNotifySettings, backorder: Backorder, decision: DelayDecision,
          report: EvaluationReport) -> None:
    """A consent-required notice got no answer by its deadline: act on the merchant's policy."""
    from connector.notify.evaluate import reserve_message

    decision.outcome_at = utcnow()
    if shop.delay_policy == DelayPolicy.CANCEL_AND_REFUND:
        decision.outcome = "cancelling"
        report.count("lapsed_cancel")
    else:
        decision.outcome = "escalated"
        reserve_message(uow, shop_id, backorder, Kind.MERCHANT_DECISION, date_key(decision.notified_date),
                        f"delay notice {decision.sequence} unanswered by {decision.deadline}",
                        recipient=shop.support_email or None, decision_id=decision.id)
        report.count("lapsed_escalated")
    log.info("delay notice lapsed", extra={"shop_id": shop_id, "backorder_id": backorder.id,
                                           "outcome": decision.outcome})


@dataclass(frozen=True)
class LinkView:
    """What a customer link page shows."""

    decision_id: int
    shop_id: int
    order_name: str
    items: list[dict[str, Any]]
    """Each waiting line: ``title`` (the product's; "" when the store gave none: never the SKU), ``sku``,
    ``quantity``."""
    notified_date: date | None
    answer: str | None
    outcome: str | None
    open: bool
    uncharged: bool
    """The payment is only reserved or not taken: nothing to refund (the delay notice's own rule)."""
    order_id: int = 0
    locale: str | None = None
    """The order's locale as the store gave it (the page's language)."""
    consent_required: bool = False
    deadline: date | None = None
    promised: date | None = None
    """The shipping date promised (the notice's "the date we promised")."""
    refund: Decimal | None = None
    """What the items cost at the order line's price (after its discounts): what a cancellation gives
    back; None when the store gave no price."""
    currency: str | None = None


def view(uow: UnitOfWork, links: LinkSigner, token: str, today: date) -> LinkView:
    """The decision a signed link points at. Raises LinkInvalid."""
    signed = links.verify(token, today)
    with uow:
        notes = uow.repo(NotifyRepository)
        decision = notes.decision_by_nonce(signed.nonce)
        if decision is None:
            raise LinkInvalid("unknown link", reason="unknown")
        backorder = uow.backorders.get(decision.backorder_id)
        assert backorder is not None
        line, order = backorder.line, backorder.line.order
        state = notes.state_of(backorder.id)
        price = line.unit_price
        return LinkView(decision.id, decision.shop_id, order.name,
                        [{"title": (line.title or "").strip(), "sku": line.sku,
                          "quantity": backorder.quantity_backordered}],
                        decision.notified_date, decision.answer, decision.outcome,
                        backorder.status == BackorderStatus.OPEN.value, uncharged(order.financial_status),
                        order_id=order.id, locale=order.locale, consent_required=decision.consent_required,
                        deadline=decision.deadline, promised=state.shipping_promise if state else None,
                        refund=price * backorder.quantity_backordered if price is not None else None,
                        currency=order.currency)


def answer(uow: UnitOfWork, links: LinkSigner, token: str, choice: str, today: date) -> LinkView:
    """Record the customer's answer once (single use). Raises LinkInvalid."""
    if choice not in ("wait", "cancel"):
        raise LinkInvalid(f"unknown choice {choice!r}")
    signed = links.verify(token, today)
    with uow:
        notes = uow.repo(NotifyRepository)
        decision = notes.decision_by_nonce(signed.nonce)
        if decision is None:
            raise LinkInvalid("unknown link", reason="unknown")
        if decision.answer is not None or decision.outcome not in (None, "escalated"):
            raise LinkInvalid(f"this link was already used (answer: {decision.answer or decision.outcome})",
                              reason="used", nonce=signed.nonce, answer=decision.answer or decision.outcome)
        backorder = uow.backorders.get(decision.backorder_id)
        assert backorder is not None
        if backorder.status != BackorderStatus.OPEN.value:
            raise LinkInvalid(f"these items are no longer waiting ({backorder.status})", reason="not_waiting",
                              nonce=signed.nonce)
        if notes.has_later_decision(decision):
            raise LinkInvalid("a newer delay notice replaced this one; please use its links", reason="replaced",
                              nonce=signed.nonce)
        decision.answer, decision.answered_at = choice, utcnow()
        decision.outcome = "kept" if choice == "wait" else "cancelling"
        decision.outcome_at = utcnow()
        if choice == "wait":  # confirmed by e-mail, as a cancellation is (delivered by the next evaluation)
            confirm_wait(uow, decision.shop_id, backorder, decision)
        uow.commit()
        log.info("delay notice answered", extra={"shop_id": decision.shop_id, "decision_id": decision.id,
                                                 "answer": choice})
    return view(uow, links, token, today)


def run_pending_cancellations(notifier: Notifier, shop_id: int, shop: ShopNotifySettings) -> int:
    """Cancel and refund, through the store, every backorder whose decision says ``cancelling``.

    The outcome says what happened to the money (CANCELLED_OUTCOMES) and the confirmation email
    says the same; a store that refused or whose refund failed is ``cancel_failed``; a store still
    carrying the cancellation out is ``cancel_pending`` (checked later, see cancel_checks.py)."""
    with notifier.uow() as uow:
        due = uow.repo(NotifyRepository).decisions_with_outcome(shop_id, "cancelling")
    done = 0
    for decision_id, backorder_id in due:
        with notifier.uow() as uow:
            backorder = uow.backorders.get(backorder_id)
            assert backorder is not None
            line, order = backorder.line, backorder.line.order
            target = (order.platform_order_id, [(line.platform_line_id, backorder.quantity_backordered)])
        outcome, error, result = "cancel_failed", None, None
        try:
            result = notifier.order_admin(shop_id).cancel_items(
                target[0], target[1], reason="Backordered items cancelled under the delay notice",
                idempotency_key=f"delay-cancel-{decision_id}")
            outcome = outcome_of(result, shop_id, decision_id)
        except TransientError as exc:
            log.warning("cancellation not done yet", extra={"shop_id": shop_id, "error": str(exc)})
            continue
        except ConnectorError as exc:
            error = str(exc)
        if record(notifier, shop_id, shop, decision_id, outcome, error, was="cancelling", result=result):
            done += outcome.startswith("cancelled")
    return done


def outcome_of(result: CancelResult, shop_id: int, decision_id: int) -> str:
    if result.money == CancelMoney.PENDING:
        return PENDING
    if result.money == CancelMoney.OWED:
        log.warning("items cancelled; the store left the refund to the merchant",
                    extra={"shop_id": shop_id, "decision_id": decision_id, "reference": result.reference})
    return CANCELLED_OUTCOMES[result.money]


def record(notifier: Notifier, shop_id: int, shop: ShopNotifySettings, decision_id: int, outcome: str,
           error: str | None, *, was: str, result: CancelResult | None = None) -> bool:
    """Write a cancellation's outcome on its decision, once (only while the decision still says
    ``was``), with what it calls for in the same transaction: the customer's confirmation, the
    merchant's question, or for ``cancel_pending`` no email yet and the first later check."""
    from connector.notify.evaluate import reserve_message

    uow = notifier.uow()
    with uow:
        notes = uow.repo(NotifyRepository)
        decision = notes.decision(decision_id)
        if decision is None or decision.outcome != was:
            return False
        backorder = uow.backorders.get(decision.backorder_id)
        assert backorder is not None
        decision.outcome, decision.outcome_error, decision.outcome_at = outcome, error, utcnow()
        reason = ("you asked us to" if decision.answer == "cancel"
                  else f"we did not hear from you by {long_date(decision.deadline)}")
        if outcome == PENDING:
            assert result is not None
            schedule_check(notifier, shop_id, decision_id, result.reference, result.amount, 1, uow=uow)
        elif outcome.startswith("cancelled"):
            backorder.status, backorder.closed_at = BackorderStatus.CANCELLED.value, utcnow()
            reserve_message(uow, shop_id, backorder, Kind.CANCELLED, date_key(decision.notified_date), reason,
                            decision_id=decision_id)
        else:
            reserve_message(uow, shop_id, backorder, Kind.MERCHANT_DECISION, date_key(decision.notified_date),
                            f"store refused the cancellation: {error}", recipient=shop.support_email or None,
                            decision_id=decision_id)
        uow.commit()
    log.info("delay cancellation %s", outcome, extra={"shop_id": shop_id, "decision_id": decision_id,
                                                      "error": error, "amount": result.amount if result else None,
                                                      "reference": result.reference if result else None})
    return True


def schedule_check(notifier: Notifier, shop_id: int, decision_id: int, reference: str, expected: str | None,
                   check: int, *, uow: UnitOfWork | None = None) -> bool:
    """Record the ``check``-th later look at a cancellation the store is still carrying out
    (jobs.notify.confirm_cancellation, durable): in ``uow``'s open transaction when given. False when
    CHECK_DELAYS are spent."""
    if check > len(CHECK_DELAYS):
        return False
    if notifier.schedule_check is None:
        log.error("no job queue: a cancellation the store is still carrying out stays cancel_pending",
                  extra={"shop_id": shop_id, "decision_id": decision_id, "reference": reference})
        return True
    notifier.schedule_check([shop_id, decision_id, reference, expected, check], CHECK_DELAYS[check - 1], uow)
    return True
