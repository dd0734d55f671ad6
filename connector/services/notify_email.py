"""Rendering emails from the Jinja2 templates in connector/templates/email (HTML and text).

HTML is autoescaped; dates are always written out ("Tuesday 15 December 2026"), never "soon".
"""

from __future__ import annotations

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
    """A multipart/alternative email with a Message-ID that names the message row (replays keep it)."""
    subject, text, html = render(kind, context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((sender_name, sender_email)) if sender_name else sender_email
    message["To"] = recipient
    if reply_to:
        message["Reply-To"] = reply_to
    domain = sender_email.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=message_key, domain=domain)
    message["X-Backorder-Message"] = message_key
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
