"""Message templates the merchant edits: per message kind and language, the subject, the text body and
the "what we are doing about it" paragraph, stored per shop in message_templates.

Every kind the connector sends is listed in KINDS with the variables its templates may use (shown on
the app's Messages page). A template is checked before it is saved (``check``): it must compile in the
sandbox (connector/notify/sandbox.py), name only its kind's variables (found statically, so a
variable in a branch the sample does not take is caught too) and render on sample data with every
condition true and with every condition false; otherwise ``TemplateRefused`` names each problem and
nothing is saved. Sending uses the shop's template of the message's kind and language when there is
one (``custom``), else the shipped wording (connector/notify/email.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, TemplateError

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import TemplateRefused
from connector.notify import email as notify_email
from connector.notify import sandbox
from connector.notify.languages import DEFAULT, LANGUAGES, long_date
from connector.notify.models import MessageTemplate
from connector.notify.repository import NotifyRepository

CUSTOMER, MERCHANT = "customer", "merchant"
FIELDS = ("subject", "body", "doing")

_ORDER = {"order_name": "the order's name, e.g. #1001", "shop_name": "the shop's name (notify.sender_name)",
          "support_email": "where customers write with questions (may be empty)",
          "items": "the items: each has .text (\"2 × Darjeeling 100 g\", \"1 item\" without a title), .title, "
                   ".quantity and .sku (not for customers' eyes) (use {% for item in items %})",
          "doing_text": "the \"what we are doing about it\" paragraph, rendered"}
_LINES = {"items": "the items: each has .text (\"2 × Darjeeling 100 g\", \"1 item\" without a title), .title, "
                   ".quantity, .sku (not for customers' eyes), .date_text (its own date, written out) and "
                   ".date_phrase (\"ships by <date>\" or \"expected in stock on <date>\"); every line of the "
                   "order told about in this run is listed (use {% for item in items %})",
          "dates_differ": "true when the items have different dates (then date_text is when all are in)",
          "has_rest": "true when some of the order does not wait (lines in stock)",
          "ships_by": "true when the date is the day the items ship (it counts the supplier's handling and "
                      "transit days, as the product page's \"ships by\"); false: the expected in-stock date",
          "date_phrase": "the date as the subject says it: \"ships by <date>\" or \"expected in stock on <date>\""}
_PAGE = {"page_url": "the customer's order page: each waiting item, cancel or keep waiting, how to be told"}
_PAGE.update({"customer_first_name": "the customer's first name as the store gave it (empty when not known)",
              "status_url": "the order's page in the store (empty when not known); the layout's footer links it"})
_CODE = {"code": "a consolation discount code (empty when there is none)", "code_text": "what it gives, e.g. 10% off",
         "code_ends": "the last day it can be used, written out"}
_DECISION = {"promise_text": "the shipping date promised, written out",
             "cancel_url": "link that cancels these items", "wait_url": "link that keeps them waiting",
             "consent_required": "true when the customer must answer by the deadline",
             "deadline_text": "the deadline to answer, written out",
             "deadline_day": "the deadline without the year, for the subject: \"Friday 15 January\"",
             "cancel_on_silence": "true when no answer cancels the items (notify.delay_policy)",
             "uncharged": "true when the payment was only reserved (nothing charged)"}


@dataclass(frozen=True)
class MessageKind:
    """One kind of message the connector sends, for the templates page."""

    kind: str
    label: str
    audience: str
    """customer | merchant"""
    when: str
    variables: Mapping[str, str]
    sample: Mapping[str, Any] = field(default_factory=dict)

    @property
    def flags(self) -> list[str]:
        return [name for name, value in self.sample.items() if isinstance(value, bool)]


def _customer_sample(**extra: Any) -> dict[str, Any]:
    return {"order_name": "#1001", "shop_name": "Tea & Leaf Co.", "support_email": "help@tea.example",
            "items": [{"title": "Darjeeling 100 g", "sku": "TEA-DJ-100", "quantity": 2, "date_text": "",
                       "text": "2 × Darjeeling 100 g", "date_phrase": "", "ships_by": False}],
            "customer_email": "ada@example.com", "date_text": "", "page_url": "https://preview.invalid/order",
            "customer_first_name": "Ada", "status_url": "https://preview.invalid/orders/1001",
            **extra}


KINDS: dict[str, MessageKind] = {k.kind: k for k in (
    MessageKind("capture_notice", "Capture notice: the expected date", CUSTOMER,
                "when an order is captured with items not in stock and their date is far enough away",
                {**_ORDER, **_LINES, **_PAGE, "date_text": "the date, written out (ships_by says which)"},
                _customer_sample(date_text="", date_phrase="", dates_differ=False, has_rest=True, ships_by=True)),
    MessageKind("apology", "New date: apology (with a consolation code when due)", CUSTOMER,
                "when the expected date slips past what the customer was told",
                {**_ORDER, **_LINES, **_PAGE, "date_text": "the new expected date, written out",
                 "previous_text": "the date the customer was told before, written out", **_CODE},
                _customer_sample(previous_text="", code="SORRY-1001", code_text="10% off", code_ends="",
                                 date_phrase="", dates_differ=False, has_rest=True, ships_by=True)),
    MessageKind("delay_notice", "Delay notice with the choice to cancel or wait", CUSTOMER,
                "when the promised shipping date cannot be met (FTC Mail Order Rule)",
                {**_ORDER, **_PAGE, "date_text": "the new expected date, written out (empty when unknown)",
                 **_DECISION,
                 **_CODE},
                _customer_sample(promise_text="", cancel_url="https://preview.invalid/cancel",
                                 wait_url="https://preview.invalid/wait", consent_required=True,
                                 deadline_text="", deadline_day="", cancel_on_silence=True, uncharged=False,
                                 code="SORRY-1001", code_text="10% off", code_ends="")),
    MessageKind("wait_confirmed", "Keep waiting: confirmation", CUSTOMER,
                "when the customer chooses to keep waiting after a delay notice (its link or the order page)",
                {**_ORDER, **_PAGE, "date_text": "the ships-by date, written out (empty when unknown)",
                 "uncharged": "true when the payment was only reserved (nothing charged)"},
                _customer_sample(uncharged=False)),
    MessageKind("cancelled", "Cancellation confirmation", CUSTOMER,
                "when items are cancelled after a delay notice (the customer's choice or no answer)",
                {**_ORDER, **_PAGE, "reason_text": "why, e.g. \"you asked us to\"",
                 "refund_owed": "true when the refund is still to be issued by the shop",
                 "not_charged": "true when nothing was charged", "cancel_tail": "the end of the shipped subject"},
                _customer_sample(reason_text="you asked us to", refund_owed=False, not_charged=False,
                                 cancel_tail=" and refunded")),
    MessageKind("merchant_decision", "Decision needed (to the shop)", MERCHANT,
                "when a delay notice went unanswered or the store refused a cancellation",
                {**_ORDER, "customer_email": "the customer's e-mail", "date_text": "the new expected date",
                 "deadline_text": "the deadline the customer had", "cancel_failed": "true when the store refused",
                 "customer_cancelled": "true when the customer asked to cancel",
                 "failure_text": "what the store said", "decision_subject": "the end of the shipped subject"},
                _customer_sample(deadline_text="", cancel_failed=True, customer_cancelled=True,
                                 failure_text="422 order is archived", decision_subject="delay notice unanswered")),
    MessageKind("pileup_alert", "Pile-up alert (to the shop)", MERCHANT,
                "when a SKU's waiting backorders pass a threshold (alerts.thresholds)",
                {"sku": "the SKU", "shop_name": "the shop's name", "threshold_text": "which threshold",
                 "observed": "the figure now", "limit": "the threshold", "count": "waiting backorders",
                 "units": "units short", "oldest_days": "age of the oldest in days", "value": "value waiting",
                 "order_name": "\"SKU <sku>\"", "support_email": "(empty)", "doing_text": "your paragraph",
                 "shop_domain": "the shop's domain", "title": "the product's title (empty when not known)",
                 "product": "the title and SKU: \"Darjeeling 100 g (SKU TEA-DJ-100)\"",
                 "value_text": "the value waiting with its currency: \"EUR 480.00\"",
                 "figure_text": "the crossed figure in words: \"25 open backorders\"",
                 "figures": "each figure once: .label, .text, .crossed (true for the one over the alert), "
                            ".limit_text (the alert's threshold)"},
                {"sku": "TEA-DJ-100", "shop_name": "Tea & Leaf Co.", "threshold_text": "Open backorders",
                 "observed": "25", "limit": "20", "count": 25, "units": 40, "oldest_days": 12, "value": "480.00",
                 "order_name": "SKU TEA-DJ-100", "support_email": "", "shop_domain": "tea.myshopify.com",
                 "title": "Darjeeling 100 g", "product": "Darjeeling 100 g (SKU TEA-DJ-100)",
                 "value_text": "EUR 480.00", "figure_text": "25 open backorders",
                 "figures": [{"label": "Open backorders", "text": "25 (40 units short)", "crossed": True,
                              "limit_text": "20"},
                             {"label": "Oldest backorder", "text": "12 days", "crossed": False, "limit_text": ""},
                             {"label": "Value waiting", "text": "EUR 480.00", "crossed": False, "limit_text": ""}]}),
    MessageKind("dropship_alert", "Drop-ship alert (to the shop)", MERCHANT,
                "when a supplier refuses or cannot be reached, or the store refuses a fulfillment",
                {"title": "what happened, short", "message": "the details", "headline": "the details' first line",
                 "kind": "the alert's kind", "shop_name": "the shop's name", "shop_domain": "the shop's domain",
                 "order_name": "(\"-\")", "support_email": "(empty)", "doing_text": "your paragraph"},
                {"title": "a supplier refused a drop-ship order", "message": "Acme refused order #1001: no stock",
                 "headline": "Acme refused order #1001: no stock", "kind": "supplier_rejected",
                 "shop_name": "Tea & Leaf Co.", "shop_domain": "tea.myshopify.com", "order_name": "-",
                 "support_email": ""}),
    MessageKind("purchase_order_alert", "Purchase-order alert (to the shop)", MERCHANT,
                "when a purchase order waits for approval, failed, or may not have reached the supplier",
                {"title": "what happened, short", "message": "the details", "headline": "the subject line",
                 "kind": "the alert's kind", "shop_name": "the shop's name", "shop_domain": "the shop's domain",
                 "order_name": "(\"-\")", "support_email": "(empty)", "doing_text": "your paragraph"},
                {"title": "a purchase order waits for your approval",
                 "message": "A purchase order for Acme is waiting for your approval\n\nPurchase order 7: 12 units.",
                 "headline": "A purchase order for Acme is waiting for your approval",
                 "kind": "purchase_order_proposed", "shop_name": "Tea & Leaf Co.",
                 "shop_domain": "tea.myshopify.com", "order_name": "-", "support_email": ""}),
    MessageKind("supplier_feed_alert", "Supplier stock feed not answering (to the shop)", MERCHANT,
                "when a supplier's stock feed keeps failing (once per outage)",
                {"title": "what happened, short", "message": "what the feed did, since when, what you can do",
                 "headline": "the subject line: <supplier> stock feed is not answering", "kind": "the alert's kind",
                 "shop_name": "the shop's name", "shop_domain": "the shop's domain", "order_name": "(\"-\")",
                 "support_email": "(empty)", "doing_text": "your paragraph"},
                {"title": "a supplier's stock feed is not answering", "kind": "supplier_feed_down",
                 "headline": "Acme & Sons stock feed is not answering",
                 "message": "Acme & Sons's stock feed at https://feed.example/stock answered 503 (server error) "
                            "4 times since the last good read at 09:12 UTC on Friday 20 November 2026.",
                 "shop_name": "Tea & Leaf Co.", "shop_domain": "tea.myshopify.com", "order_name": "-",
                 "support_email": ""}),
)}
"""Every message kind the connector sends (connector/notify, drop-ship and purchasing alerts)."""


def sample(kind: MessageKind, language: str, flag: bool | None = None) -> dict[str, Any]:
    """Realistic data for checking a template: dates written out in ``language``; every condition set to
    ``flag`` (None: as the sample has them)."""
    today = utcnow().date()
    dates = {"date_text": today + timedelta(days=21), "previous_text": today + timedelta(days=7),
             "promise_text": today + timedelta(days=14), "deadline_text": today + timedelta(days=7),
             "code_ends": today + timedelta(days=90)}
    found: dict[str, Any] = dict(kind.sample)
    for name, day in dates.items():
        if name in kind.variables:
            found[name] = long_date(day, language)
    if "deadline_day" in kind.variables:
        found["deadline_day"] = long_date(dates["deadline_text"], language, year=False)
    if flag is not None:
        found.update({name: flag for name in kind.flags})
    if "date_phrase" in kind.variables:
        found["date_phrase"] = notify_email.date_phrase(dates["date_text"], bool(found.get("ships_by")), language)
        found["items"] = [{**item, "date_text": found["date_text"], "date_phrase": found["date_phrase"],
                           "ships_by": bool(found.get("ships_by"))} for item in found.get("items", [])]
    return found


@dataclass(frozen=True)
class TemplateView:
    """One kind in one language as the page shows it: the wording in use and whether it is the shop's."""

    kind: MessageKind
    language: str
    text: notify_email.Custom
    customised: bool
    actor: str | None = None
    updated_at: Any = None


