"""Rendering emails from the Jinja2 templates in connector/templates/email (HTML and text).

HTML is autoescaped; dates are always written out ("Tuesday 15 December 2026"), never "soon".
Each message is written in a language (connector/notify/languages.py): the shipped templates of a
language live in ``email/<language>/`` (English at the top), and a kind without templates in that
language falls back to English. A shop's own wording of a kind (``Custom``, from message_templates,
checked when saved: connector/notify/templates.py) replaces the subject and the text part; its HTML
part is that text, escaped, in paragraphs inside the same layout (``_override.html`` extends the
language's ``_base.html``), so a new layout reaches overridden messages too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from connector.notify import sandbox
from connector.notify.languages import DEFAULT, LANGUAGES
from connector.notify.languages import long_date as written_date

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "email"

SUBJECTS = {
    "capture_notice": "Order {order_name}: {date_phrase}",
    "apology": "Order {order_name}: sorry, a new date: {date_phrase}",
    "delay_notice": "Your order {order_name} is delayed, no action needed",
    "delay_notice/consent": "Action needed by {deadline_day}: your order {order_name}",
    "wait_confirmed": "Thank you for waiting: your order {order_name}",
    "cancelled": "Order {order_name}: items cancelled{cancel_tail}",
    "merchant_decision": "Decision needed: order {order_name}, {decision_subject}",
    "pileup_alert": "Backorders piling up: {product}, {figure_text}",
    "dropship_alert": "Drop-ship needs your attention: {title}",
    "purchase_order_alert": "{headline}",
}
"""English subjects (str.format fields from the context); features add their kinds' with setdefault.
A key ``<kind>/<flag>`` is that kind's subject when the context's ``flag`` is true (SUBJECT_CASES)."""

SUBJECT_CASES: dict[str, str] = {"delay_notice": "consent"}
"""Kinds whose subject depends on the case: kind -> the flag suffix of its other subject. The delay notice
says "Action needed by <day>" only when the customer must answer (``consent_required``), else that nothing
is needed."""
CASE_FLAGS: dict[str, str] = {"consent": "consent_required"}
"""The context flag that picks a ``<kind>/<case>`` subject."""

LOCALIZED_SUBJECTS: dict[str, dict[str, str]] = {
    "nl": {
        "capture_notice": "Bestelling {order_name}: {date_phrase}",
        "apology": "Bestelling {order_name}: sorry, een nieuwe datum: {date_phrase}",
        "delay_notice": "Je bestelling {order_name} is vertraagd, je hoeft niets te doen",
        "delay_notice/consent": "Actie nodig, uiterlijk {deadline_day}: je bestelling {order_name}",
        "wait_confirmed": "Bedankt voor je geduld: je bestelling {order_name}",
        "cancelled": "Bestelling {order_name}: artikelen geannuleerd{cancel_tail}",
    },
}
"""Subjects of the kinds shipped in another language; a kind missing here is sent in English."""

DOING: dict[str, dict[str, str]] = {
    "en": {
        "capture_notice": "We keep an eye on the delivery and will write to you again if the date changes.",
        "apology": "We are following your items closely and will write to you again if the date changes.",
        "delay_notice": "We are doing what we can to get these items to you sooner and will write to you again "
                        "as soon as we know more.",
        "wait_confirmed": "We ship them the day they are ready and will write to you again if the date changes.",
        "cancelled": "If you would still like these items, you are welcome to order them again once they are "
                     "back in stock.",
    },
    "nl": {
        "capture_notice": "We houden de levering in de gaten en laten het je weten als de datum verandert.",
        "apology": "We volgen je artikelen op de voet en laten het je weten als de datum weer verandert.",
        "delay_notice": "We doen wat we kunnen om deze artikelen sneller bij je te krijgen en laten het je weten "
                        "zodra we meer weten.",
        "wait_confirmed": "We versturen ze op de dag dat ze klaar zijn en laten het je weten als de datum "
                          "verandert.",
        "cancelled": "Wil je deze artikelen toch nog hebben? Je kunt ze opnieuw bestellen zodra ze weer op "
                     "voorraad zijn.",
    },
}
"""The shipped "what we are doing about it" paragraph per language and kind (``doing_text``); a shop
replaces it per kind and language. Kinds without one (merchant alerts) have none unless the shop writes one."""


DATE_WORDS: dict[str, dict[str, str]] = {
    "en": {"ships_by": "ships by {date}", "in_stock": "expected in stock on {date}", "line": "{quantity} × {title}",
           "item": "item", "items": "items"},
    "nl": {"ships_by": "verzonden uiterlijk {date}", "in_stock": "verwacht op voorraad op {date}",
           "line": "{quantity} × {title}", "item": "artikel", "items": "artikelen"},
}
"""How a customer message names a date and an item (issue 18): "ships by <date>" (the storefront's own
term; Dutch "verzonden uiterlijk", as the delay notice says it) where the date counts the supplier's handling and
transit days, else "expected in stock on <date>", which promises no shipping day; an item by its product
title, "1 item" / "2 items" when the store gave none. Never the SKU: that is for the merchant."""


MERCHANT_SETTINGS: dict[str, str] = {
    "merchant_decision": "notify.support_email (who is asked), notify.delay_policy (what happens without an answer)",
    "pileup_alert": "alerts.email, alerts.slack_webhook_url (who gets these alerts), alerts.thresholds (when)",
    "dropship_alert": "alerts.email, alerts.slack_webhook_url (who gets these alerts)",
    "purchase_order_alert": "alerts.email, alerts.slack_webhook_url (who gets these alerts)",
    "supplier_feed_alert": "alerts.email, alerts.slack_webhook_url (who gets these alerts)",
}
"""The e-mails to the merchant, with the settings that decide who gets them and when: their footer
(``_merchant_footer.html`` / ``.txt``) names the shop and where to change these, instead of a customer's
order line."""


def date_words(language: str) -> dict[str, str]:
    """DATE_WORDS in ``language`` (English for what it lacks)."""
    return {**DATE_WORDS[DEFAULT], **DATE_WORDS.get(language, {})}


def date_phrase(day: date | None, ships_by: bool, language: str = DEFAULT) -> str:
    """"ships by Friday 15 January 2027" when ``ships_by``, else "expected in stock on ..."; "" for no date."""
    if day is None:
        return ""
    return date_words(language)["ships_by" if ships_by else "in_stock"].format(date=long_date(day, language))


@dataclass(frozen=True)
class Custom:
    """A shop's own wording of one message kind in one language: Jinja sources, checked when saved."""

    subject: str
    body: str
    doing: str = ""


LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
"""Control characters, CR/LF among them, and Unicode line separators: never allowed in a header."""

MAX_HEADER_TEXT = 200
"""A subject or display name is cut to this many characters."""


class UnsafeAddress(ValueError):
    """An e-mail address with a line break or a space in it: it could inject a header, so nothing is sent."""


def header_text(value: str) -> str:
    """A header value safe to send: every run of control characters (CR, LF, tab, NUL...) becomes one
    space, so text from a store (an order name like ``#1001\r\nBcc: x@evil``) cannot start a header."""
    return LINE_BREAKS.sub(" ", value).strip()[:MAX_HEADER_TEXT]


def header_address(value: str) -> str:
    """An address for From/To/Reply-To. One carrying a line break or a space is refused (UnsafeAddress)
    rather than rewritten: any rewrite could still name a recipient the store never gave."""
    address = value.strip()
    if LINE_BREAKS.search(address) or " " in address:
        raise UnsafeAddress(f"unsafe e-mail address {address[:60]!r}: contains a line break or a space")
    return address


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)


def long_date(value: date | None, language: str = DEFAULT) -> str:
    """A specific date in words: 'Tuesday 15 December 2026' ('dinsdag 15 december 2026' in Dutch)."""
    return written_date(value, language)


def shipped(kind: str, language: str) -> str:
    """The language a kind's shipped templates exist in: ``language``, else English."""
    if language != DEFAULT and language in LANGUAGES and (TEMPLATES / language / f"{kind}.txt").is_file():
        return language
    return DEFAULT


def template_name(kind: str, language: str, ext: str) -> str:
    return f"{kind}.{ext}" if language == DEFAULT else f"{language}/{kind}.{ext}"


def subject_format(kind: str, language: str, case: str | None = None) -> str:
    """The shipped subject of a kind (str.format fields) in ``language``, else in English; ``case``: the
    kind's other subject (SUBJECT_CASES), e.g. the delay notice's "consent"."""
    key = f"{kind}/{case}" if case else kind
    return LOCALIZED_SUBJECTS.get(language, {}).get(key) or SUBJECTS[key]


def subject_case(kind: str, context: dict[str, Any]) -> str | None:
    """The case of a kind's subject this message is in (SUBJECT_CASES), or None: the kind's subject."""
    case = SUBJECT_CASES.get(kind)
    return case if case is not None and context.get(CASE_FLAGS[case]) else None


