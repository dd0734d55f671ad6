"""The history of supplier stock and dates: ``supplier_changes`` and the first loads (migration 0037).

A poll writes a change row for each SKU whose stored quantity, restock date or lead time it changed,
with the previous values, and for each SKU new to the supplier (no previous values). A supplier's
first load (no stored stock when the poll began: as many SKUs as the shop sells, 100,000 for a big
catalogue) writes no change row per SKU: each stock row it writes names its snapshot
(``supplier_stock.first_load_snapshot_id``), which is its one row of history. Read here, a first load
gives the rows it would have written: for each of its SKUs still stored, the value as first loaded
(the previous values of the SKU's earliest later change, else the stock row as it stands), no
previous values, at the snapshot's start (the time the load gave its stock rows). Every change of a
stored quantity or date writes a change row with the previous values, so that is exact; deleting a
first-loaded row (``prune_unsold``) writes its row first (``keep_first_load_rows``).

Readers: the order timeline and the customer's order page (``SupplyRepository.changes_of_skus``). The
supplier date report (connector/reports/kpi_repository.py ``date_changes``) counts only rows with both
a restock date and a previous one, which a first load never has: it reads the table as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Insert, Select, and_, case, func, insert, null, select
from sqlalchemy.orm import Session, aliased

from connector.supply.models import Supplier, SupplierChange, SupplierSnapshot, SupplierStock

_later = aliased(SupplierChange, name="later")


def _first_loaded(where: ColumnElement[bool]) -> Select[Any]:
    """(shop, supplier, snapshot, sku, quantity, restock date, time) of the first-loaded rows ``where`` picks."""
    st, sn, c = SupplierStock, SupplierSnapshot, SupplierChange
    earliest = (select(func.min(c.id)).where(c.shop_id == st.shop_id, c.sku == st.sku, c.supplier_id == st.supplier_id,
                                             c.snapshot_id >= sn.id).scalar_subquery())
    changed = _later.id.is_not(None)
    return (select(st.shop_id, st.supplier_id, sn.id, st.sku,
                   case((changed, _later.previous_quantity), else_=st.quantity),
                   case((changed, _later.previous_restock_date), else_=st.restock_date),
                   sn.started_at)
            .select_from(st).join(sn, sn.id == st.first_load_snapshot_id)
            .outerjoin(_later, _later.id == earliest)
            .where(where))


def first_load_changes(session: Session, shop_id: int, skus: Sequence[str], since: datetime
                       ) -> list[tuple[SupplierChange, str]]:
    """The change rows first loads stand for, of these SKUs since ``since``, with the supplier's name
    (SupplierChange objects outside the session, id None), oldest first."""
    if not skus:
        return []
    rows = session.execute(
        _first_loaded(and_(SupplierStock.shop_id == shop_id, SupplierStock.sku.in_(list(skus)),
                           SupplierSnapshot.started_at >= since))
        .add_columns(Supplier.name).join(Supplier, Supplier.id == SupplierStock.supplier_id)
        .order_by(SupplierSnapshot.started_at, SupplierStock.id))
    return [(SupplierChange(shop_id=shop, supplier_id=supplier, snapshot_id=snapshot, sku=sku, quantity=quantity,
                            restock_date=restock, previous_quantity=None, previous_restock_date=None,
                            changed_at=at), name)
            for shop, supplier, snapshot, sku, quantity, restock, at, name in rows]


def supplier_history(session: Session, supplier_id: int) -> list[SupplierChange]:
    """Every change row of one supplier, its first loads' included (outside the session, id None), oldest
    first: what the per-SKU history would hold (for checks and exports; readers ask by SKU)."""
    changes = [(c, "") for c in session.scalars(select(SupplierChange).where(SupplierChange.supplier_id == supplier_id)
                                               .order_by(SupplierChange.changed_at, SupplierChange.id))]
    loads = [(SupplierChange(shop_id=shop, supplier_id=supplier, snapshot_id=snapshot, sku=sku, quantity=quantity,
                             restock_date=restock, previous_quantity=None, previous_restock_date=None,
                             changed_at=at), "")
             for shop, supplier, snapshot, sku, quantity, restock, at in session.execute(
                 _first_loaded(SupplierStock.supplier_id == supplier_id)
                 .order_by(SupplierSnapshot.started_at, SupplierStock.id))]
    return [change for change, _ in merged(changes, loads)]


def keep_first_load_rows(where: ColumnElement[bool]) -> Insert:
    """The change rows of the first-loaded stock rows ``where`` picks, written as rows of their own (before
    those stock rows are deleted, which would take their first load's history with them)."""
    query = _first_loaded(and_(SupplierStock.first_load_snapshot_id.is_not(None), where)).order_by(SupplierStock.id)
    return insert(SupplierChange).from_select(
        ["shop_id", "supplier_id", "snapshot_id", "sku", "quantity", "restock_date", "changed_at",
         "previous_quantity", "previous_restock_date"],
        query.add_columns(null(), null()))


def merged(changes: Sequence[tuple[SupplierChange, str]], loads: Sequence[tuple[SupplierChange, str]]
           ) -> list[tuple[SupplierChange, str]]:
    """Change rows and first-load rows, oldest first (a first load's row before a change at the same time,
    as its row was written first)."""
    if not loads:
        return list(changes)
    return sorted([*loads, *changes], key=lambda pair: (pair[0].changed_at, pair[0].id is not None, pair[0].id or 0))