def default_text(kind: str, language: str) -> notify_email.Custom:
    """The shipped wording of a kind as editable Jinja sources (English where the language has none)."""
    shipped = notify_email.shipped(kind, language)
    subject = _format_to_jinja(notify_email.subject_format(kind, shipped))
    case = notify_email.SUBJECT_CASES.get(kind)
    if case is not None:  # the kind's subject by case, as one Jinja condition the merchant can edit
        other = _format_to_jinja(notify_email.subject_format(kind, shipped, case))
        subject = f"{{% if {notify_email.CASE_FLAGS[case]} %}}{other}{{% else %}}{subject}{{% endif %}}"
    body = (notify_email.TEMPLATES / notify_email.template_name(kind, shipped, "txt")).read_text(encoding="utf-8")
    return notify_email.Custom(subject=subject, body=body, doing=notify_email.default_doing(kind, shipped))


def _format_to_jinja(text: str) -> str:
    return re.sub(r"\{(\w+)\}", r"{{ \1 }}", text)


def check(kind: str, language: str, text: notify_email.Custom) -> None:
    """Raise TemplateRefused naming every problem of a wording, or return (it may be saved)."""
    spec = _spec(kind)
    if language not in LANGUAGES:
        raise TemplateRefused({"language": f"not a language we ship: {language!r} (one of {', '.join(LANGUAGES)})"})
    problems: dict[str, str] = {}
    sources = {"subject": text.subject, "body": text.body, "doing": text.doing}
    for name, source in sources.items():
        if len(source) > sandbox.MAX_SOURCE[name]:
            problems[name] = f"too long: {len(source)} characters (at most {sandbox.MAX_SOURCE[name]})"
            continue
        if name != "doing" and not source.strip():
            problems[name] = "must not be empty"
            continue
        allowed = set(spec.variables) | ({"subject"} if name == "body" else set())
        if name == "doing":
            allowed.discard("doing_text")
        try:
            unknown = sorted(meta.find_undeclared_variables(sandbox.environment().parse(source)) - allowed)
        except TemplateSyntaxError as exc:
            problems[name] = f"line {exc.lineno}: {exc.message}"
            continue
        if unknown:
            problems[name] = (f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                              f"this message has: {', '.join(sorted(allowed))}")
    if problems:
        raise TemplateRefused(problems)
    for flag in (True, False):
        try:
            subject, _, _ = notify_email.render_custom(kind, sample(spec, language, flag), language, text)
        except SecurityError as exc:
            raise TemplateRefused({_failing_field(spec, language, text, flag): f"not allowed: {exc}"}) from None
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise TemplateRefused({_failing_field(spec, language, text, flag):
                                   f"does not render: {type(exc).__name__}: {exc}"}) from None
        if not subject.strip():
            raise TemplateRefused({"subject": "renders empty"})


