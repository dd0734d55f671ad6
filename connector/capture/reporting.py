"""Reading backorders back, in the shape the CLI and the JSON API share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.db.uow import UnitOfWork
from connector.domain.shipping import human_duration, time_to_fill_seconds

VISIBLE_BY_DEFAULT = ("open", "allocated", "cancelled", "fulfilled")
"""Waiting backorders (``open``, and ``allocated`` ones whose restock units are set aside until they ship),
and closed ones. 'withdrawn' records (a line re-evaluation found not short after all) are shown only when
asked for."""


def list_backorders(uow: UnitOfWork, shop_id: int, statuses: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Backorders of one shop, oldest first, with platform ids as strings. A fulfilled backorder says by
    which path (``fulfilled_via``) and its time to fill (``closed_at - created_at``, never negative):
    seconds in ``time_to_fill_seconds``, readable in ``time_to_fill``."""
    statuses = statuses or VISIBLE_BY_DEFAULT
    with uow:
        rows = uow.backorders.list(shop_id, statuses)
        listed = []
        for row in rows:
            seconds = time_to_fill_seconds(row.created_at, row.closed_at) if row.status == "fulfilled" else None
            listed.append({
                "order_id": row.line.order.platform_order_id,
                "order_name": row.line.order.name,
                "line_id": row.line.platform_line_id,
                "sku": row.sku,
                "variant_id": row.line.variant_id,
                "quantity": row.line.quantity,
                "quantity_backordered": row.quantity_backordered,
                "quantity_shipped": row.quantity_shipped or 0,
                "status": row.status,
                "fulfilled_via": row.fulfilled_via,
                "created_at": row.created_at.isoformat(),
                "closed_at": row.closed_at.isoformat() if row.closed_at is not None else None,
                "time_to_fill_seconds": seconds,
                "time_to_fill": human_duration(seconds),
            })
        return listed
