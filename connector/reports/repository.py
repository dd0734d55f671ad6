"""Queries of the reports feature, each scoped to one shop."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select

from connector.db.models import Backorder, Order, OrderLine
from connector.db.repositories import Repository
from connector.payments.models import OrderPayment, PaymentCharge
from connector.reports.deferred_revenue import BackorderLine


class ReportsRepository(Repository):

    def backorder_lines(self, shop_id: int) -> list[BackorderLine]:
        """Every backorder of the shop that is waiting or has shipped units, with its order's day, currency,
        unit price and how the order's payment is collected (None: the connector does not defer it)."""
        rows = self.session.execute(
            select(Order.id, Order.name, Order.ordered_at, Order.currency, Backorder.id, Backorder.status,
                   Backorder.quantity_backordered, Backorder.quantity_shipped, OrderLine.unit_price,
                   OrderPayment.route)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == OrderLine.order_id)
            .outerjoin(OrderPayment, OrderPayment.order_id == Order.id)
            .where(Backorder.shop_id == shop_id,
                   (Backorder.status.in_(("open", "allocated"))) | (Backorder.quantity_shipped > 0))
            .order_by(Order.ordered_at, Order.id, Backorder.id)).all()
        return [BackorderLine(order_id, name, ordered_at, currency or "", backorder_id, status, int(backordered),
                              int(shipped or 0), Decimal(price) if price is not None else None, route)
                for (order_id, name, ordered_at, currency, backorder_id, status, backordered, shipped, price,
                     route) in rows]

    def charged_by_order(self, shop_id: int, order_ids: Sequence[int]) -> dict[int, Decimal]:
        """Per order: what the connector's captures and charges collected (succeeded only)."""
        if not order_ids:
            return {}
        rows = self.session.execute(
            select(PaymentCharge.order_id, func.sum(PaymentCharge.amount))
            .where(PaymentCharge.shop_id == shop_id, PaymentCharge.state == "succeeded",
                   PaymentCharge.order_id.in_(list(order_ids)))
            .group_by(PaymentCharge.order_id)).all()
        return {order_id: Decimal(total or 0) for order_id, total in rows}
