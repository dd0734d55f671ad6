"""Queries of reorder advice, each scoped to one shop."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update

from connector.db.models import Order, OrderLine, Shop
from connector.db.models_jobs import JobRun
from connector.db.repositories import Repository
from connector.purchasing.models import PurchaseOrder, PurchaseOrderLine
from connector.reorder.models import SalesDaily, SalesHistory, SalesOrder, StoredAdvice
from connector.supply.models import StoreSku, Supplier, SupplierStock

ON_ORDER_STATUSES = ("approved", "sending", "placed", "partially_received")
"""A purchase order in one of these brings units that are not in the store's stock yet."""
ADVICE_LOCK_NAMESPACE = 0x52_41  # "RA": transaction advisory locks of one shop's stored reorder advice
ADVICE_COLUMNS = (StoredAdvice.sku, StoredAdvice.status, StoredAdvice.urgency, StoredAdvice.reorder_by,
                  StoredAdvice.quantity, StoredAdvice.reorder_point, StoredAdvice.safety_stock,
                  StoredAdvice.on_hand, StoredAdvice.on_order, StoredAdvice.history_days, StoredAdvice.daily_rate,
                  StoredAdvice.trend, StoredAdvice.weekday_factors, StoredAdvice.lead_time_days,
                  StoredAdvice.lead_time_spread, StoredAdvice.lead_time_source, StoredAdvice.supplier,
                  StoredAdvice.reasons)
"""What an Advice is rebuilt from (connector/reorder/stored.py), in this order."""
ADVICE_ORDERS = {"urgency": (StoredAdvice.urgency_rank,), "reorder_by": (StoredAdvice.date_rank,),
                 "sku": (StoredAdvice.sku,)}
"""The stored advice's orders, each read through an index: (shop_id, urgency_rank), (shop_id, date_rank),
the unique (shop_id, sku)."""


