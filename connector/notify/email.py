"""Rendering emails from the Jinja2 templates in connector/templates/email (HTML and text).

HTML is autoescaped; dates are always written out ("Tuesday 15 December 2026"), never "soon".
"""

from __future__ import annotations

import re
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "email"

SUBJECTS = {
    "capture_notice": "Order {order_name}: expected in stock on {date_text}",
    "apology": "Order {order_name}: sorry, a new date: {date_text}",
    "delay_notice": "Order {order_name}: delayed, please choose: cancel or keep waiting",
    "cancelled": "Order {order_name}: items cancelled{cancel_tail}",
    "merchant_decision": "Decision needed: order {order_name}, {decision_subject}",
    "pileup_alert": "Backorders piling up: {sku} ({threshold_text} {observed})",
}


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


def long_date(value: date | None) -> str:
    """A specific date in words: 'Tuesday 15 December 2026'."""
    return f"{value:%A} {value.day} {value:%B %Y}" if value is not None else ""


def render(kind: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) for one message kind."""
    env = environment()
    subject = SUBJECTS[kind].format(**context)
    full = {**context, "subject": subject}
    text = env.get_template(f"{kind}.txt").render(full)
    html = env.get_template(f"{kind}.html").render(full)
    return subject, text, html


def build(kind: str, context: dict[str, Any], *, sender_name: str, sender_email: str, recipient: str,
          reply_to: str | None, message_key: str) -> EmailMessage:
    """A multipart/alternative email with a Message-ID that names the message row (replays keep it).

    Every header value passes through ``header_text`` / ``header_address`` here, the one place the
    connector's e-mails are built: store text in a subject or display name cannot add a header."""
    subject, text, html = render(kind, context)
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
