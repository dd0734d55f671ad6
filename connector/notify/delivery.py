"""Delivering reserved messages: claim (pending -> sending), send, record the outcome.

Messages of a GROUPED_KIND reserved for one order (one evaluation run decides every line of an order
at once) go out as ONE e-mail listing every line: each row is claimed and records the same outcome,
subject and Message-ID, so the log still shows one row per line and nothing is sent twice.

A message in ``sending`` older than SENDING_LEASE was claimed by a process that died during the
SMTP call: it may have been delivered, so it is marked ``uncertain`` and never resent.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import DeliveryRejected, DeliveryUnavailable, DeliveryUncertain, TransientError
from connector.domain.notify import UNKNOWN, DelayPolicy
from connector.notify import brand as notify_brand
from connector.notify import email as notify_email
from connector.notify import languages
from connector.notify import templates as message_templates
from connector.notify.links import customer_page_url
from connector.notify.models import DelayDecision, Message
from connector.notify.repository import NotifyRepository
from connector.notify.settings import ShopNotifySettings

if TYPE_CHECKING:
    from connector.notify.evaluate import Notifier

log = logging.getLogger(__name__)

SENDING_LEASE = timedelta(minutes=10)
GROUPED_KINDS = frozenset({"capture_notice", "apology"})
"""Kinds sent once per order and recipient, every pending line of the order in one e-mail. A delay notice,
a cancellation and a decision request each carry their own decision (links, outcome) and go alone."""
WAITING = frozenset({"open", "allocated"})
"""Backorder statuses of a line that still waits (not shipped, not cancelled)."""
MAX_ATTEMPTS = 8
"""A message that keeps failing transiently is given up after this many evaluations."""

UNCHARGED_STATUSES = frozenset({"authorized", "pending"})
"""Store financial statuses under which nothing has been charged yet (payment only reserved, or not
taken): a delay notice offers cancellation without a charge rather than "a full refund"."""
CANCEL_TAILS = {"cancelled_refund_owed": ", refund on its way", "cancelled_not_charged": ", you will not be charged"}
"""The end of the cancellation email's subject, by decision outcome; otherwise " and refunded"."""
WORDS: dict[str, dict[str, str]] = {
    "en": {"and_refunded": " and refunded", "percent_off": "{amount:g}% off", "free_shipping": "free shipping",
           "asked": "you asked us to", "silent": "we did not hear from you by {deadline}"},
    "nl": {"and_refunded": " en terugbetaald", "percent_off": "{amount:g}% korting",
           "free_shipping": "gratis verzending",
           "asked": "je ons daarom vroeg", "silent": "we uiterlijk {deadline} niets van je hoorden",
           "cancelled_refund_owed": ", terugbetaling onderweg", "cancelled_not_charged": ", je betaalt niets"},
}
"""The few words of a customer message made in code (subject tails, what a code gives, why items were
cancelled), per language; English ones not listed here are CANCEL_TAILS."""


def uncharged(financial_status: str | None) -> bool:
    """Whether an order's payment is only reserved or not taken (UNCHARGED_STATUSES): the delay notice
    and its cancel link page then say "you will not be charged" instead of "a full refund"."""
    return (financial_status or "").lower() in UNCHARGED_STATUSES


def deliver_pending(notifier: Notifier, shop_id: int, shop: ShopNotifySettings) -> tuple[int, int]:
    """Send every pending message of the shop; return (sent, failed)."""
    _expire_stale_claims(notifier, shop_id)
    with notifier.uow() as uow:
        ids = uow.repo(NotifyRepository).pending_message_ids(shop_id)
    sent = failed = 0
    for message_id in ids:  # one message that cannot be built or sent never stops the others
        rows = 1
        try:  # a message already sent with an earlier one of its order is no longer pending: "skipped"
            outcome, rows = _deliver(notifier, shop_id, shop, message_id)
        except TransientError:
            raise  # the database is down: every message would fail the same way; the next run resumes
        except Exception as exc:  # noqa: BLE001 - a bug or bad data in one message: record it, go on
            log.exception("message could not be delivered", extra={"shop_id": shop_id, "message_id": message_id})
            outcome = _give_up(notifier, message_id, f"{type(exc).__name__}: {exc}")
        sent += rows if outcome == "sent" else 0
        failed += rows if outcome in ("failed", "uncertain") else 0
    return sent, failed


