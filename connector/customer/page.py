"""What the customer's page shows: the order's backordered items, each with its state, its current
expected date and its history in the customer's words (never a supplier's name or an internal
reason). Read through each feature's repository; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from connector.customer import copy
from connector.db.models import Backorder, Order
from connector.db.uow import UnitOfWork
from connector.domain.errors import LinkInvalid
from connector.domain.model import BackorderStatus
from connector.domain.preferences import Frequency
from connector.notify import brand as notify_brand
from connector.notify import settings as notify_settings
from connector.notify.delivery import uncharged
from connector.notify.links import LinkSigner, OrderLink, verify_order
from connector.notify.models import DelayDecision
from connector.notify.page_cancel import cancel_asked, is_page_request, open_notice
from connector.notify.page_repository import CustomerPageRepository
from connector.notify.repository import NotifyRepository
from connector.restock.repository import RestockRepository
from connector.shipping.repository import ShippingRepository
from connector.supply.repository import SupplyRepository

CUSTOMER_KINDS = ("capture_notice", "apology", "delay_notice", "cancelled", "wait_confirmed")
"""Message kinds sent to the customer (the others go to the merchant and are never shown here)."""


@dataclass(frozen=True)
class Event:
    at: datetime
    text: str

    @property
    def on(self) -> date:
        return self.at.date()


@dataclass(frozen=True)
class Item:
    backorder_id: int
    title: str
    sku: str | None
    quantity: int
    status: str
    """open | allocated | fulfilled | cancelled | withdrawn | cancelling (asked, not done yet)"""
    expected: date | None
    can_cancel: bool
    notice_open: bool
    """A delay notice waits for the customer's answer (keep waiting or cancel)."""
    history: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class OrderPage:
    shop_id: int
    order_id: int
    order_name: str
    shop_name: str
    support_email: str
    language: str
    uncharged: bool
    frequency: Frequency
    items: list[Item]
    brand: dict[str, str] = field(default_factory=dict)
    """The shop's brand for the page's frame (connector/notify/brand.py ``Brand.as_context``)."""
    status_url: str = ""
    """The order's page in the store ("" when the store gave none)."""

    @property
    def waiting(self) -> list[Item]:
        return [item for item in self.items if item.can_cancel]


def resolve(uow: UnitOfWork, signer: LinkSigner, token: str, today: date) -> OrderLink:
    """The order a page token names. A delay notice's token (the links sent before the page existed)
    opens the page of its order too. Raises LinkInvalid."""
    try:
        return verify_order(signer, token, today)
    except LinkInvalid as exc:
        if str(exc) != "malformed link":
            raise
    signed = signer.verify(token, today)  # an older delay-notice link
    with uow:
        decision = uow.repo(NotifyRepository).decision_by_nonce(signed.nonce)
        backorder = uow.backorders.get(decision.backorder_id) if decision is not None else None
        if decision is None or backorder is None:
            raise LinkInvalid("unknown link", reason="unknown")
        return OrderLink(decision.shop_id, backorder.line.order_id, signed.expires)


def order_of(uow: UnitOfWork, link: OrderLink) -> Order:
    """The link's order, in the open transaction (LinkInvalid when it is gone or of another shop)."""
    order = uow.orders.by_id(link.order_id)
    if order is None or order.shop_id != link.shop_id:
        raise LinkInvalid("unknown order", reason="unknown")
    return order


def backorders_of(order: Order) -> list[Backorder]:
    return [line.backorder for line in order.lines if line.backorder is not None]


