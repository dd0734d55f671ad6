"""The notify feature's storage: every query of messages, delay decisions, discount codes and pile-up
alerts, scoped to one shop or one row, over the unit of work's open session.

Reached with ``uow.repo(NotifyRepository)``; the services in connector/notify never touch the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, TypeVar

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from connector.db.models import Backorder, Order, OrderLine
from connector.db.repositories import Repository, in_chunks
from connector.domain.clock import utcnow
from connector.domain.errors import StorageUnavailable
from connector.domain.model import BackorderStatus
from connector.notify.models import (
    DelayDecision,
    DiscountCode,
    Message,
    MessageTemplate,
    NotifyState,
    PileupAlert,
)
from connector.supply.models import SkuEta, StoreSku, Supplier

SHIPS_BY_SOURCES = ("supplier_stock", "supplier_restock", "lead_time")
"""Date sources (connector/domain/eta.py EtaSource) that add the supplier's handling and transit days."""

Row = TypeVar("Row", NotifyState, DelayDecision, DiscountCode, Message, PileupAlert, MessageTemplate)


class OpenBackorderFacts(NamedTuple):
    """What deciding about one open backorder reads of it, its line and its order (columns, not entities)."""

    backorder_id: int
    order_id: int
    ordered_at: datetime
    expected: date | None
    promised: date | None
    line_promised_on: date | None
    order_promised_on: date | None


class StateFacts(NamedTuple):
    """What deciding reads of a backorder's notify state (columns; the entity is loaded to change it)."""

    shipping_promise: date
    checkout_stated: bool
    initial_decided: bool
    last_told: date | None


class WaitingBackorder(NamedTuple):
    """What a pile-up reads of one waiting backorder, its line and its order (columns, not entities)."""

    sku: str
    """The backorder's SKU, else its stock key, else "?" (the pile it counts in)."""
    quantity: int
    created_at: datetime
    unit_price: Decimal | None
    title: str | None
    currency: str | None


