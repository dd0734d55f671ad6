"""What the delay notice's link pages show (issue 18 item 3): the choice the e-mail offered, made obvious.

GET /orders/<token>/<wait|cancel> shows both choices with the items, the ships-by date and, when the
customer must answer, the deadline; POST records one and confirms it: a cancellation with the refund
in the order's currency (the order line's price for the items; "you were not charged" when the payment
was only reserved), keeping waiting with the ships-by date and that the order page can still cancel.
In the customer's language (connector/customer/copy.py), in the shop's brand (connector/notify/brand.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from connector.customer import copy
from connector.db.uow import UnitOfWork
from connector.domain.notify import DelayPolicy
from connector.notify import brand as notify_brand
from connector.notify import settings as notify_settings
from connector.notify.delay_flow import LinkView
from connector.notify.links import LinkSigner, customer_page_url


@dataclass(frozen=True)
class ChoicePage:
    """One link page: its words (``t``), the shop's brand and the decision's facts, written out."""

    lang: str
    t: dict[str, str]
    brand: dict[str, str]
    order_name: str
    items: list[dict[str, Any]]
    late: str
    """The sentence above the items: not by the promised date."""
    ships_by: str
    """The ships-by date written out, or "not known yet"."""
    shipping_known: bool
    consent_required: bool
    deadline: str
    silence: str
    """What happens without an answer (consent notices only)."""
    uncharged: bool
    refund: str
    """The refund with its currency ("EUR 32.00"), or "" when the store gave no price or nothing was charged."""
    cancel_label: str
    page_url: str
    """The order page (cancel later, other choices); "" when no public address is set up."""
    status_url: str = ""
    """The order's page in the store, for the footer ("" when the store gave none)."""


def money(amount: Decimal, currency: str, lang: str) -> str:
    """An amount with its ISO currency code, in the language's digits: "EUR 1,032.50", "EUR 1.032,50"."""
    return f"{currency} {format_decimal(amount, format='#,##0.00', locale=lang)}"


def page(uow: UnitOfWork, links: LinkSigner, found: LinkView, today: date) -> ChoicePage:
    """The link page of a delay decision (``found``: delay_flow.view or answer)."""
    shop = notify_settings.load(uow, found.shop_id)
    voice = notify_brand.load(uow, found.shop_id)
    status_url = ""
    if found.order_id:
        with uow:
            order = uow.orders.by_id(found.order_id)
            status_url = (order.status_url or "") if order is not None and order.shop_id == found.shop_id else ""
    lang = copy.language(found.locale, shop.customer_language)
    t = copy.words(lang)
    when = copy.long_date(found.notified_date, lang)
    refund = money(found.refund, found.currency, lang) \
        if found.refund is not None and found.currency and not found.uncharged else ""
    if shop.delay_policy != DelayPolicy.CANCEL_AND_REFUND:
        silence = t["l_silence_ask"]
    else:
        silence = t["l_silence_cancel_uncharged" if found.uncharged else "l_silence_cancel"]
    return ChoicePage(
        lang=lang, t=t, brand=voice.as_context(), order_name=found.order_name,
        items=[{"title": item["title"] or t["l_item"], "quantity": item["quantity"]} for item in found.items],
        late=t["l_late"].format(promise=copy.long_date(found.promised, lang)) if found.promised
        else t["l_late_undated"],
        ships_by=when or t["unknown"], shipping_known=bool(when), consent_required=found.consent_required,
        deadline=t["l_deadline"].format(date=copy.long_date(found.deadline, lang)) if found.deadline else "",
        silence=silence, uncharged=found.uncharged, refund=refund,
        cancel_label=t["cancel_uncharged" if found.uncharged else "cancel_refund"],
        page_url=customer_page_url(links, found.shop_id, found.order_id, today) if found.order_id else "",
        status_url=status_url)
