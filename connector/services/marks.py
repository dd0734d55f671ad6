"""Tell the store which orders are backordered (Shopify tag, WooCommerce note and meta).

The database records what was last written (``Order.marked``) and flags orders whose backorders
changed (``needs_mark``); this service writes only the difference, after the capture committed.
A failed store call leaves the flag set, so the next run (a retry, or reconciliation) finishes it.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import update

from connector.db.models import Order
from connector.db.uow import UnitOfWork
from connector.domain.model import BackorderMark, BackorderStatus
from connector.ports import StorePlatform

log = logging.getLogger(__name__)


def sync_marks(uow: UnitOfWork, platform: StorePlatform, shop_id: int) -> int:
    """Write pending marks for one shop; returns how many orders were written to the store."""
    written = 0
    with uow.shop_lock(shop_id):
        with uow:
            shop = uow.shops.get(shop_id)
            if shop is None or shop.status != "active":  # uninstalled or disconnected: leave the store alone
                return 0
            pending = [
                (order.platform_order_id, order.status, order.marked, _desired(order.lines))
                for order in uow.orders.needing_mark(shop_id)
            ]
        for order_id, status, marked, desired in pending:
            recorded = json.loads(marked) if marked else []
            wanted = [mark.__dict__ for mark in desired]
            if status == "open" and wanted != recorded:
                if desired:
                    platform.mark_backordered(order_id, desired)
                else:
                    platform.unmark_backordered(order_id)
                written += 1
                log.info("store order marked", extra={"shop_id": shop_id, "order": order_id,
                                                      "backordered_lines": len(desired)})
            values: dict[str, object] = {"needs_mark": False}
            if status == "open":
                values["marked"] = json.dumps(wanted)
            with uow:  # one UPDATE: reloading the order with its lines and backorders cost three queries
                uow.session.execute(  # type: ignore[union-attr]
                    update(Order).where(Order.shop_id == shop_id, Order.platform_order_id == order_id)
                    .values(**values).execution_options(synchronize_session=False))
                uow.commit()
    return written


def _desired(lines: list) -> list[BackorderMark]:  # type: ignore[type-arg]
    marks = [
        BackorderMark(line_id=line.platform_line_id, sku=line.sku,
                      quantity=line.backorder.quantity_backordered)
        for line in lines
        if line.backorder is not None and line.backorder.status == BackorderStatus.OPEN
    ]
    return sorted(marks, key=lambda mark: mark.line_id)