def _expire_stale_claims(notifier: Notifier, shop_id: int) -> None:
    uow = notifier.uow()
    with uow:
        stale = uow.repo(NotifyRepository).sending_messages(shop_id)
        now = utcnow()
        for message in stale:
            if message.claimed_at is not None and message.claimed_at < now - SENDING_LEASE:
                message.status = "uncertain"
                message.error = "the sender stopped during the SMTP call; not resent to avoid a duplicate"
                log.warning("message left sending: marked uncertain", extra={"shop_id": shop_id,
                                                                            "message_id": message.id})
        uow.commit()


def _claim(notifier: Notifier, message_id: int) -> bool:
    uow = notifier.uow()
    with uow:
        claimed = uow.repo(NotifyRepository).claim_message(message_id)
        uow.commit()
        return claimed


def deliver_one(notifier: Notifier, shop_id: int, shop: ShopNotifySettings, message_id: int) -> str:
    """Send one pending message, with the pending messages of its order it is grouped with; its outcome."""
    return _deliver(notifier, shop_id, shop, message_id)[0]


def _deliver(notifier: Notifier, shop_id: int, shop: ShopNotifySettings, message_id: int) -> tuple[str, int]:
    """(outcome, how many message rows it covers)."""
    with notifier.uow() as uow:
        notes = uow.repo(NotifyRepository)
        message = notes.message(message_id)
        if message is None or message.status != "pending" or message.shop_id != shop_id:
            return "skipped", 0
        if _waits_for_code(uow, message):
            return "waiting", 0
        kind, key = message.kind, message.date_key
        companions = [m.id for m in notes.pending_companions(message)
                      if not _waits_for_code(uow, m)] if kind in GROUPED_KINDS else []
        try:
            email, code_shown = _compose(uow, notifier, shop, message, companions)
        except (ValueError, KeyError) as exc:  # an unsafe address, a header that cannot be written
            composed: str | None = f"cannot build the message: {exc}"
        else:
            composed = None
    if composed is not None:
        log.warning("message failed", extra={"shop_id": shop_id, "message_id": message_id, "kind": kind,
                                                    "date_key": key, "error": composed})
        return _give_up(notifier, message_id, composed), 1
    if not _claim(notifier, message_id):
        return "skipped", 0  # another worker claimed it first
    claimed = [other for other in companions if _claim(notifier, other)]
    if claimed != companions:  # another worker took one of them: this e-mail lists only what it claimed
        with notifier.uow() as uow:
            message = uow.repo(NotifyRepository).message(message_id)
            assert message is not None
            email, code_shown = _compose(uow, notifier, shop, message, claimed)
    status, error, provider_id = "sent", None, None
    try:
        provider_id = notifier.mailer.send(email)
    except DeliveryUnavailable as exc:
        status, error = "pending", str(exc)
    except DeliveryRejected as exc:
        status, error = "failed", str(exc)
    except DeliveryUncertain as exc:
        status, error = "uncertain", str(exc)
    uow = notifier.uow()
    with uow:
        for row_id in (message_id, *claimed):
            row = uow.repo(NotifyRepository).message(row_id)
            assert row is not None
            row_status = "failed" if status == "pending" and row.attempts >= MAX_ATTEMPTS else status
            row.status, row.error, row.subject = row_status, error, str(email["Subject"])
            row.body_text, row.language = _text_part(email), email.get("Content-Language") or languages.DEFAULT
            row.discount_code = code_shown if row_id == message_id else None
            if row_status == "sent":
                row.sent_at, row.provider_message_id = utcnow(), provider_id
        uow.commit()
    log.info("message %s", status, extra={"shop_id": shop_id, "message_id": message_id, "kind": kind,
                                           "date_key": key, "error": error, "with_messages": claimed})
    return status, 1 + len(claimed)


def _give_up(notifier: Notifier, message_id: int, error: str) -> str:
    """Record a message that can never be sent as failed, with its reason; it is not retried."""
    uow = notifier.uow()
    with uow:
        uow.repo(NotifyRepository).fail_pending_message(message_id, error[:2000])  # "sending": left to its lease
        uow.commit()
    return "failed"