def default_doing(kind: str, language: str) -> str:
    return DOING.get(language, {}).get(kind) or (DOING[DEFAULT].get(kind, "") if language != DEFAULT else "")


LINK = re.compile(r"https?://[^\s<>\"']+")


def paragraphs(text: str) -> list[Markup]:
    """A text part as HTML paragraphs: all of it escaped, single line breaks kept, web addresses made links."""
    found = []
    for block in re.split(r"\n\s*\n", text.strip()):
        safe = str(escape(block.strip("\n")))
        safe = LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', safe)
        found.append(Markup(safe.replace("\n", "<br>\n")))
    return [p for p in found if p]


def render(kind: str, context: dict[str, Any], *, language: str = DEFAULT,
           custom: Custom | None = None) -> tuple[str, str, str]:
    """(subject, text, html) for one message kind in ``language``, in the shop's own wording when given.

    A custom wording that fails on this message's data (it was checked on sample data when saved) is
    logged and the shipped wording is sent instead: the customer is told either way."""
    if custom is not None:
        try:
            return render_custom(kind, context, language, custom)
        except Exception as exc:  # noqa: BLE001 - any template error: fall back, never lose the message
            log.warning("custom message template failed; shipped wording used",
                        extra={"kind": kind, "language": language, "error": f"{type(exc).__name__}: {exc}"})
    env = environment()
    language = shipped(kind, language)
    doing = default_doing(kind, language)
    full: dict[str, Any] = {**context, "doing_text": sandbox.render(doing, context).strip() if doing else "",
                            **_merchant(kind)}
    subject = subject_format(kind, language, subject_case(kind, full)).format(**full)
    full["subject"] = subject
    text = env.get_template(template_name(kind, language, "txt")).render(full) + footer_text(full, language)
    html = env.get_template(template_name(kind, language, "html")).render(full)
    return subject, text, html


def _merchant(kind: str) -> dict[str, Any]:
    """What the layout's merchant footer needs: ``to_merchant`` and ``merchant_settings`` (MERCHANT_SETTINGS)."""
    return {"to_merchant": kind in MERCHANT_SETTINGS, "merchant_settings": MERCHANT_SETTINGS.get(kind, "")}


def footer_text(context: dict[str, Any], language: str) -> str:
    """The end of a text part, matching the layout's footer: for a customer (``brand``) the order's page
    in the store and the store's address (``_footer.txt``); for the merchant (``to_merchant``) the shop
    and where to change who gets it (``_merchant_footer.txt``); else nothing."""
    if context.get("brand"):
        name = "_footer.txt"
    elif context.get("to_merchant"):
        name = "_merchant_footer.txt"
    else:
        return ""
    return "\n" + environment().get_template(name).render({**context, "lang": language}).rstrip()


def render_custom(kind: str, context: dict[str, Any], language: str, custom: Custom) -> tuple[str, str, str]:
    full: dict[str, Any] = {**context, "doing_text": sandbox.render(custom.doing, context).strip()
                            if custom.doing.strip() else "", **_merchant(kind)}
    subject = " ".join(sandbox.render(custom.subject, full).split())
    full["subject"] = subject
    body = sandbox.render(custom.body, full)
    text = body + footer_text(full, language)
    layout = f"{language}/_base.html" if language != DEFAULT and (TEMPLATES / language / "_base.html").is_file() \
        else "_base.html"
    html = environment().get_template("_override.html").render(
        {**full, "base": layout, "paragraphs": paragraphs(body)})
    return subject, text, html


def build(kind: str, context: dict[str, Any], *, sender_name: str, sender_email: str, recipient: str,
          reply_to: str | None, message_key: str, language: str = DEFAULT,
          custom: Custom | None = None) -> EmailMessage:
    """A multipart/alternative email with a Message-ID that names the message row (replays keep it).

    Every header value passes through ``header_text`` / ``header_address`` here, the one place the
    connector's e-mails are built: store text in a subject or display name cannot add a header."""
    subject, text, html = render(kind, context, language=language, custom=custom)
    sender_email = header_address(sender_email)
    sender_name = header_text(sender_name)
    message = EmailMessage()
    message["Subject"] = header_text(subject)
    message["From"] = formataddr((sender_name, sender_email)) if sender_name else sender_email
    message["To"] = header_address(recipient)
    if reply_to:
        message["Reply-To"] = header_address(reply_to)
    domain = sender_email.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=message_key, domain=domain)
    message["X-Backorder-Message"] = message_key
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