class ReorderRepository(Repository):

    # -- what the advice reads -------------------------------------------------------------------

    def sales_since(self, shop_id: int, since: date) -> list[tuple[str, date, int]]:
        """(sku, day, units) of every day from ``since`` on with units sold."""
        rows = self.session.execute(
            select(SalesDaily.sku, SalesDaily.day, SalesDaily.units)
            .where(SalesDaily.shop_id == shop_id, SalesDaily.day >= since, SalesDaily.units != 0)).all()
        return [(sku, day, int(units)) for sku, day, units in rows]

    def first_sale_days(self, shop_id: int) -> dict[str, date]:
        """Each SKU's first day with units sold."""
        rows = self.session.execute(
            select(SalesDaily.sku, func.min(SalesDaily.day))
            .where(SalesDaily.shop_id == shop_id, SalesDaily.units > 0).group_by(SalesDaily.sku)).all()
        return {sku: day for sku, day in rows}

    def store_stock(self, shop_id: int) -> dict[str, int | None]:
        rows = self.session.execute(select(StoreSku.sku, StoreSku.available).where(StoreSku.shop_id == shop_id))
        return {sku: available for sku, available in rows}

    def on_order(self, shop_id: int) -> dict[str, int]:
        """Units of open purchase orders not received yet, per SKU."""
        rows = self.session.execute(
            select(PurchaseOrderLine.sku,
                   func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.quantity_received))
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrder.shop_id == shop_id, PurchaseOrder.status.in_(ON_ORDER_STATUSES))
            .group_by(PurchaseOrderLine.sku)).all()
        return {sku: max(0, int(units or 0)) for sku, units in rows}

    def suppliers(self, shop_id: int) -> list[Supplier]:
        return list(self.session.scalars(select(Supplier).where(Supplier.shop_id == shop_id)
                                         .order_by(Supplier.id)))

    def supplier_skus(self, shop_id: int) -> list[tuple[str, int, int | None]]:
        """(sku, supplier id, the supplier's stated lead time for it) of every SKU a supplier reports."""
        rows = self.session.execute(
            select(SupplierStock.sku, SupplierStock.supplier_id, SupplierStock.lead_time_days)
            .where(SupplierStock.shop_id == shop_id).order_by(SupplierStock.supplier_id)).all()
        return [(sku, supplier_id, lead) for sku, supplier_id, lead in rows]

    def last_ordered_from(self, shop_id: int) -> dict[str, int]:
        """Per SKU, the supplier of its latest placed purchase order."""
        rows = self.session.execute(
            select(PurchaseOrderLine.sku, PurchaseOrder.supplier_id)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrder.shop_id == shop_id, PurchaseOrder.placed_at.is_not(None))
            .order_by(PurchaseOrder.placed_at, PurchaseOrder.id)).all()
        return {sku: supplier_id for sku, supplier_id in rows}

    def received_orders(self, shop_id: int) -> list[tuple[int, datetime, datetime]]:
        """(supplier id, placed at, received at) of every purchase order received in full."""
        rows = self.session.execute(
            select(PurchaseOrder.supplier_id, PurchaseOrder.placed_at, PurchaseOrder.received_at)
            .where(PurchaseOrder.shop_id == shop_id, PurchaseOrder.status == "received",
                   PurchaseOrder.placed_at.is_not(None), PurchaseOrder.received_at.is_not(None))).all()
        return [(supplier_id, placed, received) for supplier_id, placed, received in rows
                if placed is not None and received is not None]

    # -- the history read and the fold -----------------------------------------------------------

    def unfinished_run(self, shop_id: int, job: str) -> int | None:
        """The newest run of ``job`` for the shop still pending or running (the read in progress), if any."""
        return self.session.scalar(
            select(JobRun.id).where(JobRun.shop_id == shop_id, JobRun.job == job,
                                    JobRun.status.in_(("pending", "running")))
            .order_by(JobRun.id.desc()).limit(1))

    def shops_never_read(self) -> list[int]:
        """Active shops whose sales history was never read (no row, or status none)."""
        rows = self.session.scalars(
            select(Shop.id).outerjoin(SalesHistory, SalesHistory.shop_id == Shop.id)
            .where(Shop.status == "active", (SalesHistory.shop_id.is_(None)) | (SalesHistory.status == "none"))
            .order_by(Shop.id))
        return list(rows)

    def history(self, shop_id: int) -> SalesHistory:
        """The shop's row, created on first use."""
        row = self.session.get(SalesHistory, shop_id)
        if row is None:
            row = SalesHistory(shop_id=shop_id, status="none", pages=0, orders_read=0)
            self.session.add(row)
            self.session.flush()
        return row

    def counted(self, shop_id: int, order_ids: Iterable[str]) -> dict[str, tuple[date, dict[str, int]]]:
        """What each of these orders counted so far: (day, {sku: units})."""
        ids = list(dict.fromkeys(order_ids))
        found: dict[str, tuple[date, dict[str, int]]] = {}
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                select(SalesOrder.platform_order_id, SalesOrder.day, SalesOrder.units)
                .where(SalesOrder.shop_id == shop_id, SalesOrder.platform_order_id.in_(ids[start:start + 500])))
            for order_id, day, units in rows:
                found[order_id] = (day, {str(k): int(v) for k, v in json.loads(units).items()})
        return found

    def record_counted(self, shop_id: int, counted: Mapping[str, tuple[date, dict[str, int]]],
                       known: Iterable[str], source: str, now: datetime) -> None:
        """Write what each order counts now (insert the new ones, update the ones in ``known``)."""
        known_ids = set(known)
        new = [{"shop_id": shop_id, "platform_order_id": order_id, "day": day, "units": json.dumps(units),
                "source": source, "updated_at": now}
               for order_id, (day, units) in counted.items() if order_id not in known_ids]
        if new:
            self.session.execute(insert(SalesOrder), new)
        for order_id, (day, units) in counted.items():
            if order_id in known_ids:
                self.session.execute(
                    update(SalesOrder)
                    .where(SalesOrder.shop_id == shop_id, SalesOrder.platform_order_id == order_id)
                    .values(day=day, units=json.dumps(units), source=source, updated_at=now))

    def add_to_days(self, shop_id: int, deltas: Mapping[tuple[str, date], tuple[int, int]]) -> None:
        """Add (units, orders) to each (sku, day), creating the rows that do not exist yet."""
        if not deltas:
            return
        keys = list(deltas)
        existing: dict[tuple[str, date], int] = {}
        skus = sorted({sku for sku, _ in keys})
        days = sorted({day for _, day in keys})
        for start in range(0, len(skus), 500):
            rows = self.session.execute(
                select(SalesDaily.id, SalesDaily.sku, SalesDaily.day)
                .where(SalesDaily.shop_id == shop_id, SalesDaily.sku.in_(skus[start:start + 500]),
                       SalesDaily.day >= days[0], SalesDaily.day <= days[-1]))
            for row_id, sku, day in rows:
                existing[(sku, day)] = row_id
        new = [{"shop_id": shop_id, "sku": sku, "day": day, "units": units, "orders": orders}
               for (sku, day), (units, orders) in deltas.items() if (sku, day) not in existing]
        if new:
            self.session.execute(insert(SalesDaily), new)
        for key, row_id in existing.items():
            if key in deltas:
                units, orders = deltas[key]
                self.session.execute(update(SalesDaily).where(SalesDaily.id == row_id)
                                     .values(units=SalesDaily.units + units, orders=SalesDaily.orders + orders))

    def captured_since(self, shop_id: int, since: datetime | None, after: tuple[datetime, int] | None,
                       limit: int) -> list[Any]:
        """Up to ``limit`` captured orders updated (store time) at or after ``since`` and past ``after`` (the
        last (updated at, id) of the previous batch), oldest update first, as rows of (order pk, platform
        order id, ordered at, updated at, status, sku, quantity), one per line (an order without lines: one
        row with sku None)."""
        orders = select(Order.id).where(Order.shop_id == shop_id)
        if since is not None:
            orders = orders.where(Order.platform_updated_at >= since)
        if after is not None:
            orders = orders.where((Order.platform_updated_at > after[0])
                                  | ((Order.platform_updated_at == after[0]) & (Order.id > after[1])))
        ids = list(self.session.scalars(orders.order_by(Order.platform_updated_at, Order.id).limit(limit)))
        if not ids:
            return []
        return list(self.session.execute(
            select(Order.id, Order.platform_order_id, Order.ordered_at, Order.platform_updated_at, Order.status,
                   OrderLine.sku, OrderLine.quantity)
            .outerjoin(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.id.in_(ids)).order_by(Order.platform_updated_at, Order.id)).all())

    # -- the stored advice -----------------------------------------------------------------------

    def lock_advice(self, shop_id: int) -> None:
        """Serialise writers of the shop's stored advice until this transaction ends (PostgreSQL: a
        transaction advisory lock; SQLite serialises writers itself)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :shop)"),
                                 {"ns": ADVICE_LOCK_NAMESPACE, "shop": shop_id})

    def replace_advice(self, shop_id: int, rows: list[dict[str, Any]]) -> None:
        """The shop's stored advice becomes ``rows``: one DELETE, then multi-row INSERTs."""
        self.session.execute(delete(StoredAdvice).where(StoredAdvice.shop_id == shop_id))
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(StoredAdvice), rows[start:start + 5000])

    def advice_counts(self, shop_id: int) -> dict[str, int]:
        """Stored SKUs per status (the (shop_id, status) index)."""
        rows = self.session.execute(select(StoredAdvice.status, func.count())
                                    .where(StoredAdvice.shop_id == shop_id).group_by(StoredAdvice.status))
        return {status: int(n) for status, n in rows}

    def advice_rows(self, shop_id: int, order: str = "urgency", reverse: bool = False, offset: int = 0,
                    limit: int | None = None) -> list[Any]:
        """Stored rows (``ADVICE_COLUMNS``) in one of ``ADVICE_ORDERS``, from ``offset``, ``limit`` of them."""
        keys = ADVICE_ORDERS[order]
        query = (select(*ADVICE_COLUMNS).where(StoredAdvice.shop_id == shop_id)
                 .order_by(*(k.desc() if reverse else k for k in keys)).offset(offset))
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.execute(query).all())
