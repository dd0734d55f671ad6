"""What a customer sees when a link from an e-mail cannot be used (issue 18): plain sentences in the
customer's language, the date written out, what to do next and how to reach the shop.

A refused link is one of: expired (genuine, past its date), already answered, no longer waiting, replaced
by a newer notice, or not a link we made (cut short, changed, unknown). Only a genuine link names its
order and shop (``LinkInvalid.nonce`` / ``shop_id``+``order_id``, set after the signature checked out), so
only then does the page name the order and the shop's support address and speak the order's language;
a forged or damaged link gets the browser's language and no shop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.customer import copy
from connector.db.uow import UnitOfWork
from connector.domain.errors import LinkInvalid
from connector.notify import brand as notify_brand
from connector.notify import settings as notify_settings
from connector.notify.repository import NotifyRepository

STATUS = {"expired": 410, "malformed": 400, "bad_signature": 400, "invalid": 400, "unknown": 404, "used": 409,
          "not_waiting": 409, "replaced": 409}


@dataclass(frozen=True)
class Refusal:
    status: int
    lang: str
    title: str
    paragraphs: list[str]
    order_name: str = ""
    shop_name: str = ""
    support_email: str = ""
    contact: str = ""
    """The sentence saying how to reach the shop."""
    brand: dict[str, str] = field(default_factory=dict)
    """The shop's brand for the page's frame; empty for a link that names no shop we can trust."""
    status_url: str = ""
    """The order's page in the store ("" when unknown)."""


@dataclass(frozen=True)
class _Known:
    order_name: str
    shop_name: str
    support_email: str
    lang: str
    brand: dict[str, str]
    status_url: str


def _known(uow: UnitOfWork, exc: LinkInvalid) -> _Known | None:
    """The order and shop a genuine link names (None for a forged or unknown one)."""
    if exc.nonce is None and (exc.shop_id is None or exc.order_id is None):
        return None
    with uow:
        if exc.nonce is not None:
            decision = uow.repo(NotifyRepository).decision_by_nonce(exc.nonce)
            backorder = uow.backorders.get(decision.backorder_id) if decision is not None else None
            order = backorder.line.order if backorder is not None else None
        else:
            order = uow.orders.by_id(exc.order_id) if exc.order_id is not None else None
            if order is not None and order.shop_id != exc.shop_id:
                order = None
        if order is None:
            return None
        shop_id, order_name, locale = order.shop_id, order.name, getattr(order, "locale", None)
        status_url = order.status_url or ""
    try:
        voice = notify_brand.load(uow, shop_id)
    except LookupError:  # the shop is gone: its order cannot be named either
        return None
    shop = notify_settings.load(uow, shop_id)
    lang = copy.language(locale, shop.customer_language)
    return _Known(order_name, voice.shop_name, voice.support_email, lang, voice.as_context(), status_url)


def refusal(uow: UnitOfWork, exc: LinkInvalid, browser_lang: str | None) -> Refusal:
    """The page for a refused link: its status code, title, sentences and the shop's contact."""
    known = _known(uow, exc)
    lang = known.lang if known is not None else copy.language(browser_lang, None)
    t = copy.words(lang)
    reason = exc.reason if exc.reason in STATUS else "invalid"
    if reason in ("malformed", "bad_signature", "unknown"):
        reason = "invalid"
    order = known.order_name if known is not None else ""
    latest = t["r_latest_order"].format(order=order) if order else t["r_latest"]
    paragraphs: list[str]
    if reason == "expired":
        paragraphs = [t["r_expired"].format(date=copy.long_date(exc.expired_on, lang)) if exc.expired_on
                      else t["r_expired_undated"], latest]
    elif reason == "used":
        paragraphs = [_answered(t, exc.answer), t["r_used_next"]]
    elif reason == "not_waiting":
        paragraphs = [t["r_not_waiting"], latest]
    elif reason == "replaced":
        paragraphs = [t["r_replaced"], latest]
    else:
        paragraphs = [t["r_invalid"], t["r_invalid_next"]]
    if known is not None and known.support_email:
        contact = t["r_contact"].format(shop=known.shop_name)
    elif known is not None:
        contact = t["r_contact_reply"].format(shop=known.shop_name)
    else:
        contact = t["r_contact_unknown"]
    return Refusal(STATUS[exc.reason] if exc.reason in STATUS else 400, lang, t["r_title_" + reason], paragraphs,
                   order, known.shop_name if known else "", known.support_email if known else "", contact,
                   brand=known.brand if known else {}, status_url=known.status_url if known else "")


def _answered(t: dict[str, str], answer: str | None) -> str:
    return {"wait": t["r_used_wait"], "kept": t["r_used_wait"], "cancel": t["r_used_cancel"],
            "cancelling": t["r_used_cancel"], "cancelled": t["r_used_cancelled"]}.get(answer or "", t["r_used"])
