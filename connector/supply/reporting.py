"""Read models for the supply feature: SKU dates for the CLI and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connector.db.uow import UnitOfWork
from connector.supply.models import SkuEta, Supplier


def sku_dates(uow: UnitOfWork, shop_id: int) -> list[dict[str, Any]]:
    with uow:
        assert uow.session is not None
        rows = uow.session.execute(
            select(SkuEta, Supplier.name).outerjoin(Supplier, Supplier.id == SkuEta.supplier_id)
            .where(SkuEta.shop_id == shop_id).order_by(SkuEta.sku))
        return [{"sku": eta.sku, "expected_date": _iso(eta.expected_date), "source": eta.source,
                 "supplier": name or "", "page_date": _iso(eta.page_date),
                 "published_date": _iso(eta.published_date), "publish_error": eta.publish_error or ""}
                for eta, name in rows]


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""
