"""Previewing a message kind on one of the shop's real backorders, in a language, in the shipped wording
or in a wording being edited, without sending or storing anything.

The context is what delivery would build for a message of that kind about that backorder
(connector/notify/delivery.py ``message_context``: its order, items, dates written out, code and
latest delay decision); what the backorder has no data for (a delay notice's deadline when no notice
was sent yet) comes from the kind's sample. Links in a preview lead nowhere (PREVIEW_LINK).
Merchant alerts (pile-up, drop-ship, purchase order) are not about one backorder: they preview on
their sample with the shop's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from connector.db.uow import UnitOfWork
from connector.domain.notify import UNKNOWN
from connector.notify import email as notify_email
from connector.notify import settings as notify_settings
from connector.notify import templates
from connector.notify.delivery import message_context
from connector.notify.models import Message
from connector.notify.repository import NotifyRepository

PREVIEW_LINK = "https://preview.invalid/{answer}"
"""Where a preview's cancel and wait links point: nowhere (the .invalid top-level domain)."""
BACKORDER_KINDS = frozenset({"capture_notice", "apology", "delay_notice", "cancelled", "wait_confirmed",
                             "merchant_decision"})


@dataclass(frozen=True)
class Preview:
    subject: str
    text: str
    html: str
    about: str
    """What data it was rendered with: "order #1001, TEA-1 (open)" or "sample data"."""


class _Links:
    def url(self, nonce: str, deadline: date, answer: str) -> str:
        return PREVIEW_LINK.format(answer=answer)


def choices(uow: UnitOfWork, shop_id: int) -> list[tuple[int, str]]:
    """Backorders the merchant can preview on: (id, label), waiting ones first."""
    with uow:
        return [(b, f"Order {name}, {sku or 'no SKU'} ({status})")
                for b, _, name, sku, status in uow.repo(NotifyRepository).preview_backorders(shop_id)]


def preview(uow_factory: Any, shop_id: int, kind: str, language: str, text: notify_email.Custom | None = None,
            backorder_id: int | None = None) -> Preview:
    """Render ``kind`` in ``language`` (the shop's draft ``text`` when given: checked first, TemplateRefused
    names its problems) on ``backorder_id`` (else the shop's newest waiting backorder)."""
    spec = templates.KINDS.get(kind)
    if spec is None or language not in notify_email.LANGUAGES:
        templates.check(kind, language, text or notify_email.Custom("x", "x"))  # raises, naming the problem
        raise AssertionError("unreachable")
    if text is not None:
        templates.check(kind, language, text)
    shop = notify_settings.load(uow_factory(), shop_id)
    context = templates.sample(spec, language)
    about = "sample data"
    uow = uow_factory()
    with uow:
        shop_row = uow.shops.get(shop_id)
        assert shop_row is not None
        context["shop_name"] = shop.sender_name or shop_row.domain
        if context.get("support_email"):  # the shop's own address, or none: never the sample's
            context["support_email"] = shop.support_email
        notes = uow.repo(NotifyRepository)
        candidates = {b: (o, name, sku, status) for b, o, name, sku, status in notes.preview_backorders(shop_id)}
        if kind in BACKORDER_KINDS and candidates:
            chosen = backorder_id if backorder_id in candidates else next(iter(candidates))
            order_id, name, sku, status = candidates[chosen]
            backorder = uow.backorders.get(chosen)
            assert backorder is not None
            decision = notes.latest_decision(chosen)
            key = backorder.expected_date.isoformat() if backorder.expected_date else UNKNOWN
            draft = Message(shop_id=shop_id, backorder_id=chosen, order_id=order_id, kind=kind, date_key=key,
                            decision_id=decision.id if decision is not None else None, outcome="")
            real, _ = message_context(uow, shop, draft, links=_Links(), language=language)
            context.update({k: v for k, v in real.items()
                            if v not in (None, "") or k not in context
                            or k in ("support_email", "status_url", "customer_first_name")})
            about = f"order {name}, {sku or 'no SKU'} ({status})"
    if text is None:
        subject, body, html = notify_email.render(kind, context, language=language)
    else:
        subject, body, html = notify_email.render_custom(kind, context, language, text)
    return Preview(subject=notify_email.header_text(subject), text=body, html=html, about=about)
