"""Repositories: every query the services need, each scoped to one shop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from connector.db.models import Backorder, Order, OrderLine, Shop, WebhookEvent
from connector.domain.clock import utcnow


class Repository:
    """Base of every repository: the queries of one feature over the unit of work's open session.

    A feature keeps its repository in ``connector/<feature>/repository.py`` and reaches it with
    ``uow.repo(ThatRepository)``; services call its methods and never touch the session.
    """

    def __init__(self, session: Session) -> None:
        self.session = session


class ShopRepository(Repository):

    def add(self, shop: Shop) -> Shop:
        self.session.add(shop)
        self.session.flush()
        return shop

    def get(self, shop_id: int) -> Shop | None:
        return self.session.get(Shop, shop_id)

    def by_domain(self, platform: str, domain: str) -> Shop | None:
        return self.session.scalar(select(Shop).where(Shop.platform == platform, Shop.domain == domain))

    def find(self, domain: str) -> Shop | None:
        """A shop by its domain or store URL on either platform."""
        return self.session.scalar(select(Shop).where(Shop.domain == domain).order_by(Shop.id))

    def list(self, *, active_only: bool = False) -> Sequence[Shop]:
        query = select(Shop).order_by(Shop.id)
        if active_only:
            query = query.where(Shop.status == "active")
        return self.session.scalars(query).all()


class EventRepository(Repository):

    def add(self, event: WebhookEvent) -> WebhookEvent:
        self.session.add(event)
        self.session.flush()
        return event

    def by_key(self, shop_id: int, dedupe_key: str) -> WebhookEvent | None:
        return self.session.scalar(select(WebhookEvent).where(
            WebhookEvent.shop_id == shop_id, WebhookEvent.dedupe_key == dedupe_key))

    def get(self, event_id: int) -> WebhookEvent | None:
        return self.session.get(WebhookEvent, event_id)

    def claim(self, event_id: int, lease_expired_before: datetime) -> bool:
        """Atomically take an event for processing; False if another worker has it or it is finished."""
        result = self.session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id)
            .where(or_(
                WebhookEvent.status.in_(("pending", "retry")),
                (WebhookEvent.status == "processing") & (WebhookEvent.claimed_at < lease_expired_before),
            ))
            .values(status="processing", claimed_at=utcnow(), attempts=WebhookEvent.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def due(self, now: datetime, received_before: datetime, stuck_before: datetime,
            limit: int = 500) -> Sequence[int]:
        """Ids of events that should be (re)queued: never finished and not being worked on."""
        query = (
            select(WebhookEvent.id)
            .where(or_(
                (WebhookEvent.status == "pending") & (WebhookEvent.received_at < received_before),
                (WebhookEvent.status == "retry") & (WebhookEvent.next_attempt_at <= now),
                (WebhookEvent.status == "processing") & (WebhookEvent.claimed_at < stuck_before),
            ))
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def count_by_status(self) -> dict[str, int]:
        from sqlalchemy import func

        rows = self.session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status))
        return {status: count for status, count in rows}


class OrderRepository(Repository):

    def add(self, order: Order) -> Order:
        self.session.add(order)
        self.session.flush()
        return order

    def get(self, shop_id: int, platform_order_id: str) -> Order | None:
        return self.session.scalar(
            select(Order).where(Order.shop_id == shop_id, Order.platform_order_id == platform_order_id)
            .options(selectinload(Order.lines).selectinload(OrderLine.backorder))
        )

    def open_lines_for(self, shop_id: int, stock_keys: Sequence[str]) -> Sequence[OrderLine]:
        """Lines of open (not cancelled) orders that draw on these stock positions."""
        if not stock_keys:
            return []
        return self.session.scalars(
            select(OrderLine).join(Order)
            .where(OrderLine.shop_id == shop_id, OrderLine.stock_key.in_(stock_keys),
                   Order.status == "open")
            .options(selectinload(OrderLine.backorder), selectinload(OrderLine.order))
        ).all()

    def needing_mark(self, shop_id: int, limit: int = 200) -> Sequence[Order]:
        return self.session.scalars(
            select(Order).where(Order.shop_id == shop_id, Order.needs_mark.is_(True))
            .options(selectinload(Order.lines).selectinload(OrderLine.backorder))
            .order_by(Order.id).limit(limit)
        ).all()


class BackorderRepository(Repository):

    def add(self, backorder: Backorder) -> Backorder:
        self.session.add(backorder)
        return backorder

    def list(self, shop_id: int, statuses: Sequence[str] | None = None) -> Sequence[Backorder]:
        query = (
            select(Backorder).where(Backorder.shop_id == shop_id)
            .options(selectinload(Backorder.line).selectinload(OrderLine.order))
            .order_by(Backorder.created_at, Backorder.id)
        )
        if statuses:
            query = query.where(Backorder.status.in_(list(statuses)))
        return self.session.scalars(query).all()
