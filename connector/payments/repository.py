"""Queries of payment on shipment, each scoped to one shop or one order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from connector.db.models import Backorder, Order, OrderLine
from connector.db.repositories import Repository
from connector.payments.models import OrderPayment, PaymentCharge
from connector.shipping.models import BackorderShipment

FINAL_STATES = ("captured", "charged", "paid", "none", "expired", "voided")
"""Order payment states with nothing left for the connector to collect."""
WAITING = ("open", "allocated")


class PaymentsRepository(Repository):

    def payment_of(self, order_id: int) -> OrderPayment | None:
        return self.session.scalar(select(OrderPayment).where(OrderPayment.order_id == order_id))

    def add_payment(self, row: OrderPayment) -> OrderPayment:
        self.session.add(row)
        self.session.flush()
        return row

    def payments(self, shop_id: int) -> Sequence[tuple[OrderPayment, str]]:
        """Every order payment of the shop with its order's name, newest first."""
        rows = self.session.execute(
            select(OrderPayment, Order.name).join(Order, Order.id == OrderPayment.order_id)
            .where(OrderPayment.shop_id == shop_id).order_by(OrderPayment.id.desc()))
        return [(p, name) for p, name in rows]

    def order_by_reference(self, shop_id: int, reference: str) -> int | None:
        """The order the merchant names: its store name (``#1001`` or ``1001``) or its store id."""
        text = reference.strip()
        names = {text, f"#{text.lstrip('#')}"}
        found = self.session.scalar(select(Order.id).where(Order.shop_id == shop_id, Order.name.in_(names))
                                    .order_by(Order.id).limit(1))
        if found is None:
            found = self.session.scalar(select(Order.id).where(Order.shop_id == shop_id,
                                                               Order.platform_order_id == text.lstrip("#")))
        return found

    def add_charge(self, row: PaymentCharge) -> PaymentCharge:
        self.session.add(row)
        self.session.flush()
        return row

    def charge(self, charge_id: int) -> PaymentCharge | None:
        return self.session.get(PaymentCharge, charge_id)

    def charges_of(self, order_id: int) -> Sequence[PaymentCharge]:
        return list(self.session.scalars(select(PaymentCharge).where(PaymentCharge.order_id == order_id)
                                         .order_by(PaymentCharge.id)))

    def unsettled_charge(self, order_id: int) -> PaymentCharge | None:
        """A charge asked for (or about to be) whose outcome is not known yet."""
        return self.session.scalar(select(PaymentCharge).where(
            PaymentCharge.order_id == order_id, PaymentCharge.state.in_(("pending", "uncertain")))
            .order_by(PaymentCharge.id))

    def order_lines(self, order_id: int) -> Sequence[OrderLine]:
        return list(self.session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)
                                         .order_by(OrderLine.id)))

    def backorders_of(self, order_id: int) -> Sequence[Backorder]:
        return list(self.session.scalars(
            select(Backorder).join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .where(OrderLine.order_id == order_id).order_by(Backorder.id)))

    def shipped_by_line(self, order_id: int) -> dict[int, int]:
        """Backordered units shipped per order line (from ``backorder_shipments``)."""
        rows = self.session.execute(
            select(Backorder.order_line_id, func.sum(BackorderShipment.quantity))
            .join(BackorderShipment, BackorderShipment.backorder_id == Backorder.id)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .where(OrderLine.order_id == order_id).group_by(Backorder.order_line_id))
        return {line_id: int(units or 0) for line_id, units in rows}

    def orders_to_collect(self, shop_id: int) -> list[int]:
        """Orders with backorders whose goods are ready (allocated) or shipped, and whose payment is not
        settled: the candidates of a collection pass."""
        ready = (select(OrderLine.order_id).join(Backorder, Backorder.order_line_id == OrderLine.id)
                 .where(Backorder.shop_id == shop_id,
                        (Backorder.status.in_(("allocated", "fulfilled"))) | (Backorder.quantity_shipped > 0)))
        settled = select(OrderPayment.order_id).where(OrderPayment.shop_id == shop_id,
                                                      OrderPayment.state.in_(FINAL_STATES))
        return list(self.session.scalars(select(Order.id).where(
            Order.shop_id == shop_id, Order.id.in_(ready), Order.id.not_in(settled)).order_by(Order.id)))

    def expiring(self, shop_id: int, before: datetime) -> list[int]:
        """Order ids whose authorisation lapses before ``before`` and on which the expiry policy has not
        acted yet."""
        return list(self.session.scalars(select(OrderPayment.order_id).where(
            OrderPayment.shop_id == shop_id, OrderPayment.route == "authorization",
            OrderPayment.state.in_(("authorized", "partially_captured")),
            OrderPayment.authorization_expires_at <= before, OrderPayment.expiry_handled_at.is_(None))
            .order_by(OrderPayment.authorization_expires_at)))

    def authorised_orders_waiting(self, shop_id: int) -> list[int]:
        """Orders with waiting backorders whose store payment is only authorised and which have no
        payment row yet (the expiry watch learns their expiry by reading them)."""
        waiting = (select(OrderLine.order_id).join(Backorder, Backorder.order_line_id == OrderLine.id)
                   .where(Backorder.shop_id == shop_id, Backorder.status.in_(WAITING)))
        known = select(OrderPayment.order_id).where(OrderPayment.shop_id == shop_id)
        return list(self.session.scalars(select(Order.id).where(
            Order.shop_id == shop_id, Order.financial_status.in_(("authorized", "partially_paid")),
            Order.id.in_(waiting), Order.id.not_in(known)).order_by(Order.id)))
