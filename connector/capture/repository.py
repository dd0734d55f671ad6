"""Capture's own queries: open lines of stock positions as columns, the orders whose store mark is due
(as columns), and whether notify pinned an order's shipping promise."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from connector.db.models import Backorder, Order, OrderLine, Shop
from connector.db.repositories import Repository
from connector.notify.models import NotifyState

SET_CHUNK = 500
"""Orders an UPDATE of ``set_order_columns`` names at most (SQLite's bound parameters are limited)."""


class CaptureRepository(Repository):

    def open_line_columns(self, shop_id: int, keys: Collection[str]) -> Sequence[tuple[Any, ...]]:
        """Lines of open orders on these stock positions, with their backorder (the set of
        ``OrderRepository.open_lines_for``), as plain columns in one query: line id, stock key,
        platform order id, platform line id, ordered at, quantity, backordered meta, backorder status
        and backordered quantity (the last two None when the line has no backorder), the line's
        fulfilled units and its backorder's shipped units (None without a backorder), its backorder's
        allocated units (None without one) and the order's tags."""
        if not keys:
            return []
        rows = self.session.execute(
            select(OrderLine.id, OrderLine.stock_key, Order.platform_order_id, OrderLine.platform_line_id,
                   Order.ordered_at, OrderLine.quantity, OrderLine.backordered_meta, Backorder.status,
                   Backorder.quantity_backordered, OrderLine.quantity_fulfilled, Backorder.quantity_shipped,
                   Backorder.quantity_allocated, Order.tags)
            .join(Order, Order.id == OrderLine.order_id)
            .outerjoin(Backorder, Backorder.order_line_id == OrderLine.id)
            .where(OrderLine.shop_id == shop_id, OrderLine.stock_key.in_(keys), Order.status == "open"))
        return [tuple(row) for row in rows]

    def orders(self, shop_id: int, platform_order_ids: Collection[str]) -> dict[str, Order]:
        """Orders of one shop by platform id, with their lines and backorders, in one query for the
        orders (and one each for their lines and backorders): a batch of events reads its orders at once."""
        if not platform_order_ids:
            return {}
        found = self.session.scalars(
            select(Order).where(Order.shop_id == shop_id, Order.platform_order_id.in_(sorted(platform_order_ids)))
            .options(selectinload(Order.lines).selectinload(OrderLine.backorder))).all()
        return {order.platform_order_id: order for order in found}

    def promise_pinned(self, shop_id: int, order_pk: int) -> bool:
        """Notify took its first decision (a notice sent or a silence recorded) about a backorder of
        this order."""
        found = self.session.scalar(
            select(NotifyState.id).join(Backorder, NotifyState.backorder_id == Backorder.id)
            .join(OrderLine, Backorder.order_line_id == OrderLine.id)
            .where(OrderLine.order_id == order_pk, NotifyState.shop_id == shop_id,
                   NotifyState.initial_decided.is_(True)).limit(1))
        return found is not None

    def pending_marks(self, shop_id: int, limit: int = 200) -> Sequence[tuple[Any, ...]]:
        """The lines of the first ``limit`` orders of an active shop flagged ``needs_mark``, with their
        backorder, as plain columns in one query (loading orders, lines and backorders as entities took
        three): shop domain, order id, platform order id, name, status, marked, mark operation, platform
        line id, SKU, backorder status, backordered and shipped units (line and backorder columns None when
        absent), by order id. Empty when the shop is not active."""
        due = (select(Order.id).where(Order.shop_id == shop_id, Order.needs_mark.is_(True))
               .order_by(Order.id).limit(limit).scalar_subquery())
        rows = self.session.execute(
            select(Shop.domain, Order.id, Order.platform_order_id, Order.name, Order.status, Order.marked,
                   Order.mark_operation, OrderLine.platform_line_id, OrderLine.sku, Backorder.status,
                   Backorder.quantity_backordered, Backorder.quantity_shipped)
            .join(Shop, Shop.id == Order.shop_id)
            .outerjoin(OrderLine, OrderLine.order_id == Order.id)
            .outerjoin(Backorder, Backorder.order_line_id == OrderLine.id)
            .where(Order.shop_id == shop_id, Order.id.in_(due), Shop.status == "active")
            .order_by(Order.id))
        return [tuple(row) for row in rows]

    def mark_operations(self, shop_id: int) -> list[str]:
        """The store's bulk operations that carry marks of the shop's orders, not yet read back (none when
        the shop is not active)."""
        return [str(operation) for operation in self.session.execute(
            select(Order.mark_operation).join(Shop, Shop.id == Order.shop_id)
            .where(Order.shop_id == shop_id, Order.mark_operation.is_not(None), Shop.status == "active")
            .distinct()).scalars()]

    def shop_domain(self, shop_id: int) -> str:
        return str(self.session.execute(select(Shop.domain).where(Shop.id == shop_id)).scalar_one())

    def orders_of_operation(self, shop_id: int, operation: str) -> list[tuple[str, str, int | None]]:
        """(platform order id, name, line) of the shop's orders whose mark ``operation`` carries."""
        return [(str(o), str(n), line) for o, n, line in self.session.execute(
            select(Order.platform_order_id, Order.name, Order.mark_line)
            .where(Order.shop_id == shop_id, Order.mark_operation == operation))]

    def flag_for_marks(self, orders: Sequence[Order]) -> None:
        """Set ``needs_mark`` on these orders (their store mark is due). Those already stored get it in
        one UPDATE, their loaded state set to match without making them dirty: as entity changes a
        burst's round wrote one UPDATE an order, and flushing them was a fifth of capturing it. Orders
        not yet stored get it as an attribute (their INSERT carries it)."""
        stored: list[Order] = []
        for order in orders:
            if order.needs_mark:
                continue  # already due (or already set in this transaction)
            if inspect(order).persistent:
                stored.append(order)
            else:
                order.needs_mark = True
        if not stored:
            return
        self.session.connection().execute(
            update(Order).where(Order.id.in_(sorted(order.id for order in stored))).values(needs_mark=True))
        for order in stored:
            set_committed_value(order, "needs_mark", True)

    def set_order_columns(self, shop_id: int, rows: Sequence[tuple[str, dict[str, object]]]) -> None:
        """Set columns of several orders of one shop (platform order id, values; an order listed twice takes
        its last): orders given the same values share one UPDATE (a bulk write's read-back clears a whole
        operation's orders at once), the rest one executemany per set of column names, instead of one UPDATE
        an order."""
        latest = dict(rows)
        alike: dict[tuple[tuple[str, object], ...], list[str]] = {}
        for order_id, values in latest.items():
            alike.setdefault(tuple(sorted(values.items())), []).append(order_id)
        groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for items, order_ids in alike.items():
            values = dict(items)
            if len(order_ids) > 1:
                for start in range(0, len(order_ids), SET_CHUNK):
                    self.session.connection().execute(
                        update(Order).where(Order.shop_id == shop_id,
                                            Order.platform_order_id.in_(order_ids[start:start + SET_CHUNK]))
                        .values(values))
                continue
            groups.setdefault(tuple(sorted(values)), []).append({"_order_id": order_ids[0], **{
                f"_{name}": value for name, value in values.items()}})
        for names, params in groups.items():
            statement = (update(Order)
                         .where(Order.shop_id == shop_id, Order.platform_order_id == bindparam("_order_id"))
                         .values({name: bindparam(f"_{name}") for name in names}))
            self.session.connection().execute(statement, params)
