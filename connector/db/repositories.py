"""Repositories: every query the services need, each scoped to one shop."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from connector.db.models import Backorder, Order, OrderLine, Shop, ShopSetting, WebhookEvent
from connector.domain.clock import utcnow
from connector.domain.errors import DuplicateShop

BATCH_ROWS = 1000
"""Rows per DELETE statement of ``delete_in_batches``."""
MAX_BATCHES = 50
"""Statements per table per run of ``delete_in_batches``; a larger backlog is left to a follow-up run."""
IN_CHUNK = 900
"""Values an ``IN (...)`` list at most: SQLite allows 999 bound parameters a statement, and a statement of
moderate size is cheap for the driver to build on PostgreSQL as well."""

T = TypeVar("T")


def in_chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``, in order: one ``IN (...)`` list each."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


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

    def add_new(self, shop: Shop) -> Shop:
        """Add a shop no other row has taken (platform and domain): DuplicateShop otherwise."""
        try:
            return self.add(shop)
        except IntegrityError:
            raise DuplicateShop(f"{shop.platform} shop {shop.domain} is already installed") from None

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

    def work_item(self, event_id: int) -> tuple[int, str, str, str, bytes, int]:
        """What processing an event needs, as columns in one query: its shop's id, platform and
        status, and the event's topic, body and attempts."""
        row = self.session.execute(
            select(Shop.id, Shop.platform, Shop.status, WebhookEvent.topic, WebhookEvent.body,
                   WebhookEvent.attempts)
            .join(Shop, Shop.id == WebhookEvent.shop_id).where(WebhookEvent.id == event_id)
        ).one()
        return row[0], row[1], row[2], row[3], row[4], row[5]

    def record(self, event_id: int, **values: object) -> None:
        """Set columns of one event with one UPDATE (reading the row first would fetch its body again)."""
        self.session.execute(
            update(WebhookEvent).where(WebhookEvent.id == event_id).values(**values)
            .execution_options(synchronize_session=False))

    def of_shop(self, shop_id: int) -> Sequence[WebhookEvent]:
        return self.session.scalars(select(WebhookEvent).where(WebhookEvent.shop_id == shop_id)).all()

    def ignore_unfinished(self, shop_id: int, reason: str) -> None:
        """Events of the shop still waiting (pending or retry) will not be processed: ignored."""
        self.session.execute(update(WebhookEvent).where(WebhookEvent.shop_id == shop_id,
                                                        WebhookEvent.status.in_(("pending", "retry")))
                             .values(status="ignored", last_error=reason))

    def claim(self, event_id: int, lease_expired_before: datetime) -> bool:
        """Atomically take an event for processing; False if another worker has it or it is finished."""
        return self.claim_work(event_id, lease_expired_before) is not None

    def claim_work(self, event_id: int, lease_expired_before: datetime) -> tuple[int, str, str, str, bytes, int] | None:
        """``claim`` and ``work_item`` in one statement (an UPDATE ... RETURNING, the shop's columns
        by scalar subqueries): what processing needs, or None if another worker has the event or it is
        finished. Every job runs it, also those whose event a batch took already (connector/events.py),
        so the statement is built once and run on the connection (no ORM statement handling)."""
        row = self.session.connection().execute(
            _claim_statement(), {"event_id": event_id, "lease": lease_expired_before, "now": utcnow()}).first()
        if row is None:
            return None
        return row[0], row[1], row[2], row[3], row[4], row[5]

    def claim_pending(self, shop_id: int, topics: Collection[str], limit: int,
                      except_id: int) -> Sequence[tuple[int, str, bytes, int]]:
        """Atomically take up to ``limit`` more pending events of one shop with these topics, oldest
        first (a batch joins the event a job was given): id, topic, body and attempts of each, in one
        ``UPDATE ... RETURNING``. Events waiting for a retry or held by another worker are left to their
        own job (on PostgreSQL rows another claim has locked are skipped, not waited for)."""
        if limit <= 0 or not topics:
            return []
        pending = (select(WebhookEvent.id)
                   .where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "pending",
                          WebhookEvent.topic.in_(topics), WebhookEvent.id != except_id)
                   .order_by(WebhookEvent.id).limit(limit)
                   .with_for_update(skip_locked=True)
                   # materialized, run once: as an IN (subquery) PostgreSQL may run it again for every
                   # row it updates, each run skipping the rows the previous ones locked, and so claim
                   # far more than ``limit`` (150 of 150 pending for a limit of 49, measured)
                   .cte("claimable").prefix_with("MATERIALIZED"))
        rows = self.session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(select(pending.c.id)), WebhookEvent.status == "pending")
            .values(status="processing", claimed_at=utcnow(), attempts=WebhookEvent.attempts + 1)
            .returning(WebhookEvent.id, WebhookEvent.topic, WebhookEvent.body, WebhookEvent.attempts)
            .execution_options(synchronize_session=False)
        ).all()
        return sorted((row[0], row[1], row[2], row[3]) for row in rows)

    def next_pending(self, shop_id: int) -> int | None:
        """The oldest pending event of a shop (the partial index of pending events answers it)."""
        return self.session.scalar(
            select(WebhookEvent.id).where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "pending")
            .order_by(WebhookEvent.id).limit(1))

    def pending_count(self, shop_id: int, limit: int) -> int:
        """How many events of the shop are pending, counted up to ``limit`` (the partial index answers it)."""
        pending = (select(WebhookEvent.id).where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "pending")
                   .limit(limit).subquery())
        return int(self.session.scalar(select(func.count()).select_from(pending)) or 0)

    def record_many(self, event_ids: Collection[int], **values: object) -> None:
        """Set the same columns of several events with one UPDATE."""
        if event_ids:
            self.session.execute(
                update(WebhookEvent).where(WebhookEvent.id.in_(sorted(event_ids))).values(**values)
                .execution_options(synchronize_session=False))

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

    def due_by_shop(self, now: datetime, received_before: datetime, stuck_before: datetime,
                    limit: int = 500) -> Sequence[tuple[int, int, str]]:
        """``due``, with each event's shop and status: (id, shop id, status)."""
        ids = list(self.due(now, received_before, stuck_before, limit))
        if not ids:
            return []
        rows = self.session.execute(select(WebhookEvent.id, WebhookEvent.shop_id, WebhookEvent.status)
                                    .where(WebhookEvent.id.in_(ids)).order_by(WebhookEvent.id)).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def count_by_status(self) -> dict[str, int]:
        from sqlalchemy import func

        rows = self.session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status))
        return {status: count for status, count in rows}


