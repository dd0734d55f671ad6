"""The Backorders page's reads: one page of a shop's backorders for a view, its counts, the CSV rows.

Two queries per page: the counts per status (every filter but the status; the view's total is the sum
of its statuses) and the page's rows (LIMIT/OFFSET in the view's order, the backorder's id the final
tie-break so paging is stable). Both start from ``ix_backorders_shop_status`` (shop, status); the
joins are on primary keys and unique keys (order line, order, ``sku_eta`` (shop, sku), ``supplier_stock``
(supplier, sku)). Measured at 10,000 open backorders in bench/app_pages.py.

The supplier shown for a backorder is the one whose date is in force for its SKU (``sku_eta``), else
the first by name of the suppliers that list the SKU (``supplier_stock``); the supplier filter keeps
backorders whose SKU the supplier lists or whose date it gave.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from connector.db.models import Backorder, Order, OrderLine
from connector.db.repositories import Repository
from connector.db.uow import UnitOfWork
from connector.merchant.backorder_filters import PAGE_SIZE, STATUSES, BackorderView
from connector.supply.models import SkuEta, Supplier, SupplierStock

AnySelect: TypeAlias = Select[*tuple[Any, ...]]

EXPORT_BATCH = 1000
"""Rows fetched from the database at a time while a CSV export streams."""


@dataclass(frozen=True)
class BackorderRow:
    backorder_id: int
    platform_order_id: str
    order_name: str
    ordered_at: datetime
    title: str
    sku: str | None
    quantity: int
    quantity_allocated: int
    quantity_shipped: int
    status: str
    created_at: datetime
    promised_date: date | None
    expected_date: date | None
    supplier: str | None

    def age_days(self, now: datetime) -> int:
        """Whole days since the backorder was captured."""
        return max(0, (now - self.created_at).days)


@dataclass(frozen=True)
class BackorderPage:
    view: BackorderView
    rows: list[BackorderRow]
    counts: dict[str, int]
    """Backorders per status matching every filter but the status (each status present, 0 when none)."""
    total: int
    """Backorders the view matches (all pages)."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def first_shown(self) -> int:
        return self.view.offset + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return self.view.offset + len(self.rows)


_listed = aliased(Supplier)


def _supplier_name() -> ColumnElement[Any]:
    """The supplier behind the SKU's date, else the first by name that lists the SKU."""
    listing = (select(func.min(_listed.name))
               .select_from(SupplierStock).join(_listed, _listed.id == SupplierStock.supplier_id)
               .where(SupplierStock.shop_id == Backorder.shop_id, SupplierStock.sku == Backorder.sku)
               .correlate(Backorder).scalar_subquery())
    return func.coalesce(Supplier.name, listing)


def _supplier_per_sku(shop_id: int, statuses: Sequence[str]) -> Subquery:
    """(sku, supplier) for each SKU of the shop's backorders in these statuses: the same name as
    ``_supplier_name`` gives each of its backorders."""
    skus = (select(Backorder.sku.label("sku")).where(Backorder.shop_id == shop_id,
                                                      Backorder.status.in_(list(statuses)))
            .distinct().subquery("skus"))
    listing = (select(func.min(_listed.name))
               .select_from(SupplierStock).join(_listed, _listed.id == SupplierStock.supplier_id)
               .where(SupplierStock.shop_id == shop_id, SupplierStock.sku == skus.c.sku)
               .correlate(skus).scalar_subquery())
    dated = aliased(Supplier)
    return (select(skus.c.sku, func.coalesce(dated.name, listing).label("supplier")).select_from(skus)
            .outerjoin(SkuEta, and_(SkuEta.shop_id == shop_id, SkuEta.sku == skus.c.sku))
            .outerjoin(dated, dated.id == SkuEta.supplier_id).subquery("per_sku"))


_STATUS_ORDER = case({status: rank for rank, status in enumerate(STATUSES)}, value=Backorder.status, else_=99)


