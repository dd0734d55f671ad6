"""Read models for the supply feature: SKU dates for the CLI and the API."""

from __future__ import annotations

from typing import Any

from connector.db.uow import UnitOfWork
from connector.supply.repository import SupplyRepository


def sku_dates(uow: UnitOfWork, shop_id: int) -> list[dict[str, Any]]:
    with uow:
        rows = uow.repo(SupplyRepository).sku_dates(shop_id)
        return [{"sku": eta.sku, "expected_date": _iso(eta.expected_date), "source": eta.source,
                 "supplier": name or "", "page_date": _iso(eta.page_date),
                 "published_date": _iso(eta.published_date), "publish_error": eta.publish_error or ""}
                for eta, name in rows]


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""