@functools.cache
def _claim_statement() -> Any:
    """``EventRepository.claim_work``'s statement, with its values as bound parameters."""
    def shop(column: Any) -> Any:
        return select(column).where(Shop.id == WebhookEvent.shop_id).scalar_subquery()

    return (
        update(WebhookEvent)
        .where(WebhookEvent.id == bindparam("event_id"))
        .where(or_(
            WebhookEvent.status.in_(("pending", "retry")),
            (WebhookEvent.status == "processing") & (WebhookEvent.claimed_at < bindparam("lease")),
        ))
        .values(status="processing", claimed_at=bindparam("now"), attempts=WebhookEvent.attempts + 1)
        .returning(WebhookEvent.shop_id, shop(Shop.platform), shop(Shop.status), WebhookEvent.topic,
                   WebhookEvent.body, WebhookEvent.attempts)
    )


class OrderRepository(Repository):

    def add(self, order: Order) -> Order:
        self.session.add(order)
        self.session.flush()
        return order

    def stage(self, order: Order) -> Order:
        """Add an order without writing it yet (complete it first: one INSERT at the next flush)."""
        self.session.add(order)
        return order

    def flush(self) -> None:
        self.session.flush()

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

    def lines(self, line_ids: Collection[int]) -> Sequence[OrderLine]:
        """Order lines by id, with their backorder and order."""
        return self.session.scalars(
            select(OrderLine).where(OrderLine.id.in_(line_ids))
            .options(selectinload(OrderLine.backorder), selectinload(OrderLine.order))).all()

    def set_columns(self, shop_id: int, platform_order_id: str, values: dict[str, object]) -> None:
        """Set columns of one order with one UPDATE (no reload of its lines and backorders)."""
        self.session.execute(
            update(Order).where(Order.shop_id == shop_id, Order.platform_order_id == platform_order_id)
            .values(**values).execution_options(synchronize_session=False))

    def by_id(self, order_id: int) -> Order | None:
        """An order by its own id (a row that names it: a backorder's message, a discount code)."""
        return self.session.get(Order, order_id)


class BackorderRepository(Repository):

    def add(self, backorder: Backorder) -> Backorder:
        self.session.add(backorder)
        return backorder

    def get(self, backorder_id: int) -> Backorder | None:
        return self.session.get(Backorder, backorder_id)

    def list(self, shop_id: int, statuses: Sequence[str] | None = None) -> Sequence[Backorder]:
        query = (
            select(Backorder).where(Backorder.shop_id == shop_id)
            .options(selectinload(Backorder.line).selectinload(OrderLine.order))
            .order_by(Backorder.created_at, Backorder.id)
        )
        if statuses:
            query = query.where(Backorder.status.in_(list(statuses)))
        return self.session.scalars(query).all()


class ShopSettingRepository(Repository):
    """Per-shop settings as stored: each value a JSON text (or a sealed secret)."""

    def get(self, shop_id: int, key: str) -> ShopSetting | None:
        return self.session.scalar(select(ShopSetting).where(ShopSetting.shop_id == shop_id,
                                                             ShopSetting.key == key))

    def stored(self, shop_id: int, keys: Collection[str] | None = None) -> dict[str, str]:
        """The shop's stored values by key (of ``keys`` only, when given), in one query."""
        query = select(ShopSetting).where(ShopSetting.shop_id == shop_id)
        if keys is not None:
            query = query.where(ShopSetting.key.in_(keys))
        return {row.key: row.value for row in self.session.scalars(query)}

    def put(self, shop_id: int, key: str, stored: str) -> None:
        row = self.get(shop_id, key)
        if row is None:
            self.session.add(ShopSetting(shop_id=shop_id, key=key, value=stored))
        else:
            row.value = stored

    def with_keys(self, keys: Collection[str]) -> Sequence[ShopSetting]:
        """Every shop's rows of these keys."""
        return self.session.scalars(select(ShopSetting).where(ShopSetting.key.in_(keys))).all()


def delete_in_batches(engine: Engine, model: Any, ids: Select[Any], batch_rows: int = BATCH_ROWS,
                      max_batches: int = MAX_BATCHES) -> tuple[int, bool]:
    """Delete the rows of ``model`` whose ids ``ids`` selects (ordered), at most ``batch_rows`` per
    statement, each in its own short transaction; PostgreSQL skips rows another transaction holds.
    Returns (rows deleted, more left after ``max_batches`` statements)."""
    chosen = ids.limit(batch_rows)
    if engine.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    statement = delete(model).where(model.id.in_(chosen.scalar_subquery())) \
        .execution_options(synchronize_session=False)
    total = 0
    for _ in range(max_batches):
        with engine.begin() as connection:
            deleted = int(connection.execute(statement).rowcount or 0)
        total += deleted
        if deleted < batch_rows:
            return total, False
    return total, True
