"""Queries for suppliers, their stock, the catalogue mirror and SKU dates; every one scoped to a shop.

Bulk paths (feed ingest, date refresh, publishing) use Core statements with executemany and
never load ORM objects per row, so memory stays flat however large the feed; feed ingest's are in
repositories_feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from connector.db.models import Backorder, Shop
from connector.db.uow import UnitOfWork
from connector.supply.feed_repository import FeedStockQueries, LineHashes, StockState
from connector.supply.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    SkuEta,
    StoreSku,
    Supplier,
    SupplierSnapshot,
    SupplierStock,
)

__all__ = ["LineHashes", "StockState", "SupplyRepository", "supply"]

PRUNE_SLACK = 1000
"""Stored rows beyond the catalogue's size before a poll deletes the rows of unsold SKUs."""


class SupplyRepository(FeedStockQueries):
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- suppliers -------------------------------------------------------------------------------

    def supplier(self, supplier_id: int) -> Supplier | None:
        return self.session.get(Supplier, supplier_id)

    def supplier_by_name(self, shop_id: int, name: str) -> Supplier | None:
        return self.session.scalar(select(Supplier).where(Supplier.shop_id == shop_id, Supplier.name == name))

    def suppliers(self, shop_id: int | None = None, *, active_only: bool = False) -> Sequence[Supplier]:
        query = select(Supplier).order_by(Supplier.shop_id, Supplier.name)
        if shop_id is not None:
            query = query.where(Supplier.shop_id == shop_id)
        if active_only:  # an active supplier of an active (installed) shop
            query = query.join(Shop, Shop.id == Supplier.shop_id).where(Supplier.status == "active",
                                                                         Shop.status == "active")
        return self.session.scalars(query).all()

    def add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def snapshot(self, snapshot_id: int) -> SupplierSnapshot | None:
        return self.session.get(SupplierSnapshot, snapshot_id)

    def snapshots(self, supplier_id: int, limit: int = 20) -> Sequence[SupplierSnapshot]:
        return self.session.scalars(select(SupplierSnapshot).where(SupplierSnapshot.supplier_id == supplier_id)
                                    .order_by(SupplierSnapshot.id.desc()).limit(limit)).all()

    # -- what the date rules read ----------------------------------------------------------------

    def store_skus(self, shop_id: int) -> dict[str, tuple[int | None, bool]]:
        rows = self.session.execute(select(StoreSku.sku, StoreSku.available, StoreSku.backorders_allowed)
                                    .where(StoreSku.shop_id == shop_id))
        return {sku: (available, allowed) for sku, available, allowed in rows}

    def sold_skus(self, shop_id: int) -> frozenset[str] | None:
        """The SKUs a supplier poll stores for this shop: the store's catalogue and the SKUs of open
        backorders. None until the catalogue has been read (then every SKU of a feed is stored)."""
        catalogue = set(self.session.scalars(select(StoreSku.sku).where(StoreSku.shop_id == shop_id)))
        if not catalogue:
            return None
        catalogue.update(self.session.scalars(select(Backorder.sku).where(
            Backorder.shop_id == shop_id, Backorder.status == "open", Backorder.sku.is_not(None))))
        catalogue.discard("")
        return frozenset(catalogue)

    def prune_unsold(self, shop_id: int, supplier_id: int, sold: int) -> int:
        """Delete a supplier's stock rows of SKUs the shop does not sell, once they clearly outnumber
        the catalogue (``sold`` SKUs; e.g. the rows of a poll that ran before the catalogue was read).
        Rows with drop-ship terms set by hand stay. Returns the rows deleted."""
        stored = self.session.scalar(select(func.count()).select_from(SupplierStock)
                                     .where(SupplierStock.supplier_id == supplier_id)) or 0
        if stored <= sold + max(PRUNE_SLACK, sold // 4):
            return 0
        catalogue = select(StoreSku.sku).where(StoreSku.shop_id == shop_id)
        waiting = select(Backorder.sku).where(Backorder.shop_id == shop_id, Backorder.status == "open",
                                              Backorder.sku.is_not(None))
        result = self.session.execute(delete(SupplierStock).where(
            SupplierStock.supplier_id == supplier_id, SupplierStock.dropship.is_(False),
            SupplierStock.unit_cost.is_(None), SupplierStock.sku.not_in(catalogue), SupplierStock.sku.not_in(waiting)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def shop_offers(self, shop_id: int, skus: Sequence[str]) -> Iterable[tuple[Any, ...]]:
        """(sku, supplier id, quantity, restock date, row lead time, supplier lead time, handling, transit)."""
        return self.session.execute(
            select(SupplierStock.sku, Supplier.id, SupplierStock.quantity, SupplierStock.restock_date,
                   SupplierStock.lead_time_days, Supplier.lead_time_days, Supplier.handling_days,
                   Supplier.transit_days)
            .join(Supplier, Supplier.id == SupplierStock.supplier_id)
            .where(SupplierStock.shop_id == shop_id, Supplier.status == "active",
                   SupplierStock.sku.in_(list(skus))))

    def open_purchase_orders(self, shop_id: int) -> Iterable[tuple[str, int, date | None, int]]:
        return self.session.execute(
            select(PurchaseOrderLine.sku, PurchaseOrder.supplier_id, PurchaseOrder.expected_date,
                   PurchaseOrderLine.quantity)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrder.shop_id == shop_id, PurchaseOrder.status == "placed",
                   PurchaseOrder.expected_date.is_not(None)))  # type: ignore[return-value]

    def waiting_units(self, shop_id: int) -> dict[str, int]:
        units: dict[str, int] = {}
        for sku, quantity in self.session.execute(
                select(Backorder.sku, Backorder.quantity_backordered)
                .where(Backorder.shop_id == shop_id, Backorder.status == "open", Backorder.sku.is_not(None))):
            if sku is not None:
                units[sku] = units.get(sku, 0) + quantity
        return units

    # -- sku dates -------------------------------------------------------------------------------

    def etas(self, shop_id: int) -> dict[str, SkuEta]:
        return {row.sku: row for row in self.session.scalars(select(SkuEta).where(SkuEta.shop_id == shop_id))}

    def open_backorders(self, shop_id: int) -> Sequence[Backorder]:
        return self.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id,
                                                            Backorder.status == "open")).all()

    def store_sku_rows(self, shop_id: int) -> dict[str, StoreSku]:
        return {row.sku: row for row in self.session.scalars(select(StoreSku).where(StoreSku.shop_id == shop_id))}

    def unpublished(self, shop_id: int) -> Sequence[tuple[SkuEta, StoreSku]]:
        """SKU dates whose product page shows something else, with where the SKU lives."""
        rows = self.session.execute(
            select(SkuEta, StoreSku).join(StoreSku, (StoreSku.shop_id == SkuEta.shop_id) & (StoreSku.sku == SkuEta.sku))
            .where(SkuEta.shop_id == shop_id,
                   (SkuEta.expected_date != SkuEta.published_date)
                   | (SkuEta.expected_date.is_(None) & SkuEta.published_date.is_not(None))
                   | (SkuEta.expected_date.is_not(None) & SkuEta.published_date.is_(None)))
            .order_by(SkuEta.sku))
        return [(eta, sku) for eta, sku in rows]

    def mark_published(self, shop_id: int, published: Mapping[str, date | None], at: datetime) -> None:
        if not published:
            return
        statement = (update(SkuEta).where(SkuEta.shop_id == shop_id, SkuEta.sku == bindparam("b_sku"))
                     .values(published_date=bindparam("b_date"), published_at=at, publish_error=None))
        self.session.connection().execute(statement, [{"b_sku": sku, "b_date": day} for sku, day in published.items()])


def supply(uow: UnitOfWork) -> SupplyRepository:
    assert uow.session is not None, "use inside `with uow:`"
    return SupplyRepository(uow.session)
