"""Drop-ship storage: every query the drop-ship services need, reached with ``uow.repo(DropshipRepository)``.

Rows are returned attached to the unit of work's open session, so a service changes a row's fields and
commits through the unit of work, as before; only the queries live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from connector.db.models import Backorder, Order, OrderLine
from connector.db.repositories import Repository
from connector.domain.clock import utcnow
from connector.dropship.models import (
    DropshipAlert,
    DropshipFulfillment,
    DropshipOrder,
    FulfillmentHoldRecord,
    FulfillmentServiceNotification,
    RoutingDecision,
)
from connector.supply.models import Supplier, SupplierStock

T = TypeVar("T")


class DropshipRepository(Repository):

    def add(self, row: T, *, flush: bool = False) -> T:
        """Add a new row; ``flush`` gives it its id now."""
        self.session.add(row)
        if flush:
            self.session.flush()
        return row

    # drop-ship orders

    def order(self, order_id: int) -> DropshipOrder | None:
        return self.session.get(DropshipOrder, order_id)

    def orders(self, shop_id: int, statuses: Sequence[str] | None = None) -> Sequence[DropshipOrder]:
        """The shop's drop-ship orders (in these states, when given), oldest first."""
        query = select(DropshipOrder).where(DropshipOrder.shop_id == shop_id)
        if statuses is not None:
            query = query.where(DropshipOrder.status.in_(list(statuses)))
        return self.session.scalars(query.order_by(DropshipOrder.id)).all()

    def supplier_ids_with(self, shop_id: int, status: str) -> set[int]:
        """Suppliers holding at least one of the shop's drop-ship orders in this state."""
        return set(self.session.scalars(select(DropshipOrder.supplier_id).where(
            DropshipOrder.shop_id == shop_id, DropshipOrder.status == status)))

    def orders_of(self, backorder_id: int, statuses: Sequence[str] | None = None) -> list[DropshipOrder]:
        """The drop-ship orders made for one backorder (in these states, when given)."""
        query = select(DropshipOrder).where(DropshipOrder.backorder_id == backorder_id)
        if statuses is not None:
            query = query.where(DropshipOrder.status.in_(list(statuses)))
        return list(self.session.scalars(query))

    def orders_for_lines(self, shop_id: int, platform_order_id: str,
                         line_ids: Sequence[str]) -> Sequence[DropshipOrder]:
        """The drop-ship orders of these store order lines."""
        return self.session.scalars(
            select(DropshipOrder).join(Backorder, Backorder.id == DropshipOrder.backorder_id)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(DropshipOrder.shop_id == shop_id, Order.platform_order_id == platform_order_id,
                   OrderLine.platform_line_id.in_(list(line_ids)))).all()

    # parcels (store fulfillments)

    def fulfillment(self, fulfillment_id: int) -> DropshipFulfillment | None:
        return self.session.get(DropshipFulfillment, fulfillment_id)

    def has_parcel(self, order_id: int, shipment_id: str) -> bool:
        return self.session.scalar(select(DropshipFulfillment.id).where(
            DropshipFulfillment.dropship_order_id == order_id,
            DropshipFulfillment.shipment_id == shipment_id)) is not None

    def fulfillments(self, shop_id: int, statuses: Sequence[str]) -> Sequence[DropshipFulfillment]:
        return self.session.scalars(select(DropshipFulfillment).where(
            DropshipFulfillment.shop_id == shop_id,
            DropshipFulfillment.status.in_(list(statuses))).order_by(DropshipFulfillment.id)).all()

    def parcels_of(self, order_id: int) -> list[DropshipFulfillment]:
        """Every parcel recorded for one drop-ship order."""
        return list(self.session.scalars(select(DropshipFulfillment).where(
            DropshipFulfillment.dropship_order_id == order_id)))

    # holds

    def hold(self, hold_row_id: int) -> FulfillmentHoldRecord | None:
        return self.session.get(FulfillmentHoldRecord, hold_row_id)

    def holds_of(self, backorder_id: int) -> Sequence[FulfillmentHoldRecord]:
        """The holds still placed on one backorder's line (not the whole-order holds of a "ship together"
        order it placed: those wait for every line of the order, see ``order_holds``)."""
        return self.session.scalars(select(FulfillmentHoldRecord).where(
            FulfillmentHoldRecord.backorder_id == backorder_id, FulfillmentHoldRecord.status == "held",
            FulfillmentHoldRecord.order_id.is_(None))).all()

    def order_holds(self, order_id: int) -> Sequence[FulfillmentHoldRecord]:
        """The holds still placed on the other lines of a "ship together" order."""
        return self.session.scalars(select(FulfillmentHoldRecord).where(
            FulfillmentHoldRecord.order_id == order_id, FulfillmentHoldRecord.status == "held")
            .order_by(FulfillmentHoldRecord.id)).all()

    def is_order_held(self, order_id: int) -> bool:
        return self.session.scalar(select(FulfillmentHoldRecord.id).where(
            FulfillmentHoldRecord.order_id == order_id, FulfillmentHoldRecord.status == "held").limit(1)) is not None

    def waits(self, order_id: int) -> bool:
        """Whether a line of the order still waits for restock (an ``open`` backorder)."""
        return self.session.scalar(select(Backorder.id).join(OrderLine, OrderLine.id == Backorder.order_line_id)
                                   .where(OrderLine.order_id == order_id, Backorder.status == "open")
                                   .limit(1)) is not None

    def held_orders_done_waiting(self, shop_id: int) -> list[int]:
        """Orders of the shop with whole-order holds and no line still waiting, ascending."""
        held = set(self.session.scalars(select(FulfillmentHoldRecord.order_id).where(
            FulfillmentHoldRecord.shop_id == shop_id, FulfillmentHoldRecord.status == "held",
            FulfillmentHoldRecord.order_id.is_not(None))))
        return sorted(order_id for order_id in held if order_id is not None and not self.waits(order_id))

    def is_held(self, backorder_id: int) -> bool:
        return self.session.scalar(select(FulfillmentHoldRecord.id).where(
            FulfillmentHoldRecord.backorder_id == backorder_id,
            FulfillmentHoldRecord.status == "held")) is not None

    def held_backorder_ids(self, shop_id: int, backorder_statuses: Sequence[str]) -> list[int]:
        """Backorders of the shop in these states whose lines are still held, ascending."""
        return sorted(set(self.session.scalars(
            select(FulfillmentHoldRecord.backorder_id)
            .join(Backorder, Backorder.id == FulfillmentHoldRecord.backorder_id)
            .where(FulfillmentHoldRecord.shop_id == shop_id, FulfillmentHoldRecord.status == "held",
                   Backorder.status.in_(list(backorder_statuses))))))

    # routing decisions

    def last_decision(self, backorder_id: int) -> RoutingDecision | None:
        return self.session.scalar(select(RoutingDecision).where(RoutingDecision.backorder_id == backorder_id)
                                   .order_by(RoutingDecision.id.desc()).limit(1))

    def decisions(self, shop_id: int) -> Sequence[RoutingDecision]:
        return self.session.scalars(select(RoutingDecision).where(RoutingDecision.shop_id == shop_id)
                                    .order_by(RoutingDecision.id)).all()

    # merchant alerts

    def add_alert(self, alert: DropshipAlert) -> bool:
        """Store a merchant alert unless one with its dedupe key is stored already (the unique key decides,
        so two writers never both add it); False when it was there."""
        try:
            with self.session.begin_nested():
                self.session.add(alert)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def undelivered_alerts(self, shop_id: int) -> Sequence[DropshipAlert]:
        return self.session.scalars(select(DropshipAlert).where(
            DropshipAlert.shop_id == shop_id, DropshipAlert.sent_at.is_(None)).order_by(DropshipAlert.id)).all()

    def alerts(self, shop_id: int) -> Sequence[DropshipAlert]:
        return self.session.scalars(select(DropshipAlert).where(
            DropshipAlert.shop_id == shop_id).order_by(DropshipAlert.id)).all()

    def claim_alert(self, alert_id: int) -> bool:
        """Mark an undelivered alert as being sent; False when another run has it already."""
        claimed = cast(CursorResult[Any], self.session.execute(update(DropshipAlert).where(
            DropshipAlert.id == alert_id, DropshipAlert.sent_at.is_(None)).values(sent_at=utcnow())))
        return bool(claimed.rowcount)

    def unclaim_alert(self, alert_id: int) -> None:
        self.session.execute(update(DropshipAlert).where(DropshipAlert.id == alert_id).values(sent_at=None))

    # fulfillment-service pings

    def mark_notifications_processed(self, shop_id: int, received_until: datetime) -> None:
        self.session.execute(update(FulfillmentServiceNotification).where(
            FulfillmentServiceNotification.shop_id == shop_id, FulfillmentServiceNotification.processed_at.is_(None),
            FulfillmentServiceNotification.received_at <= received_until).values(processed_at=utcnow()))

    # core rows the drop-ship flow reads (the open backorders; one by id: uow.backorders / uow.orders)

    def open_backorders(self, shop_id: int) -> Sequence[Backorder]:
        return self.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id, Backorder.status == "open")
                                    .order_by(Backorder.id)).all()

    # supply's tables: what drop-ship reads of them (a supplier by id: SupplyRepository.supplier)

    def supplier_stock(self, supplier_id: int, sku: str) -> SupplierStock | None:
        return self.session.scalar(select(SupplierStock).where(SupplierStock.supplier_id == supplier_id,
                                                               SupplierStock.sku == sku))

    def stock_offers(self, shop_id: int, sku: str) -> list[tuple[SupplierStock, Supplier]]:
        """The stock rows of active suppliers for one SKU, with their supplier."""
        rows: Sequence[Any] = self.session.execute(
            select(SupplierStock, Supplier).join(Supplier, Supplier.id == SupplierStock.supplier_id)
            .where(SupplierStock.shop_id == shop_id, SupplierStock.sku == sku, Supplier.status == "active")).all()
        return [(stock, supplier) for stock, supplier in rows]

    def flush(self) -> None:
        self.session.flush()

    # the merchant's order timeline (connector/merchant/timeline.py)

    def history_of(self, shop_id: int, backorder_ids: Sequence[int]) -> tuple[
            Sequence[RoutingDecision], Sequence[DropshipOrder], Sequence[DropshipFulfillment],
            Sequence[FulfillmentHoldRecord]]:
        """Everything drop-ship did for these backorders, each kind oldest first: every routing
        decision, drop-ship order, supplier parcel and fulfillment hold (released ones too)."""
        ids = list(backorder_ids)
        decisions = self.session.scalars(select(RoutingDecision).where(
            RoutingDecision.shop_id == shop_id, RoutingDecision.backorder_id.in_(ids))
            .order_by(RoutingDecision.id)).all()
        orders = self.session.scalars(select(DropshipOrder).where(
            DropshipOrder.shop_id == shop_id, DropshipOrder.backorder_id.in_(ids)).order_by(DropshipOrder.id)).all()
        parcels = self.session.scalars(select(DropshipFulfillment).where(
            DropshipFulfillment.shop_id == shop_id,
            DropshipFulfillment.dropship_order_id.in_([order.id for order in orders]))
            .order_by(DropshipFulfillment.id)).all() if orders else []
        holds = self.session.scalars(select(FulfillmentHoldRecord).where(
            FulfillmentHoldRecord.shop_id == shop_id, FulfillmentHoldRecord.backorder_id.in_(ids))
            .order_by(FulfillmentHoldRecord.id)).all()
        return decisions, orders, parcels, holds

    def recent_alerts(self, shop_id: int, limit: int = 20) -> Sequence[DropshipAlert]:
        """The shop's newest alerts (drop-ship and purchase-order), for the app's Messages page."""
        return self.session.scalars(select(DropshipAlert).where(DropshipAlert.shop_id == shop_id)
                                    .order_by(DropshipAlert.id.desc()).limit(limit)).all()
