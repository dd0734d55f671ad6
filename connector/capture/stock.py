"""Stock positions changed: the store says stock moved (Shopify ``inventory_levels/update``,
WooCommerce ``product.updated``) or the periodic read asks again for missed webhooks.

The positions are re-evaluated as on an order event, but as a stock event: an increase of the units
in hand is stock that arrived and is allocated first come, first served (connector/restock). The
store is read outside any transaction; the shop lock keeps the read and the write of one shop in
sequence, and figures are absolute, so two workers evaluating the same arrival allocate it once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from connector.capture.capture import reevaluate
from connector.db.uow import UnitOfWork
from connector.domain.model import StockRef
from connector.domain.stock_events import StockChange
from connector.ports import StorePlatform
from connector.restock.repository import RestockRepository

log = logging.getLogger(__name__)

READ_BATCH = 100
"""Stock positions read from the store per call of the periodic read."""


@dataclass
class StockReport:
    positions: int = 0
    changed_orders: set[str] = field(default_factory=set)
    allocated: list[int] = field(default_factory=list)
    """Ids of backorders that got units (their holds are released after the commit)."""


def positions_changed(uow: UnitOfWork, platform: StorePlatform, shop_id: int, keys: Sequence[str]) -> StockReport:
    """Re-evaluate these stock positions (those with open lines; others are left alone) as a stock event."""
    report = StockReport()
    with uow.shop_lock(shop_id):
        with uow:
            refs = uow.repo(RestockRepository).refs_of_keys(shop_id, sorted(set(keys)))
        if not refs:
            return report
        levels = platform.stock_levels([StockRef(product, variant) for _, product, variant in refs])
        with uow:
            report.changed_orders = reevaluate(uow, shop_id, [key for key, _, _ in refs], levels, None,
                                               stock_event=True, granted=report.allocated)
            uow.commit()
    report.positions = len(refs)
    if report.allocated:
        log.info("stock arrival allocated", extra={"shop_id": shop_id, "backorders": len(report.allocated)})
    return report


def stock_changed(uow: UnitOfWork, platform: StorePlatform, shop_id: int, change: StockChange) -> StockReport:
    """A stock webhook: the positions it names (Shopify inventory items mapped to their variants
    through ``stock_positions``) re-evaluated as a stock event. An inventory item the connector never
    evaluated has no open lines the connector knows of: nothing to do (the periodic read records the
    item id of every position with waiting backorders)."""
    keys = set(change.keys)
    if change.inventory_item_ids:
        with uow:
            found = uow.repo(RestockRepository).keys_of_inventory_items(shop_id, change.inventory_item_ids)
        keys |= set(found.values())
        unknown = sorted(set(change.inventory_item_ids) - set(found))
        if unknown:
            log.info("stock change for inventory items without open lines", extra={"shop_id": shop_id,
                                                                                  "items": unknown[:20]})
    if not keys:
        return StockReport()
    return positions_changed(uow, platform, shop_id, sorted(keys))


def read_waiting_positions(uow: UnitOfWork, platform: StorePlatform, shop_id: int,
                           batch: int = READ_BATCH) -> StockReport:
    """The periodic read: every position with waiting backorders, ``batch`` positions per store call."""
    total = StockReport()
    after = ""
    while True:
        with uow:
            page = uow.repo(RestockRepository).waiting_positions(shop_id, after, batch)
        if not page:
            break
        found = positions_changed(uow, platform, shop_id, [key for key, _, _ in page])
        total.positions += found.positions
        total.changed_orders |= found.changed_orders
        total.allocated += found.allocated
        after = page[-1][0]
    log.info("store stock read", extra={"shop_id": shop_id, "positions": total.positions,
                                        "changed_orders": len(total.changed_orders)})
    return total
