"""Customer messages: evaluate every open backorder of a shop and send what is due, once.

Exactly once per (backorder, kind, date):
1. Under the shop lock, one transaction decides (connector/domain/notify.py) and RESERVES each due
   message as a row (unique backorder_id, kind, date_key) with status ``pending`` (or
   ``suppressed`` for a notice deliberately withheld inside the grace period), together with the
   state it implies (promised date, last date told, the delay notice's decision row, a reserved
   discount code). A rerun finds the row and decides nothing new.
2. Delivery claims a pending row (pending -> sending, committed) right before the SMTP call, then
   records ``sent`` with the Message-ID. A failure that certainly did not deliver puts it back to
   ``pending``; a refusal marks it ``failed``; a broken hand-over marks it ``uncertain``. A row
   left ``sending`` by a crash is never resent: after SENDING_LEASE it becomes ``uncertain``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from connector.crypto import CredentialBox
from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain import notify as rules
from connector.domain.clock import utcnow
from connector.domain.preferences import may_send
from connector.notify import settings as notify_settings
from connector.notify.links import LinkSigner
from connector.notify.models import DelayDecision, Message, NotifyState
from connector.notify.page_cancel import is_page_request
from connector.notify.page_repository import CustomerPageRepository
from connector.notify.repository import NotifyRepository, OpenBackorderFacts, StateFacts
from connector.ports import Mailer, OrderAdmin, SlackFactory

log = logging.getLogger(__name__)

IN_FLIGHT = frozenset({"cancelling", "cancel_pending"})
"""Decision outcomes of a cancellation under way (connector/notify/delay_flow.py)."""


@dataclass
class Notifier:
    """What evaluation needs; built by jobs/notify.py from the container (tests build their own)."""

    uow: Callable[[], UnitOfWork]
    mailer: Mailer
    links: LinkSigner
    order_admin: Callable[[int], OrderAdmin]
    default_sender: str
    today: Callable[[], date] = field(default=lambda: utcnow().date())
    schedule_check: Callable[[list[Any], float, UnitOfWork | None], None] | None = None
    """Records a durable run of jobs.notify.confirm_cancellation(*args) due in that many seconds, in
    the given open unit of work's transaction (None: a transaction of its own); built by jobs/notify.py.
    None: nothing can be scheduled (a cancellation the store is still carrying out stays pending)."""
    box: CredentialBox | None = None
    """Unseals the shop's Slack webhook URL (None: no secret key)."""
    slack: SlackFactory | None = None
    """Builds the Slack channel of a shop's unsealed webhook URL (Container.slack_webhook); None: no Slack."""


@dataclass
class EvaluationReport:
    reserved: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    failed: int = 0
    cancelled: int = 0

    def count(self, kind: str) -> None:
        self.reserved[str(kind)] = self.reserved.get(str(kind), 0) + 1

    def describe(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in sorted(self.reserved.items())) or "nothing new"


def evaluate_backorders(notifier: Notifier, shop_id: int) -> EvaluationReport:
    """Decide and reserve what is due for every open backorder of the shop, then deliver it."""
    from connector.notify import consolation, delay_flow
    from connector.notify import delivery as notify_delivery

    report = EvaluationReport()
    shop = notify_settings.load(notifier.uow(), shop_id)
    today = notifier.today()
    uow = notifier.uow()
    with uow.shop_lock(shop_id):
        with uow:
            _reserve_due(uow, shop_id, shop, today, report)
            uow.commit()
        consolation.create_reserved_codes(notifier, shop_id, shop)
        report.cancelled = delay_flow.run_pending_cancellations(notifier, shop_id, shop)
        sent, failed = notify_delivery.deliver_pending(notifier, shop_id, shop)
    report.sent, report.failed = sent, failed
    log.info("backorders evaluated", extra={"shop_id": shop_id, "reserved": report.reserved,
                                            "sent": sent, "failed": failed})
    return report


