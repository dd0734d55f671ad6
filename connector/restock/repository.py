"""Restock's queries: backorders still waiting for units, arrivals processed, allocations made and
the stock positions' last known units in hand. Set-based: one query per batch of SKUs or positions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, func, insert, literal, select, update

from connector.db.models import Backorder, Order, OrderLine, UTCDateTime
from connector.db.repositories import Repository
from connector.restock.models import Allocation, StockArrival, StockPosition
from connector.supply.models import StoreSku, SupplierStock

ID_CHUNK = 900
"""Ids per IN list (SQLite allows 32,766 parameters; PostgreSQL 65,535)."""

WAITING = ("open", "allocated")
"""Backorder states still waiting (still a backorder): units short, or set aside and not shipped."""


class RestockRepository(Repository):

    def waiting_rows(self, shop_id: int, *, skus: Collection[str] | None = None,
                     keys: Collection[str] | None = None) -> Sequence[tuple[Any, ...]]:
        """Open backorders still short of units (allocated fewer than backordered) of open orders, by
        SKU or by stock position, as columns in one query: backorder id, sku, stock key, quantity
        backordered, quantity allocated, platform order id, platform line id, ordered at, order tags."""
        query = (select(Backorder.id, Backorder.sku, Backorder.stock_key, Backorder.quantity_backordered,
                        Backorder.quantity_allocated, Order.platform_order_id, OrderLine.platform_line_id,
                        Order.ordered_at, Order.tags)
                 .join(OrderLine, OrderLine.id == Backorder.order_line_id)
                 .join(Order, Order.id == OrderLine.order_id)
                 .where(Backorder.shop_id == shop_id, Backorder.status == "open", Order.status == "open",
                        Backorder.quantity_allocated < Backorder.quantity_backordered))
        if skus is not None:
            query = query.where(Backorder.sku.in_(list(skus)))
        if keys is not None:
            query = query.where(Backorder.stock_key.in_(list(keys)))
        return [tuple(row) for row in self.session.execute(query)]

    def seen_arrivals(self, shop_id: int, source: str, references: Collection[str]) -> set[str]:
        if not references:
            return set()
        return set(self.session.scalars(select(StockArrival.reference).where(
            StockArrival.shop_id == shop_id, StockArrival.source == source,
            StockArrival.reference.in_(list(references)))))

    def add_arrivals(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(StockArrival), rows)

    def add_allocations(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(Allocation), rows)

    def allocate_whole(self, shop_id: int, backorder_ids: Sequence[int], source: str, reference: str,
                       now: datetime, today: date) -> None:
        """Set aside the whole remaining need of these waiting backorders from one arrival: their
        allocation rows (INSERT ... SELECT), then the backorders allocated, one statement each per
        ``ID_CHUNK`` ids. The ids lead the lookup (primary key); ``shop_id + 0`` still scopes each row
        to the shop but keeps SQLite from walking the shop's index instead (100x slower at 100,000 rows)."""
        for first in range(0, len(backorder_ids), ID_CHUNK):
            ids = list(backorder_ids[first:first + ID_CHUNK])
            self.session.execute(insert(Allocation).from_select(
                ["shop_id", "backorder_id", "quantity", "source", "reference", "created_at"],
                select(Backorder.shop_id, Backorder.id, Backorder.quantity_backordered - Backorder.quantity_allocated,
                       literal(source, String()), literal(reference, String()), literal(now, UTCDateTime()))
                .where(Backorder.id.in_(ids), Backorder.shop_id + 0 == shop_id)))
            self.session.execute(
                update(Backorder).where(Backorder.id.in_(ids), Backorder.shop_id + 0 == shop_id)
                .values(quantity_allocated=Backorder.quantity_backordered, status="allocated", allocated_at=now,
                        expected_date=today, updated_at=now)
                .execution_options(synchronize_session=False))

    def allocated_from(self, shop_id: int, source: str, skus: Collection[str]) -> dict[str, int]:
        """Units allocated from ``source`` to backorders still waiting (open or allocated), by SKU."""
        if not skus:
            return {}
        rows = self.session.execute(
            select(Backorder.sku, func.sum(Allocation.quantity))
            .join(Backorder, Backorder.id == Allocation.backorder_id)
            .where(Allocation.shop_id == shop_id, Allocation.source == source, Backorder.status.in_(WAITING),
                   Backorder.sku.in_(list(skus)))
            .group_by(Backorder.sku))
        return {str(sku): int(total or 0) for sku, total in rows}

    def supplier_quantities(self, shop_id: int, supplier_id: int) -> dict[str, int]:
        """A supplier's last reported quantity (> 0) of each SKU that has backorders still short of units."""
        short = (select(Backorder.sku).where(Backorder.shop_id == shop_id, Backorder.status == "open",
                                             Backorder.quantity_allocated < Backorder.quantity_backordered)
                 .distinct())
        rows = self.session.execute(select(SupplierStock.sku, SupplierStock.quantity).where(
            SupplierStock.shop_id == shop_id, SupplierStock.supplier_id == supplier_id, SupplierStock.quantity > 0,
            SupplierStock.sku.in_(short)))
        return {str(sku): int(quantity or 0) for sku, quantity in rows}

    def add_allocation(self, allocation: Allocation) -> None:
        self.session.add(allocation)

    def set_backorders(self, rows: list[dict[str, Any]]) -> None:
        """Update backorders by primary key (``id`` in each row; every row the same columns), in one
        executemany."""
        if rows:
            self.session.execute(update(Backorder), rows)

    def allocations_of(self, shop_id: int, backorder_ids: Collection[int] | None = None) -> Sequence[Allocation]:
        query = select(Allocation).where(Allocation.shop_id == shop_id).order_by(Allocation.id)
        if backorder_ids is not None:
            query = query.where(Allocation.backorder_id.in_(list(backorder_ids)))
        return self.session.scalars(query).all()

    def positions(self, shop_id: int, keys: Collection[str]) -> dict[str, StockPosition]:
        if not keys:
            return {}
        rows = self.session.scalars(select(StockPosition).where(
            StockPosition.shop_id == shop_id, StockPosition.stock_key.in_(list(keys))))
        return {row.stock_key: row for row in rows}

    def add_positions(self, rows: list[dict[str, Any]]) -> None:
        """New stock positions (each row: shop_id, stock_key and figures), in one executemany."""
        if rows:
            self.session.execute(insert(StockPosition), rows)

    def add_position(self, position: StockPosition) -> StockPosition:
        self.session.add(position)
        return position

    def keys_of_inventory_items(self, shop_id: int, item_ids: Collection[str]) -> dict[str, str]:
        """Stock keys by Shopify inventory item id: the positions whose item id a stock read recorded,
        then the store's catalogue mirror (store_skus, its variant id) for the others."""
        if not item_ids:
            return {}
        rows = self.session.execute(select(StockPosition.inventory_item_id, StockPosition.stock_key).where(
            StockPosition.shop_id == shop_id, StockPosition.inventory_item_id.in_(list(item_ids))))
        found = {str(item): key for item, key in rows}
        rest = [item for item in item_ids if item not in found]
        if rest:
            found.update({str(item): str(variant) for item, variant in self.session.execute(
                select(StoreSku.inventory_item_id, StoreSku.variant_id).where(
                    StoreSku.shop_id == shop_id, StoreSku.inventory_item_id.in_(rest),
                    StoreSku.variant_id.is_not(None)))})
        return found

    def waiting_positions(self, shop_id: int, after: str = "", limit: int = 250) -> list[tuple[str, str | None,
                                                                                             str | None]]:
        """Stock positions with waiting backorders (open or allocated) of open orders, key order, after
        ``after``: (stock key, product id, variant id), ``limit`` at most."""
        rows = self.session.execute(
            select(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id)
            .join(Backorder, Backorder.order_line_id == OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Backorder.shop_id == shop_id, Backorder.status.in_(WAITING), Order.status == "open",
                   OrderLine.stock_key.is_not(None), OrderLine.stock_key > after)
            .group_by(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id)
            .order_by(OrderLine.stock_key).limit(limit))
        return [(str(key), product, variant) for key, product, variant in rows]

    def refs_of_keys(self, shop_id: int, keys: Collection[str]) -> list[tuple[str, str | None, str | None]]:
        """(stock key, product id, variant id) of open lines on these positions (one per key)."""
        if not keys:
            return []
        rows = self.session.execute(
            select(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.shop_id == shop_id, OrderLine.stock_key.in_(list(keys)), Order.status == "open")
            .group_by(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id))
        seen: dict[str, tuple[str, str | None, str | None]] = {}
        for key, product, variant in rows:
            seen.setdefault(str(key), (str(key), product, variant))
        return list(seen.values())

    def keys_of_skus(self, shop_id: int, skus: Collection[str]) -> dict[str, set[str]]:
        """Stock keys of open lines by SKU."""
        if not skus:
            return {}
        found: dict[str, set[str]] = {}
        rows = self.session.execute(select(OrderLine.sku, OrderLine.stock_key).where(
            OrderLine.shop_id == shop_id, OrderLine.sku.in_(list(skus)), OrderLine.stock_key.is_not(None))
            .distinct())
        for sku, key in rows:
            found.setdefault(str(sku), set()).add(str(key))
        return found

    def waiting_with_allocations(self, shop_id: int, since: datetime | None = None) -> Sequence[int]:
        """Ids of allocated backorders (status 'allocated'), newest allocation first."""
        query = select(Backorder.id).where(Backorder.shop_id == shop_id, Backorder.status == "allocated")
        if since is not None:
            query = query.where(and_(Backorder.allocated_at.is_not(None), Backorder.allocated_at >= since))
        return list(self.session.scalars(query.order_by(Backorder.allocated_at.desc())))