def _failing_field(spec: MessageKind, language: str, text: notify_email.Custom, flag: bool) -> str:
    """Which field fails on the sample (the subject, the paragraph or the body)."""
    context = sample(spec, language, flag)
    for name, source in (("doing", text.doing), ("subject", text.subject), ("body", text.body)):
        try:
            sandbox.render(source, {**context, "doing_text": "", "subject": ""})
        except Exception:  # noqa: BLE001 - whichever error it is, this field is the one
            return name
    return "body"


def _spec(kind: str) -> MessageKind:
    spec = KINDS.get(kind)
    if spec is None:
        raise TemplateRefused({"kind": f"no such message kind: {kind!r}"})
    return spec


def custom(uow: UnitOfWork, shop_id: int, kind: str, language: str) -> notify_email.Custom | None:
    """The shop's own wording of a kind in a language, inside an open ``with uow``; None: the shipped one."""
    row = uow.repo(NotifyRepository).message_template(shop_id, kind, language)
    return notify_email.Custom(row.subject, row.body, row.doing or "") if row is not None else None


def view(uow: UnitOfWork, shop_id: int, kind: str, language: str) -> TemplateView:
    spec = _spec(kind)
    with uow:
        row = uow.repo(NotifyRepository).message_template(shop_id, kind, language)
        if row is None:
            return TemplateView(spec, language, default_text(kind, language), False)
        return TemplateView(spec, language, notify_email.Custom(row.subject, row.body, row.doing or ""), True,
                            row.actor, row.updated_at)