def _reserve_due(uow: UnitOfWork, shop_id: int, shop: notify_settings.ShopNotifySettings, today: date,
                 report: EvaluationReport) -> None:
    """Decide for every open backorder of the shop and reserve what is due.

    Every evaluation reads all of the shop's open backorders, and after a dates refresh most have nothing new:
    their facts and notify states are read as columns (``NotifyRepository.open_backorder_facts``, ``open_states``),
    and only those with something due are loaded as entities, in one query, to act on; states are loaded only
    where a decision acts or where the promise follows a corrected checkout date. They are acted on in the same
    order as they were decided (oldest first), and one that a consolation code reserved for an earlier backorder
    of its order concerns is decided again with it, as deciding them one after the other would."""
    notes = uow.repo(NotifyRepository)
    rows = notes.open_backorder_facts(shop_id)
    stored = notes.open_states(shop_id)
    states: dict[int, NotifyState | StateFacts] = {}
    decisions = notes.open_decisions(shop_id)
    coded = notes.coded_orders(shop_id)
    decided: list[tuple[OpenBackorderFacts, list[rules.Decision]]] = []
    restated: dict[int, StateFacts] = {}  # stored states whose promise follows a corrected checkout date
    for row in rows:
        if any(d.outcome in IN_FLIGHT for d in decisions.get(row.backorder_id, [])):
            continue  # being cancelled through the store: nothing more to tell until that is settled
        known = stored.get(row.backorder_id)
        stated = row.line_promised_on or row.order_promised_on  # the line's own first
        state: NotifyState | StateFacts
        if known is None:
            # The shipping promise: the delivery date stated at checkout when capture recorded one
            # (connector/capture/promise.py), else the order date plus shipping_promise_days.
            state = notes.add(NotifyState(
                shop_id=shop_id, backorder_id=row.backorder_id, checkout_stated=stated is not None,
                shipping_promise=rules.shipping_promise(row.ordered_at.date(), stated, shop.policy),
                initial_decided=False, last_told=row.promised))
        elif not known.initial_decided:
            state = _restated_promise(known, row.ordered_at.date(), stated, shop.policy)
            if state != known:
                restated[row.backorder_id] = state
        else:
            state = known
        states[row.backorder_id] = state
        due = rules.decide(_facts(row, state, decisions, coded), today, shop.policy)
        if due:
            decided.append((row, due))
    # Entities only for the states that change: those a decision acts on and those whose promise moved.
    loaded = notes.states(shop_id, sorted({row.backorder_id for row, _ in decided if row.backorder_id in stored}
                                          | restated.keys()))
    for backorder_id, entity in loaded.items():
        if backorder_id in restated:
            entity.shipping_promise = restated[backorder_id].shipping_promise
            entity.checkout_stated = restated[backorder_id].checkout_stated
        states[backorder_id] = entity
    if not decided:
        return
    backorders = notes.backorders_with_orders([row.backorder_id for row, _ in decided])
    had_code = set(coded)
    for row, due in decided:
        state = states[row.backorder_id]
        assert isinstance(state, NotifyState)
        if row.order_id in coded and row.order_id not in had_code:  # a code reserved above, for this order
            due = rules.decide(_facts(row, state, decisions, coded), today, shop.policy)
        backorder = backorders[row.backorder_id]
        for decision in due:
            _apply(uow, shop_id, shop, backorder, state, decisions.get(backorder.id, []), decision, today, report)
            if decision.with_consolation and row.order_id not in coded:
                from connector.notify.consolation import reserve_code

                reserve_code(uow, shop_id, backorder, shop)
                coded.add(row.order_id)


def _facts(row: OpenBackorderFacts, state: NotifyState | StateFacts, decisions: dict[int, list[DelayDecision]],
           coded: set[int]) -> rules.Facts:
    return rules.Facts(
        ordered_on=row.ordered_at.date(), expected=row.expected, promised=row.promised,
        shipping_promise=state.shipping_promise, last_told=state.last_told, initial_decided=state.initial_decided,
        delay_notices=tuple(rules.DelayNotice(d.notified_date, d.consent_required, d.deadline, d.answer,
                                              settled=d.outcome is not None)
                            for d in decisions.get(row.backorder_id, []) if not is_page_request(d)),
        has_consolation=row.order_id in coded)


