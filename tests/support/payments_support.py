"""Payment on shipment over the Shopify simulator: an order in the store with its rows in the database,
shipments and allocations recorded as closing and restock record them, and readers of what happened."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connector.db.models import Backorder, Order, OrderLine
from connector.dropship.models import DropshipAlert
from connector.payments.models import OrderPayment, PaymentCharge
from connector.shipping.models import BackorderShipment
from sandbox.shopify_sim import ext_charges

DOMAIN = "sandbox-outdoors.myshopify.com"


class Setup:
    def __init__(self, stack: Any) -> None:
        self.stack, self.sim, self.c = stack, stack.sandbox.shopify, stack.container
        self.shop_id = next(i.id for i in stack.shops.values() if i.platform == "shopify")

    def order(self, lines: list[tuple[str, int, str]], *, backordered: dict[str, int]) -> tuple[int, int]:
        """(sim order id, connector order id): the order in the store and its rows in the database."""
        body = self.sim.create_order(DOMAIN, [{"sku": s, "quantity": q} for s, q, _ in lines], deliver_webhook=False)
        now = datetime.now(UTC)
        with self.c.uow() as uow:
            order = Order(shop_id=self.shop_id, platform_order_id=str(body["id"]), name=body["name"],
                          ordered_at=now, platform_updated_at=now, financial_status="authorized")
            uow.session.add(order)
            uow.session.flush()
            for (sku, quantity, price), raw in zip(lines, body["line_items"], strict=True):
                line = OrderLine(shop_id=self.shop_id, order_id=order.id, platform_line_id=str(raw["id"]), sku=sku,
                                 quantity=quantity, unit_price=Decimal(price), title=sku)
                uow.session.add(line)
                uow.session.flush()
                if sku in backordered:
                    uow.session.add(Backorder(shop_id=self.shop_id, order_line_id=line.id, sku=sku,
                                              quantity_backordered=backordered[sku], status="open"))
            uow.commit()
            return int(body["id"]), order.id

    def ship(self, order_id: int, sku: str, units: int, reference: str) -> None:
        """What closing (helper A) records when units ship: a shipment row and the line's fulfilled count."""
        with self.c.uow() as uow:
            line = uow.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id, OrderLine.sku == sku))
            assert line is not None
            line.quantity_fulfilled = (line.quantity_fulfilled or 0) + units
            backorder = uow.session.scalar(select(Backorder).where(Backorder.order_line_id == line.id))
            if backorder is not None:
                backorder.quantity_shipped = (backorder.quantity_shipped or 0) + units
                if backorder.quantity_shipped >= backorder.quantity_backordered:
                    backorder.status = "fulfilled"
                uow.session.add(BackorderShipment(shop_id=self.shop_id, backorder_id=backorder.id, quantity=units,
                                                  shipped_at=datetime.now(UTC), via="merchant", reference=reference))
            uow.commit()

    def allocate(self, order_id: int) -> None:
        with self.c.uow() as uow:
            query = select(Backorder).join(OrderLine).where(OrderLine.order_id == order_id)
            for backorder in uow.session.scalars(query):
                backorder.status = "allocated"
            uow.commit()

    def store(self) -> Any:
        return self.c.store_payments(self.shop_id)

    def payment(self, order_id: int) -> OrderPayment:
        with self.c.uow() as uow:
            row = uow.session.scalar(select(OrderPayment).where(OrderPayment.order_id == order_id))
            assert row is not None
            uow.session.expunge_all()
            return row

    def charges(self, order_id: int) -> list[PaymentCharge]:
        with self.c.uow() as uow:
            rows = list(uow.session.scalars(select(PaymentCharge).where(PaymentCharge.order_id == order_id)
                                            .order_by(PaymentCharge.id)))
            uow.session.expunge_all()
            return rows

    def alerts(self) -> list[str]:
        with self.c.uow() as uow:
            return [a.message for a in uow.session.scalars(select(DropshipAlert).where(
                DropshipAlert.shop_id == self.shop_id))]

    def captures(self) -> list[dict[str, Any]]:
        return ext_charges.charges(self.sim, DOMAIN)["captures"]
