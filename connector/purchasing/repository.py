"""Queries for purchase orders, their lines, the backorders they cover and their receipts; every one
scoped to a shop. Reached with ``uow.repo(PurchasingRepository)``."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from connector.db.models import Backorder, OrderLine
from connector.db.repositories import Repository
from connector.dropship.models import DropshipOrder
from connector.purchasing.models import (
    ACTIVE_STATUSES,
    PurchaseOrder,
    PurchaseOrderBackorder,
    PurchaseOrderLine,
    PurchaseOrderReceipt,
)
from connector.supply.models import Supplier, SupplierStock

DROPSHIP_DONE = ("rejected", "failed")
"""Drop-ship orders in these states cover no unit of their backorder."""


class PurchasingRepository(Repository):
    def add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    # -- what a proposal reads -------------------------------------------------------------------

    def waiting_backorders(self, shop_id: int) -> Sequence[tuple[int, str, datetime, int]]:
        """(backorder id, sku, created at, units short and not yet allocated or shipped) of every open
        backorder with a SKU, oldest first."""
        rows = self.session.execute(
            select(Backorder.id, Backorder.sku, Backorder.created_at,
                   Backorder.quantity_backordered - Backorder.quantity_allocated - Backorder.quantity_shipped)
            .where(Backorder.shop_id == shop_id, Backorder.status == "open", Backorder.sku.is_not(None))
            .order_by(Backorder.created_at, Backorder.id))
        return [(i, str(sku), created, int(units)) for i, sku, created, units in rows if sku]

    def dropship_units(self, shop_id: int) -> dict[int, int]:
        """Units of each backorder a live drop-ship order covers."""
        rows = self.session.execute(
            select(DropshipOrder.backorder_id, func.sum(DropshipOrder.quantity))
            .where(DropshipOrder.shop_id == shop_id, DropshipOrder.status.not_in(DROPSHIP_DONE))
            .group_by(DropshipOrder.backorder_id))
        return {int(b): int(q or 0) for b, q in rows}

    def covered_units(self, shop_id: int) -> dict[int, int]:
        """Units of each backorder an active purchase order covers."""
        rows = self.session.execute(
            select(PurchaseOrderBackorder.backorder_id, func.sum(PurchaseOrderBackorder.quantity))
            .join(PurchaseOrderLine, PurchaseOrderLine.id == PurchaseOrderBackorder.purchase_order_line_id)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrderBackorder.shop_id == shop_id, PurchaseOrder.status.in_(ACTIVE_STATUSES))
            .group_by(PurchaseOrderBackorder.backorder_id))
        return {int(b): int(q or 0) for b, q in rows}

    def suppliers(self, shop_id: int) -> Sequence[Supplier]:
        return self.session.scalars(select(Supplier).where(Supplier.shop_id == shop_id, Supplier.status == "active")
                                    .order_by(Supplier.id)).all()

    def supplier(self, supplier_id: int) -> Supplier | None:
        return self.session.get(Supplier, supplier_id)

    def shop_supplier(self, shop_id: int, supplier_id: int) -> Supplier | None:
        """The supplier with this id when it is one of this shop's (None for another shop's)."""
        return self.session.scalar(select(Supplier).where(Supplier.shop_id == shop_id, Supplier.id == supplier_id))

    def unit_costs(self, shop_id: int, supplier_ids: Collection[int]) -> dict[tuple[int, str], Decimal | None]:
        """(supplier id, sku) -> unit cost for every SKU those suppliers list."""
        if not supplier_ids:
            return {}
        rows = self.session.execute(select(SupplierStock.supplier_id, SupplierStock.sku, SupplierStock.unit_cost)
                                    .where(SupplierStock.shop_id == shop_id,
                                           SupplierStock.supplier_id.in_(list(supplier_ids))))
        return {(int(s), str(sku)): None if cost is None else Decimal(str(cost)) for s, sku, cost in rows}

    def awaiting_approval(self, shop_id: int) -> dict[int, int]:
        """supplier id -> id of its purchase order still drafted or proposed."""
        rows = self.session.execute(select(PurchaseOrder.supplier_id, PurchaseOrder.id)
                                    .where(PurchaseOrder.shop_id == shop_id,
                                           PurchaseOrder.status.in_(("draft", "proposed"))))
        return {int(s): int(i) for s, i in rows}

    # -- purchase orders -------------------------------------------------------------------------

    def order(self, po_id: int) -> PurchaseOrder | None:
        return self.session.get(PurchaseOrder, po_id)

    def orders(self, shop_id: int, statuses: Iterable[str] | None = None) -> Sequence[PurchaseOrder]:
        query = select(PurchaseOrder).where(PurchaseOrder.shop_id == shop_id).order_by(PurchaseOrder.id)
        if statuses is not None:
            query = query.where(PurchaseOrder.status.in_(list(statuses)))
        return self.session.scalars(query).all()

    def lines(self, po_id: int) -> Sequence[PurchaseOrderLine]:
        return self.session.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po_id)
                                    .order_by(PurchaseOrderLine.sku)).all()

    def links(self, po_id: int) -> Sequence[tuple[str, int, int]]:
        """(sku, backorder id, units) of every backorder the order covers."""
        rows = self.session.execute(
            select(PurchaseOrderLine.sku, PurchaseOrderBackorder.backorder_id, PurchaseOrderBackorder.quantity)
            .join(PurchaseOrderLine, PurchaseOrderLine.id == PurchaseOrderBackorder.purchase_order_line_id)
            .where(PurchaseOrderLine.purchase_order_id == po_id)
            .order_by(PurchaseOrderLine.sku, PurchaseOrderBackorder.backorder_id))
        return [(str(s), int(b), int(q)) for s, b, q in rows]

    def receipts(self, po_id: int, *, unallocated: bool = False) -> Sequence[PurchaseOrderReceipt]:
        query = select(PurchaseOrderReceipt).where(PurchaseOrderReceipt.purchase_order_id == po_id)
        if unallocated:
            query = query.where(PurchaseOrderReceipt.allocated_at.is_(None))
        return self.session.scalars(query.order_by(PurchaseOrderReceipt.receipt_no)).all()

    def receipt(self, receipt_id: int) -> PurchaseOrderReceipt | None:
        return self.session.get(PurchaseOrderReceipt, receipt_id)

    def titles(self, po_id: int) -> dict[str, str]:
        """SKU -> the product title of the latest store order line a line of the order covers (for the
        purchase sheet a person reads); SKUs whose lines carry no title are left out."""
        rows = self.session.execute(
            select(PurchaseOrderLine.sku, OrderLine.title)
            .join(PurchaseOrderBackorder, PurchaseOrderBackorder.purchase_order_line_id == PurchaseOrderLine.id)
            .join(Backorder, Backorder.id == PurchaseOrderBackorder.backorder_id)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .where(PurchaseOrderLine.purchase_order_id == po_id, OrderLine.title != "")
            .order_by(OrderLine.id))
        return {str(sku): str(title) for sku, title in rows}

    def orders_of_backorders(self, shop_id: int, backorder_ids: Collection[int]
                             ) -> Sequence[tuple[int, int, PurchaseOrder, str]]:
        """(backorder id, units ordered for it, purchase order, supplier name) for every purchase order
        line ordered for these backorders, oldest link first (the merchant's order timeline)."""
        rows = self.session.execute(
            select(PurchaseOrderBackorder.backorder_id, PurchaseOrderBackorder.quantity, PurchaseOrder, Supplier.name)
            .join(PurchaseOrderLine, PurchaseOrderLine.id == PurchaseOrderBackorder.purchase_order_line_id)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .where(PurchaseOrderBackorder.shop_id == shop_id,
                   PurchaseOrderBackorder.backorder_id.in_(list(backorder_ids)))
            .order_by(PurchaseOrderBackorder.id))
        return [(int(backorder_id), int(units), po, str(name)) for backorder_id, units, po, name in rows]
