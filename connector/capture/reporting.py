"""Reading backorders back, in the shape the CLI and the JSON API share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.db.uow import UnitOfWork

VISIBLE_BY_DEFAULT = ("open", "cancelled", "fulfilled")
"""'withdrawn' records (a line re-evaluation found not short after all) are shown only when asked for."""


def list_backorders(uow: UnitOfWork, shop_id: int, statuses: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Backorders of one shop, oldest first, with platform ids as strings."""
    statuses = statuses or VISIBLE_BY_DEFAULT
    with uow:
        rows = uow.backorders.list(shop_id, statuses)
        return [
            {
                "order_id": row.line.order.platform_order_id,
                "order_name": row.line.order.name,
                "line_id": row.line.platform_line_id,
                "sku": row.sku,
                "variant_id": row.line.variant_id,
                "quantity": row.line.quantity,
                "quantity_backordered": row.quantity_backordered,
                "status": row.status,
                "created_at": row.created_at.isoformat(),
            }
            for row in rows
        ]