def load(uow: UnitOfWork, link: OrderLink) -> OrderPage:
    """The page of the link's order (LinkInvalid when the order is gone)."""
    shop = notify_settings.load(uow, link.shop_id)
    try:
        voice = notify_brand.load(uow, link.shop_id)
    except LookupError:
        raise LinkInvalid("unknown shop", reason="unknown") from None
    with uow:
        order = order_of(uow, link)
        lang = copy.language(getattr(order, "locale", None), shop.customer_language)
        t = copy.words(lang)
        backorders = backorders_of(order)
        ids = [b.id for b in backorders]
        decisions = uow.repo(NotifyRepository).decisions(link.shop_id, ids) if ids else {}
        history = _history(uow, order, backorders, decisions, lang)
        items = []
        for b in backorders:
            mine = decisions.get(b.id, [])
            asked = cancel_asked(mine) and b.status == BackorderStatus.OPEN.value
            items.append(Item(b.id, b.line.title or b.sku or "item", b.sku, b.quantity_backordered,
                              "cancelling" if asked else b.status, b.expected_date,
                              can_cancel=b.status == BackorderStatus.OPEN.value and not asked,
                              notice_open=b.status == BackorderStatus.OPEN.value and open_notice(mine) is not None,
                              history=history.get(b.id, [])))
        frequency = uow.repo(CustomerPageRepository).frequency_for(order.id, order.customer_email)
        return OrderPage(link.shop_id, order.id, order.name, voice.shop_name or t["the_shop"],
                         voice.support_email, lang, uncharged(order.financial_status),
                         frequency or Frequency.EVERY_CHANGE, items, brand=voice.as_context(),
                         status_url=order.status_url or "")


def _history(uow: UnitOfWork, order: Order, backorders: list[Backorder],
             decisions: dict[int, list[DelayDecision]], lang: str) -> dict[int, list[Event]]:
    t = copy.words(lang)
    found: dict[int, list[Event]] = {b.id: [Event(order.ordered_at, t["h_ordered"])] for b in backorders}
    if not backorders:
        return found
    shop_id = order.shop_id
    for b in backorders:
        if b.promised_date is not None:
            found[b.id].append(Event(b.created_at, t["h_first_date"].format(
                date=copy.long_date(b.promised_date, lang))))
    by_sku: dict[str, list[int]] = {}
    for b in backorders:
        if b.sku:
            by_sku.setdefault(b.sku, []).append(b.id)
    since = min(b.created_at for b in backorders)
    for change, _supplier in uow.repo(SupplyRepository).changes_of_skus(shop_id, sorted(by_sku), since):
        if change.restock_date == change.previous_restock_date:
            continue
        text = (t["h_date_moved"].format(date=copy.long_date(change.restock_date, lang))
                if change.restock_date else t["h_date_unknown"])
        for backorder_id in by_sku.get(change.sku, []):
            found[backorder_id].append(Event(change.changed_at, text))
    for message in uow.repo(NotifyRepository).messages_of_order(shop_id, order.id):
        if message.kind in CUSTOMER_KINDS and message.status == "sent" and message.backorder_id in found:
            found[message.backorder_id].append(Event(message.sent_at or message.created_at,
                                                     t["h_told"].format(subject=message.subject or message.kind)))
    for backorder_id, rows in decisions.items():
        for d in rows:
            if not is_page_request(d):
                found[backorder_id].append(Event(d.created_at, t["h_notice"]))
            if d.answer and d.answered_at:
                found[backorder_id].append(Event(d.answered_at,
                                                 t["h_chose_cancel" if d.answer == "cancel" else "h_chose_wait"]))
            if d.outcome == "cancel_failed" and d.outcome_at:
                found[backorder_id].append(Event(d.outcome_at, t["h_cancel_failed"]))
    ids = list(found)
    for a in uow.repo(RestockRepository).allocations_of(shop_id, ids):
        found[a.backorder_id].append(Event(a.created_at, t["h_allocated"].format(quantity=a.quantity)))
    shipping = uow.repo(ShippingRepository)
    for b in backorders:
        for s in shipping.shipments_of(shop_id, b.id):
            found[b.id].append(Event(s.shipped_at, t["h_shipped"].format(quantity=s.quantity)))
        if b.status == BackorderStatus.CANCELLED.value and b.closed_at is not None:
            found[b.id].append(Event(b.closed_at, t["h_cancelled"]))
    return {key: sorted(events, key=lambda e: e.at) for key, events in found.items()}