def _waits_for_code(uow: UnitOfWork, message: Message) -> bool:
    """A message that will show a consolation code waits while the code is still being created."""
    code = uow.repo(NotifyRepository).code_of_order(message.order_id)
    return (code is not None and code.backorder_id == message.backorder_id and code.status == "reserved"
            and message.kind in ("apology", "delay_notice"))


def _compose(uow: UnitOfWork, notifier: Notifier, shop: ShopNotifySettings, message: Message,
             companions: list[int] | tuple[int, ...] = ()) -> tuple[Any, str | None]:
    shop_row = uow.shops.get(message.shop_id)
    assert shop_row is not None
    others = [uow.repo(NotifyRepository).message(other) for other in companions]
    context, language = message_context(uow, shop, message, links=notifier.links,
                                        companions=[m for m in others if m is not None])
    if message.kind != "merchant_decision":  # the customer's order page (issue 14), in every customer e-mail
        context["page_url"] = customer_page_url(notifier.links, message.shop_id, message.order_id, notifier.today())
    custom = message_templates.custom(uow, message.shop_id, message.kind, language)
    recipient = message.recipient or ""
    voice = context.get("brand") or {}  # issue 18: From the shop's name, Reply-To its support address
    email = notify_email.build(message.kind, context,
                               sender_name=voice.get("shop_name") or shop.sender_name or shop_row.domain,
                               sender_email=shop.sender_email or notifier.default_sender, recipient=recipient,
                               reply_to=voice.get("support_email") or shop.support_email or None,
                               message_key=f"msg-{message.id}",
                               language=language, custom=custom)
    email["Content-Language"] = language
    return email, context["code"]


def message_language(shop: ShopNotifySettings, kind: str, order_locale: str | None) -> str:
    """A customer message follows the customer's language; a message to the shop, the shop's."""
    if kind == "merchant_decision":
        return languages.choose(None, shop.language)
    return languages.choose(order_locale, shop.customer_language)


def message_context(uow: UnitOfWork, shop: ShopNotifySettings, message: Message, *, links: Any,
                    language: str | None = None, companions: list[Message] | tuple[Message, ...] = ()
                    ) -> tuple[dict[str, Any], str]:
    """(template context, language) of one message row, from its backorder, order, code and decision;
    also what the app's preview renders (connector/notify/preview.py), inside an open ``with uow``.
    ``companions``: the order's other messages sent in the same e-mail; their lines are listed too."""
    notes = uow.repo(NotifyRepository)
    backorder = uow.backorders.get(message.backorder_id)
    order = uow.orders.by_id(message.order_id)
    shop_row = uow.shops.get(message.shop_id)
    assert backorder is not None and order is not None and shop_row is not None
    language = language or message_language(shop, message.kind, order.locale)
    words = {**WORDS["en"], **CANCEL_TAILS, **WORDS.get(language, {})}
    group = [(message, backorder)]
    for other in companions:
        found = uow.backorders.get(other.backorder_id)
        assert found is not None
        group.append((other, found))
    dates = [None if m.date_key == UNKNOWN else _parse(m.date_key) for m, _ in group]
    to_merchant = message.kind == "merchant_decision"
    shipping = {} if to_merchant else notes.ships_by_dates(message.shop_id, [b.sku or "" for _, b in group])
    said = notify_email.date_words(language)
    items = [_item(b, day, language, said, to_merchant=to_merchant,
                   ships_by=day is not None and shipping.get(b.sku or "") == day)
             for (_, b), day in zip(group, dates, strict=True)]
    when = None if None in dates else max(d for d in dates if d is not None)  # every line in by then
    ships_by = when is not None and all(item["ships_by"] for item in items)
    told = [b.promised_date for _, b in group if b.promised_date is not None]
    grouped_ids = {b.id for _, b in group}
    context: dict[str, Any] = {
        "order_name": order.name, "shop_name": shop.sender_name or shop_row.domain, "items": items,
        "shop_domain": shop_row.domain,
        "support_email": shop.support_email, "date_text": notify_email.long_date(when, language),
        "ships_by": ships_by, "date_phrase": notify_email.date_phrase(when, ships_by, language),
        "dates_differ": len({item["date_text"] for item in items}) > 1, "has_rest": _has_rest(order),
        "previous_text": notify_email.long_date(backorder.promised_date if not companions else
                                                (max(told) if told else None), language),
        "code": None, "code_text": "",
        "code_ends": "", "customer_email": order.customer_email or "", "reason_text": message.outcome or "",
    }
    if message.kind != "merchant_decision":  # the shop's voice (issue 18): layout, greeting, order's page
        context.update(notify_brand.message_context(shop_row, shop, order))
    code = notes.code_of_order(order.id, "created")
    shown_before = code is not None and message.id is not None and notes.code_shown_elsewhere(
        order.id, code.code, message.id)
    if code is not None and code.backorder_id in grouped_ids and message.kind in ("apology", "delay_notice") \
            and not shown_before:
        context["code"] = code.code
        context["code_text"] = (words["percent_off"].format(amount=float(code.amount or 0))
                                if code.kind == "percentage" else words["free_shipping"])
        ends = code.created_at.date() + timedelta(days=shop.consolation_valid_days)
        context["code_ends"] = notify_email.long_date(ends, language)
    if message.decision_id is not None:
        decision = notes.decision(message.decision_id)
        assert decision is not None
        context.update(_decision_context(links, shop, decision, language, words))
        context["uncharged"] = uncharged(order.financial_status)
        state = notes.state_of(backorder.id)
        context["promise_text"] = notify_email.long_date(state.shipping_promise if state else None, language)
        if message.kind == "cancelled":
            context["reason_text"] = (words["asked"] if decision.answer == "cancel" else
                                      words["silent"].format(deadline=notify_email.long_date(decision.deadline,
                                                                                             language)))
    return context, language