def customised(uow: UnitOfWork, shop_id: int) -> set[tuple[str, str]]:
    """(kind, language) pairs the shop has its own wording for."""
    with uow:
        return {(t.kind, t.language) for t in uow.repo(NotifyRepository).message_templates(shop_id)}


def save(uow: UnitOfWork, shop_id: int, kind: str, language: str, text: notify_email.Custom, actor: str) -> None:
    """Check and store the shop's wording (TemplateRefused: nothing stored). Line endings are normalised."""
    text = notify_email.Custom(*(value.replace("\r\n", "\n") for value in (text.subject, text.body, text.doing)))
    check(kind, language, text)
    with uow:
        notes = uow.repo(NotifyRepository)
        row = notes.message_template(shop_id, kind, language)
        if row is None:
            row = notes.add(MessageTemplate(shop_id=shop_id, kind=kind, language=language, subject="", body="",
                                            doing="", actor=actor))
        row.subject, row.body, row.doing, row.actor, row.updated_at = text.subject, text.body, text.doing, actor, \
            utcnow()
        uow.commit()


def reset(uow: UnitOfWork, shop_id: int, kind: str, language: str) -> bool:
    """Go back to the shipped wording; True when the shop had its own."""
    with uow:
        removed = uow.repo(NotifyRepository).remove_message_template(shop_id, kind, language)
        uow.commit()
        return removed


__all__ = ["CUSTOMER", "DEFAULT", "FIELDS", "KINDS", "MERCHANT", "MessageKind", "TemplateView", "check", "custom",
           "customised", "default_text", "reset", "sample", "save", "view"]