def _restated_promise(state: StateFacts, ordered_on: date, stated: date | None, policy: rules.Policy) -> StateFacts:
    """Until the first decision about a backorder (notice sent or silence recorded) its promise
    follows the date stated at checkout: the store or the customer may still correct it. After that
    it is pinned; capture then leaves the order's stated date alone too. A settings change never
    moves a promise that was not stated."""
    if stated is None and not state.checkout_stated:
        return state
    return state._replace(shipping_promise=rules.shipping_promise(ordered_on, stated, policy),
                          checkout_stated=stated is not None)


def _apply(uow: UnitOfWork, shop_id: int, shop: notify_settings.ShopNotifySettings, backorder: Backorder,
           state: NotifyState, prior: list[DelayDecision], decision: rules.Decision, today: date,
           report: EvaluationReport) -> None:
    kind = decision.kind
    if kind == "expire_delay":
        from connector.notify.delay_flow import lapse

        lapse(uow, shop_id, shop, backorder, prior[-1], report)
        return
    if kind in (rules.Kind.CAPTURE_NOTICE, rules.Kind.CAPTURE_SILENCE, rules.Kind.DELAY_NOTICE):
        state.initial_decided = True
        if backorder.promised_date is None:
            backorder.promised_date = decision.date
        state.last_told = state.last_told or backorder.promised_date
    decision_row = None
    if kind == rules.Kind.DELAY_NOTICE:
        decision_row = DelayDecision(
            shop_id=shop_id, backorder_id=backorder.id, sequence=len(prior) + 1, nonce=secrets.token_hex(16),
            notified_date=decision.date, consent_required=decision.consent_required,
            deadline=decision.deadline or decision.date or today + timedelta(days=shop.policy.delay_reply_days))
        notes = uow.repo(NotifyRepository)
        notes.add(decision_row)
        notes.flush()
        prior.append(decision_row)
    if kind in (rules.Kind.APOLOGY, rules.Kind.DELAY_NOTICE) and decision.date is not None:
        state.last_told = decision.date
    reserve_message(uow, shop_id, backorder, kind, decision.key, decision.reason,
                    suppressed=kind == rules.Kind.CAPTURE_SILENCE,
                    decision_id=decision_row.id if decision_row else None)
    report.count(kind)


def reserve_message(uow: UnitOfWork, shop_id: int, backorder: Backorder, kind: str, key: str, reason: str, *,
                    suppressed: bool = False, decision_id: int | None = None, recipient: str | None = None) -> bool:
    """Reserve one message row unless (backorder, kind, date) already has one. True when new."""
    notes = uow.repo(NotifyRepository)
    if notes.has_message(backorder.id, kind, key):
        return False
    order = backorder.line.order
    to = recipient if recipient is not None else order.customer_email
    if recipient is None and not suppressed:  # the customer's own choice on the order page
        verdict = may_send(uow.repo(CustomerPageRepository).frequency_for(order.id, order.customer_email), kind)
        suppressed, reason = not verdict.send, reason if verdict.send else f"{reason}; {verdict.reason}"
    status = "suppressed" if suppressed else ("pending" if to else "failed")
    notes.add(Message(shop_id=shop_id, backorder_id=backorder.id, order_id=order.id, kind=kind, date_key=key,
                        recipient=to, status=status, outcome=reason, attempts=0, decision_id=decision_id,
                        error=None if to or suppressed else "no email address on the order"))
    notes.flush()
    log.info("message reserved", extra={"shop_id": shop_id, "backorder_id": backorder.id, "kind": kind,
                                        "date_key": key, "status": status})
    return True