def _item(backorder: Any, day: date | None, language: str, said: dict[str, str], *, to_merchant: bool,
          ships_by: bool) -> dict[str, Any]:
    """One line as a message lists it: ``text`` ("2 × Darjeeling 100 g", "1 item" without a title),
    ``date_phrase`` ("ships by ..." or "expected in stock on ..."); ``title`` falls back to the SKU only in
    a message to the merchant."""
    title = (backorder.line.title or "").strip()
    quantity = backorder.quantity_backordered
    text = said["line"].format(quantity=quantity, title=title) if title else \
        f"{quantity} {said['item'] if quantity == 1 else said['items']}"
    return {"title": title or (backorder.line.sku if to_merchant else None) or said["item"],
            "sku": backorder.line.sku, "quantity": quantity, "text": text,
            "date_text": notify_email.long_date(day, language), "ships_by": ships_by,
            "date_phrase": notify_email.date_phrase(day, ships_by, language)}


def _has_rest(order: Any) -> bool:
    """Whether some of the order does not wait: a line (or part of one) without a waiting backorder."""
    for line in order.lines:
        backorder = line.backorder
        waiting = backorder.quantity_backordered if backorder is not None and backorder.status in WAITING else 0
        if line.quantity > waiting:
            return True
    return False


def _text_part(email: Any) -> str | None:
    body = email.get_body(("plain",))
    return str(body.get_content()) if body is not None else None


def _decision_context(links: Any, shop: ShopNotifySettings, decision: DelayDecision, language: str = "en",
                      words: dict[str, str] | None = None) -> dict[str, Any]:
    words = words or {**WORDS["en"], **CANCEL_TAILS}
    return {
        "consent_required": decision.consent_required,
        "deadline_text": notify_email.long_date(decision.deadline, language),
        "deadline_day": languages.long_date(decision.deadline, language, year=False),
        "cancel_on_silence": shop.delay_policy == DelayPolicy.CANCEL_AND_REFUND,
        "refund_owed": decision.outcome == "cancelled_refund_owed",
        "not_charged": decision.outcome == "cancelled_not_charged",
        "cancel_tail": words.get(decision.outcome or "", words["and_refunded"]),
        "cancel_failed": decision.outcome == "cancel_failed",
        "customer_cancelled": decision.answer == "cancel",
        "failure_text": decision.outcome_error or "",
        "decision_subject": ("the store did not carry out a cancellation" if decision.outcome == "cancel_failed"
                             else "delay notice unanswered"),
        "cancel_url": links.url(decision.nonce, decision.deadline, "cancel"),
        "wait_url": links.url(decision.nonce, decision.deadline, "wait"),
    }


def _parse(key: str) -> date:
    return date.fromisoformat(key)