class NotifyRepository(Repository):

    def add(self, row: Row) -> Row:
        """Add a row of this feature; ``flush`` gives it its id at once."""
        self.session.add(row)
        return row

    def flush(self) -> None:
        self.session.flush()

    def waiting_backorders(self, shop_id: int) -> list[WaitingBackorder]:
        """The shop's waiting (open or allocated) backorders with their line's price and title and their order's
        currency, oldest first, as columns: a pile-up check reads every one of them, a scheduled run a shop."""
        waiting = (BackorderStatus.OPEN.value, BackorderStatus.ALLOCATED.value)
        return [WaitingBackorder(sku or key or "?", quantity, created_at, price, title, currency)
                for sku, key, quantity, created_at, price, title, currency in self.session.execute(
                    select(Backorder.sku, Backorder.stock_key, Backorder.quantity_backordered, Backorder.created_at,
                           OrderLine.unit_price, OrderLine.title, Order.currency)
                    .outerjoin(OrderLine, OrderLine.id == Backorder.order_line_id)
                    .outerjoin(Order, Order.id == OrderLine.order_id)
                    .where(Backorder.shop_id == shop_id, Backorder.status.in_(waiting))
                    .order_by(Backorder.created_at, Backorder.id))]

    def store_prices(self, shop_id: int) -> dict[str, float]:
        """The store's price of each SKU that has one (the value of a pile-up)."""
        return {sku: float(price) for sku, price in self.session.execute(
            select(StoreSku.sku, StoreSku.price).where(StoreSku.shop_id == shop_id)) if price is not None}

    def ships_by_dates(self, shop_id: int, skus: Sequence[str]) -> dict[str, date]:
        """SKU -> its current date where that date counts the supplier's handling and transit days (a
        supplier's stock, restock date or lead time, from a supplier with handling or transit days set):
        the date the items ship by, as the storefront shows it (connector/supply/dates.py). SKUs dated
        otherwise (a purchase order's expected date, no handling or transit days known) are left out."""
        wanted = sorted({sku for sku in skus if sku})
        if not wanted:
            return {}
        rows = self.session.execute(
            select(SkuEta.sku, SkuEta.expected_date).join(Supplier, Supplier.id == SkuEta.supplier_id)
            .where(SkuEta.shop_id == shop_id, SkuEta.sku.in_(wanted), SkuEta.expected_date.is_not(None),
                   SkuEta.source.in_(SHIPS_BY_SOURCES), Supplier.handling_days + Supplier.transit_days > 0))
        return {sku: day for sku, day in rows if day is not None}

    # notify state and delay decisions

    def open_backorder_facts(self, shop_id: int) -> list[OpenBackorderFacts]:
        """The shop's open backorders, oldest first, with what the rules decide on (one query of columns)."""
        return [OpenBackorderFacts(*row) for row in self.session.execute(
            select(Backorder.id, Order.id, Order.ordered_at, Backorder.expected_date, Backorder.promised_date,
                   OrderLine.promised_on, Order.promised_delivery_on)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id).join(Order, Order.id == OrderLine.order_id)
            .where(Backorder.shop_id == shop_id, Backorder.status == "open")
            .order_by(Backorder.created_at, Backorder.id))]

    def open_states(self, shop_id: int) -> dict[int, StateFacts]:
        """The notify state of each of the shop's open backorders, by backorder id, as columns (joined, not an
        ``IN`` list of every open backorder: with thousands waiting that list costs more than the rows). An
        evaluation reads them all and changes few: ``states`` loads those it changes."""
        return {backorder_id: StateFacts(promise, stated, decided, told)
                for backorder_id, promise, stated, decided, told in self.session.execute(
                    select(NotifyState.backorder_id, NotifyState.shipping_promise, NotifyState.checkout_stated,
                           NotifyState.initial_decided, NotifyState.last_told)
                    .join(Backorder, Backorder.id == NotifyState.backorder_id)
                    .where(NotifyState.shop_id == shop_id, Backorder.status == "open"))}

    def open_decisions(self, shop_id: int) -> dict[int, list[DelayDecision]]:
        """Each of the shop's open backorders' delay decisions, in sequence (joined, as ``open_states``)."""
        found: dict[int, list[DelayDecision]] = {}
        for d in self.session.scalars(select(DelayDecision).join(Backorder, Backorder.id == DelayDecision.backorder_id)
                                      .where(DelayDecision.shop_id == shop_id, Backorder.status == "open")
                                      .order_by(DelayDecision.sequence)):
            found.setdefault(d.backorder_id, []).append(d)
        return found

    def backorders_with_orders(self, backorder_ids: Sequence[int]) -> dict[int, Backorder]:
        """These backorders as entities, each with its line and order loaded, by id."""
        found: dict[int, Backorder] = {}
        for chunk in in_chunks(backorder_ids):
            found.update((b.id, b) for b in self.session.scalars(
                select(Backorder).where(Backorder.id.in_(chunk))
                .options(selectinload(Backorder.line).selectinload(OrderLine.order))))
        return found

    def states(self, shop_id: int, backorder_ids: Sequence[int]) -> dict[int, NotifyState]:
        return {s.backorder_id: s for chunk in in_chunks(backorder_ids) for s in self.session.scalars(
            select(NotifyState).where(NotifyState.shop_id == shop_id, NotifyState.backorder_id.in_(chunk)))}

    def state_of(self, backorder_id: int) -> NotifyState | None:
        return self.session.scalar(select(NotifyState).where(NotifyState.backorder_id == backorder_id))

    def decisions(self, shop_id: int, backorder_ids: Sequence[int]) -> dict[int, list[DelayDecision]]:
        """Each backorder's delay decisions, in sequence."""
        found: dict[int, list[DelayDecision]] = {}
        for d in self.session.scalars(select(DelayDecision).where(DelayDecision.shop_id == shop_id,
                                                                  DelayDecision.backorder_id.in_(backorder_ids))
                                      .order_by(DelayDecision.sequence)):
            found.setdefault(d.backorder_id, []).append(d)
        return found

    def decision(self, decision_id: int) -> DelayDecision | None:
        return self.session.get(DelayDecision, decision_id)

    def decision_by_nonce(self, nonce: str) -> DelayDecision | None:
        return self.session.scalar(select(DelayDecision).where(DelayDecision.nonce == nonce))

    def has_later_decision(self, decision: DelayDecision) -> bool:
        """Whether a newer delay notice replaced this one."""
        return self.session.scalar(select(DelayDecision.id).where(
            DelayDecision.backorder_id == decision.backorder_id,
            DelayDecision.sequence > decision.sequence)) is not None

    def decisions_with_outcome(self, shop_id: int, outcome: str) -> list[tuple[int, int]]:
        """(decision id, backorder id) of the shop's decisions whose outcome is ``outcome``."""
        return [(d.id, d.backorder_id) for d in self.session.scalars(
            select(DelayDecision).where(DelayDecision.shop_id == shop_id, DelayDecision.outcome == outcome))]

    # discount codes

    def coded_orders(self, shop_id: int) -> set[int]:
        """Ids of the shop's orders that have a consolation code (of any status)."""
        return set(self.session.scalars(select(DiscountCode.order_id).where(DiscountCode.shop_id == shop_id)))

    def code(self, code_id: int) -> DiscountCode | None:
        return self.session.get(DiscountCode, code_id)

    def code_of_order(self, order_id: int, status: str | None = None) -> DiscountCode | None:
        query = select(DiscountCode).where(DiscountCode.order_id == order_id)
        if status is not None:
            query = query.where(DiscountCode.status == status)
        return self.session.scalar(query)

    def reserved_codes(self, shop_id: int) -> list[tuple[DiscountCode, Order]]:
        """The shop's codes not yet created in the store, each with its order."""
        return [(c, o) for c, o in self.session.execute(
            select(DiscountCode, Order).join(Order, Order.id == DiscountCode.order_id)
            .where(DiscountCode.shop_id == shop_id, DiscountCode.status == "reserved"))]

    # messages

    def message(self, message_id: int) -> Message | None:
        return self.session.get(Message, message_id)

    def has_message(self, backorder_id: int, kind: str, date_key: str) -> bool:
        return self.session.scalar(select(Message.id).where(
            Message.backorder_id == backorder_id, Message.kind == kind, Message.date_key == date_key)) is not None

    def code_shown_elsewhere(self, order_id: int, code: str, message_id: int) -> bool:
        """Whether another message of the order already showed this code."""
        return self.session.scalar(select(Message.id).where(
            Message.order_id == order_id, Message.discount_code == code, Message.id != message_id)) is not None

    def pending_message_ids(self, shop_id: int) -> list[int]:
        return list(self.session.scalars(select(Message.id).where(
            Message.shop_id == shop_id, Message.status == "pending").order_by(Message.id)))

    def pending_companions(self, message: Message) -> list[Message]:
        """The other pending messages of the same kind to the same recipient about the same order: sent
        with ``message`` as one e-mail (connector/notify/delivery.py GROUPED_KINDS)."""
        return list(self.session.scalars(select(Message).where(
            Message.order_id == message.order_id, Message.kind == message.kind, Message.status == "pending",
            Message.recipient == message.recipient, Message.id != message.id).order_by(Message.id)))

    def sending_messages(self, shop_id: int) -> Sequence[Message]:
        return self.session.scalars(select(Message).where(
            Message.shop_id == shop_id, Message.status == "sending")).all()

    def claim_message(self, message_id: int) -> bool:
        """pending -> sending (one attempt more); False when it is not pending (another worker has it)."""
        result = self.session.execute(
            update(Message).where(Message.id == message_id, Message.status == "pending")
            .values(status="sending", attempts=Message.attempts + 1, claimed_at=utcnow()))
        return bool(getattr(result, "rowcount", 0))

    def fail_pending_message(self, message_id: int, error: str) -> None:
        """pending -> failed with its reason; a claimed one ("sending") is left to its lease."""
        self.session.execute(
            update(Message).where(Message.id == message_id, Message.status == "pending")
            .values(status="failed", error=error))

    def message_log(self, shop_id: int, statuses: Sequence[str] | None = None
                    ) -> list[tuple[Message, str, DelayDecision | None]]:
        """The shop's messages in order, each with its order's name and its delay decision (if any)."""
        query = (select(Message, Order.name, DelayDecision)
                 .join(Order, Order.id == Message.order_id)
                 .outerjoin(DelayDecision, DelayDecision.id == Message.decision_id)
                 .where(Message.shop_id == shop_id).order_by(Message.id))
        if statuses:
            query = query.where(Message.status.in_(list(statuses)))
        return [(message, order_name, decision) for message, order_name, decision in self.session.execute(query)]

    # pile-up alerts

    def alert(self, alert_id: int) -> PileupAlert | None:
        return self.session.get(PileupAlert, alert_id)

    def alerts(self, shop_id: int) -> Sequence[PileupAlert]:
        return self.session.scalars(select(PileupAlert).where(
            PileupAlert.shop_id == shop_id).order_by(PileupAlert.id)).all()

    def open_alerts(self, shop_id: int) -> Sequence[PileupAlert]:
        """The shop's crossings not cleared yet."""
        return self.session.scalars(select(PileupAlert).where(
            PileupAlert.shop_id == shop_id, PileupAlert.cleared_at.is_(None))).all()

    def pending_alerts(self, shop_id: int) -> Sequence[PileupAlert]:
        return self.session.scalars(select(PileupAlert).where(
            PileupAlert.shop_id == shop_id, PileupAlert.status == "pending")).all()

    def record_crossings(self, crossings: Sequence[PileupAlert]) -> bool:
        """Add new crossings with the transaction's other changes, written at once. False (all rolled
        back) when another process recorded one of them first: one uncleared row per (shop, SKU,
        threshold) is a partial unique index."""
        self.session.add_all(crossings)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            return False
        except OperationalError as exc:
            self.session.rollback()
            raise StorageUnavailable(f"commit failed: {type(exc.orig).__name__}") from None
        return True

    def claim_alert(self, alert_id: int) -> bool:
        """pending -> sending; False when another check claimed it first."""
        result = self.session.execute(update(PileupAlert).where(
            PileupAlert.id == alert_id, PileupAlert.status == "pending").values(status="sending"))
        return bool(getattr(result, "rowcount", 0))

    # the merchant's order timeline (connector/merchant/timeline.py)

    def messages_of_order(self, shop_id: int, order_id: int) -> Sequence[Message]:
        """Every message about one order's backorders, in the order they were made."""
        return self.session.scalars(select(Message).where(Message.shop_id == shop_id, Message.order_id == order_id)
                                    .order_by(Message.id)).all()

    # the merchant's message templates (connector/notify/templates.py) and message log (the app's Messages page)

    def message_template(self, shop_id: int, kind: str, language: str) -> MessageTemplate | None:
        return self.session.scalar(select(MessageTemplate).where(
            MessageTemplate.shop_id == shop_id, MessageTemplate.kind == kind, MessageTemplate.language == language))

    def message_templates(self, shop_id: int) -> Sequence[MessageTemplate]:
        return self.session.scalars(select(MessageTemplate).where(MessageTemplate.shop_id == shop_id)
                                    .order_by(MessageTemplate.kind, MessageTemplate.language)).all()

    def remove_message_template(self, shop_id: int, kind: str, language: str) -> bool:
        found = self.message_template(shop_id, kind, language)
        if found is not None:
            self.session.delete(found)
        return found is not None

    def message_page(self, shop_id: int, *, kinds: Sequence[str] = (), statuses: Sequence[str] = (),
                     order: str | None = None, offset: int = 0, limit: int = 50
                     ) -> tuple[int, list[tuple[Message, str, str]]]:
        """(how many match, one page of them newest first, each with its order's name and store id)."""
        where = [Message.shop_id == shop_id]
        if kinds:
            where.append(Message.kind.in_(list(kinds)))
        if statuses:
            where.append(Message.status.in_(list(statuses)))
        if order:
            wanted = order.strip()
            names = {wanted, wanted.lstrip("#"), "#" + wanted.lstrip("#")}
            where.append(Message.order_id.in_(select(Order.id).where(
                Order.shop_id == shop_id, or_(Order.name.in_(names), Order.platform_order_id == wanted))))
        total = self.session.scalar(select(func.count()).select_from(Message).where(*where)) or 0
        rows = self.session.execute(
            select(Message, Order.name, Order.platform_order_id).join(Order, Order.id == Message.order_id)
            .where(*where).order_by(Message.id.desc()).offset(offset).limit(limit))
        return int(total), [(m, name, platform_id) for m, name, platform_id in rows]

    def message_of_shop(self, shop_id: int, message_id: int) -> tuple[Message, Order] | None:
        found = self.session.execute(select(Message, Order).join(Order, Order.id == Message.order_id).where(
            Message.id == message_id, Message.shop_id == shop_id)).first()
        return (found[0], found[1]) if found is not None else None

    def message_kinds(self, shop_id: int) -> list[str]:
        return sorted(self.session.scalars(select(Message.kind).where(Message.shop_id == shop_id).distinct()))

    def preview_backorders(self, shop_id: int, limit: int = 25) -> list[tuple[int, int, str, str | None, str]]:
        """The shop's newest backorders to preview a message on, waiting ones first:
        (backorder id, order id, order name, SKU, status)."""
        waiting = case((Backorder.status.in_(("open", "allocated")), 0), else_=1)
        rows = self.session.execute(
            select(Backorder.id, OrderLine.order_id, Order.name, Backorder.sku, Backorder.status)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id).join(Order, Order.id == OrderLine.order_id)
            .where(Backorder.shop_id == shop_id).order_by(waiting, Backorder.id.desc()).limit(limit))
        return [(b, o, name, sku, status) for b, o, name, sku, status in rows]

    def latest_decision(self, backorder_id: int) -> DelayDecision | None:
        return self.session.scalar(select(DelayDecision).where(DelayDecision.backorder_id == backorder_id)
                                   .order_by(DelayDecision.sequence.desc()).limit(1))

    def recent_alerts(self, shop_id: int, limit: int = 20) -> Sequence[PileupAlert]:
        return self.session.scalars(select(PileupAlert).where(PileupAlert.shop_id == shop_id)
                                    .order_by(PileupAlert.id.desc()).limit(limit)).all()
