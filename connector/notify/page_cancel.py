"""The customer's page asks to cancel waiting items, or says it keeps waiting (issue 14).

A cancellation takes the path the delay notice's "cancel" link takes (connector/notify/delay_flow.py):
a delay decision whose outcome is ``cancelling`` is carried out through the store's
OrderAdmin.cancel_items by the next evaluation, with the idempotency key ``delay-cancel-<decision
id>``, and confirmed to the customer by the ``cancelled`` e-mail. So:

- an unanswered delay notice of the item is answered ``cancel`` (its links then say it was used);
- otherwise a decision row is written for the request, its nonce ``page-cancel-<backorder id>``:
  the nonce is unique, so two requests at once (a double click, two tabs) write one row and the store
  is asked once. Such a row is no delay notice: evaluation leaves it out of the notice rules
  (``is_page_request``).

Only ``open`` items can be cancelled here: an ``allocated`` one has stock set aside for it and ships
next; the page sends the customer to the shop for it.
"""

from __future__ import annotations

import logging
from datetime import date

from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.model import BackorderStatus
from connector.domain.notify import Kind, date_key
from connector.notify.models import DelayDecision
from connector.notify.page_repository import CustomerPageRepository

log = logging.getLogger(__name__)

PAGE_NONCE_PREFIX = "page-cancel-"
OPEN_OUTCOMES = (None, "escalated")
"""Outcomes of a delay notice that can still be answered (as delay_flow.answer allows)."""


def is_page_request(decision: DelayDecision) -> bool:
    """A decision row written by the customer's page rather than by a delay notice."""
    return decision.nonce.startswith(PAGE_NONCE_PREFIX)


def open_notice(decisions: list[DelayDecision]) -> DelayDecision | None:
    """The latest delay notice when it still waits for the customer's answer."""
    notices = [d for d in decisions if not is_page_request(d)]
    latest = notices[-1] if notices else None
    if latest is None or latest.answer is not None or latest.outcome not in OPEN_OUTCOMES:
        return None
    return latest


def cancel_asked(decisions: list[DelayDecision]) -> bool:
    """Whether a cancellation of the item was already asked for (by a link, the page or a lapse)."""
    return any(d.answer == "cancel" or (d.outcome or "").startswith("cancel") for d in decisions)


def request_cancel(uow: UnitOfWork, shop_id: int, backorder: Backorder, decisions: list[DelayDecision],
                   today: date) -> str:
    """Record the customer's request in the open transaction: ``requested``, ``already`` (asked
    before: nothing new) or ``not_waiting`` (the item is not open)."""
    if backorder.status != BackorderStatus.OPEN.value:
        return "not_waiting"
    if cancel_asked(decisions):
        return "already"
    now = utcnow()
    notice = open_notice(decisions)
    if notice is not None:
        notice.answer, notice.answered_at, notice.outcome, notice.outcome_at = "cancel", now, "cancelling", now
        log.info("delay notice answered on the order page", extra={"shop_id": shop_id, "decision_id": notice.id})
        return "requested"
    decision = DelayDecision(shop_id=shop_id, backorder_id=backorder.id, sequence=len(decisions) + 1,
                             nonce=f"{PAGE_NONCE_PREFIX}{backorder.id}", notified_date=backorder.expected_date,
                             consent_required=False, deadline=today, answer="cancel", answered_at=now,
                             outcome="cancelling", outcome_at=now)
    if not uow.repo(CustomerPageRepository).add_page_decision(decision):
        return "already"
    decisions.append(decision)
    log.info("cancellation asked on the order page", extra={"shop_id": shop_id, "backorder_id": backorder.id})
    return "requested"


def keep_waiting(uow: UnitOfWork, shop_id: int, backorder: Backorder, decisions: list[DelayDecision]) -> str:
    """``answered`` (an open delay notice now says ``wait``: kept, and its confirmation is reserved) or
    ``noted`` (nothing to answer), in the open transaction."""
    notice = open_notice(decisions) if backorder.status == BackorderStatus.OPEN.value else None
    if notice is None:
        return "noted"
    now = utcnow()
    notice.answer, notice.answered_at, notice.outcome, notice.outcome_at = "wait", now, "kept", now
    confirm_wait(uow, shop_id, backorder, notice)
    return "answered"


def confirm_wait(uow: UnitOfWork, shop_id: int, backorder: Backorder, notice: DelayDecision) -> bool:
    """Reserve the e-mail confirming that the customer keeps waiting (``wait_confirmed``) for the notice
    just answered ``wait``, in the open transaction, with the answer: it goes out with the next delivery,
    like the ``cancelled`` confirmation. One per notice (the message log's unique backorder, kind and
    date); an answer is recorded once, so a second click sends nothing. True when reserved now."""
    from connector.notify.evaluate import reserve_message  # evaluate imports this module

    return reserve_message(uow, shop_id, backorder, Kind.WAIT_CONFIRMED, date_key(notice.notified_date),
                           "you chose to keep waiting", decision_id=notice.id)