class BackorderListRepository(Repository):
    """The merchant's view of one shop's backorders."""

    def counts(self, shop_id: int, view: BackorderView, now: datetime) -> dict[str, int]:
        query: AnySelect = select(Backorder.status, func.count()).select_from(Backorder)
        query = self._filtered(query, shop_id, view, now, statuses=None).group_by(Backorder.status)
        found = {status: count for status, count in self.session.execute(query)}
        return {status: int(found.get(status, 0)) for status in STATUSES}

    def rows(self, shop_id: int, view: BackorderView, now: datetime, *, limit: int | None,
             offset: int = 0) -> Iterator[BackorderRow]:
        """The view's rows in its order (``limit`` None: every row, fetched in batches).

        A page is chosen first on the backorders alone (joined only to what the filters and the sort
        need), then only its rows are joined to their orders, lines and suppliers."""
        supplier = _supplier_name().label("supplier")
        query: AnySelect = (select(Backorder.id, Order.platform_order_id, Order.name, Order.ordered_at, OrderLine.title,
                        Backorder.sku, Backorder.quantity_backordered, Backorder.quantity_allocated,
                        Backorder.quantity_shipped, Backorder.status, Backorder.created_at,
                        Backorder.promised_date, Backorder.expected_date, supplier)
                 .select_from(Backorder).join(OrderLine, OrderLine.id == Backorder.order_line_id)
                 .join(Order, Order.id == OrderLine.order_id)
                 .outerjoin(SkuEta, and_(SkuEta.shop_id == Backorder.shop_id, SkuEta.sku == Backorder.sku))
                 .outerjoin(Supplier, Supplier.id == SkuEta.supplier_id))
        if limit is None:
            query = self._filtered(query, shop_id, view, now, statuses=view.statuses, joined=True)
            result = self.session.execute(query.order_by(*self._order(view, supplier)),
                                          execution_options={"yield_per": EXPORT_BATCH})
        else:
            page: AnySelect = select(Backorder.id).select_from(Backorder)
            page = self._filtered(page, shop_id, view, now, statuses=view.statuses, sort=view.sort)
            sort_supplier: ColumnElement[Any] = supplier
            if view.sort == "supplier":  # each SKU's supplier looked up once, not once per backorder
                per_sku = _supplier_per_sku(shop_id, view.statuses)
                page = page.outerjoin(per_sku, per_sku.c.sku == Backorder.sku)
                sort_supplier = per_sku.c.supplier
            page = page.order_by(*self._order(view, sort_supplier)).limit(limit).offset(offset)
            query = query.where(Backorder.id.in_(page.scalar_subquery()))
            result = self.session.execute(query.order_by(*self._order(view, supplier)))
        for row in result:
            yield BackorderRow(*row)

    def _filtered(self, query: AnySelect, shop_id: int, view: BackorderView, now: datetime, *,
                  statuses: Sequence[str] | None, joined: bool = False, sort: str | None = None) -> AnySelect:
        """``query`` (from backorders) narrowed to the view; ``joined``: it already joins the order, line,
        SKU date and supplier; else only those the filters (and ``sort``) need are joined."""
        query = query.where(Backorder.shop_id == shop_id)
        if statuses is not None:
            query = query.where(Backorder.status.in_(list(statuses)))
        if not joined and (view.order or sort == "order"):
            query = (query.join(OrderLine, OrderLine.id == Backorder.order_line_id)
                     .join(Order, Order.id == OrderLine.order_id))
        if not joined and view.supplier_id is not None:
            query = query.outerjoin(SkuEta, and_(SkuEta.shop_id == Backorder.shop_id, SkuEta.sku == Backorder.sku))
        if view.sku:
            if view.sku.endswith("*"):
                query = query.where(Backorder.sku.like(_like_prefix(view.sku[:-1]), escape="\\"))
            else:
                query = query.where(Backorder.sku == view.sku)
        if view.supplier_id is not None:
            listed = exists().where(SupplierStock.supplier_id == view.supplier_id,
                                    SupplierStock.shop_id == Backorder.shop_id, SupplierStock.sku == Backorder.sku)
            query = query.where(or_(SkuEta.supplier_id == view.supplier_id, listed))
        if view.order:
            term = view.order.lstrip("#")
            query = query.where(or_(Order.platform_order_id == view.order,
                                    Order.name.ilike("%" + _escape(term) + "%", escape="\\")))
        if view.min_age_days is not None:
            query = query.where(Backorder.created_at <= now - timedelta(days=view.min_age_days))
        if view.max_age_days is not None:
            query = query.where(Backorder.created_at > now - timedelta(days=view.max_age_days + 1))
        if view.expected_from is not None:
            query = query.where(Backorder.expected_date >= view.expected_from)
        if view.expected_to is not None:
            query = query.where(Backorder.expected_date <= view.expected_to)
        return query

    @staticmethod
    def _order(view: BackorderView, supplier: ColumnElement[Any]) -> list[ColumnElement[Any]]:
        ascending = view.direction == "asc"
        if view.sort == "age":  # older is greater age: age ascending is newest first
            keys: list[ColumnElement[Any]] = [Backorder.created_at.desc() if ascending else Backorder.created_at.asc()]
        elif view.sort == "status":
            keys = [_STATUS_ORDER.asc() if ascending else _STATUS_ORDER.desc()]
        elif view.sort == "order":
            keys = [Order.ordered_at.asc() if ascending else Order.ordered_at.desc()]
        else:
            column = {"sku": Backorder.sku, "supplier": supplier, "expected": Backorder.expected_date}[view.sort]
            keys = [(column.asc() if ascending else column.desc()).nulls_last()]  # no value: last
        return [*keys, Backorder.id.asc() if ascending else Backorder.id.desc()]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_prefix(text: str) -> str:
    return _escape(text) + "%"


def backorders_page(uow: UnitOfWork, shop_id: int, view: BackorderView, now: datetime) -> BackorderPage:
    """One page of the view (the last page when ``view.page`` is beyond it), with its counts."""
    with uow:
        repo = uow.repo(BackorderListRepository)
        counts = repo.counts(shop_id, view, now)
        total = sum(counts[status] for status in view.statuses)
        last_page = max(1, -(-total // PAGE_SIZE))
        if view.page > last_page:
            view = view.with_page(last_page)
        rows = list(repo.rows(shop_id, view, now, limit=PAGE_SIZE, offset=view.offset))
        return BackorderPage(view=view, rows=rows, counts=counts, total=total)


EXPORT_HEADER = ("Order", "Order id", "Ordered at", "SKU", "Product", "Quantity", "Allocated", "Shipped",
                 "Status", "Captured at", "Age (days)", "Promised date", "Expected date", "Supplier")


def export_rows(uow: UnitOfWork, shop_id: int, view: BackorderView, now: datetime) -> Iterator[list[object]]:
    """Every row of the view (all pages), the header first, for ``write_sheet``: read in batches while
    the caller streams them (the unit of work stays open until the last row is taken)."""
    yield list(EXPORT_HEADER)
    with uow:
        for row in uow.repo(BackorderListRepository).rows(shop_id, view, now, limit=None):
            yield [row.order_name, row.platform_order_id, _iso(row.ordered_at), row.sku, row.title, row.quantity,
                   row.quantity_allocated, row.quantity_shipped, row.status, _iso(row.created_at),
                   row.age_days(now), row.promised_date, row.expected_date, row.supplier]


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")
