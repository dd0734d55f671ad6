"""Mirror the store's catalogue (SKU, product/variant ids, stock, backorder setting) into store_skus.

Also reads which date each product page shows now, so publishing corrects a page that a merchant
(or anything else) changed, and never rewrites a page that already shows the right date.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.supply import CatalogItem
from connector.ports import StoreCatalog
from connector.supply.models import SkuEta, StoreSku
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

CHUNK = 1000


@dataclass(frozen=True)
class CatalogReport:
    shop_id: int
    skus: int
    added: int
    changed: int
    removed: int


def _chunks(items: Iterator[CatalogItem]) -> Iterator[list[CatalogItem]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


def sync_catalog(uow: UnitOfWork, catalog: StoreCatalog, shop_id: int) -> CatalogReport:
    """Read every SKU from the store (outside any transaction), then store what changed at once."""
    items: dict[str, CatalogItem] = {}
    for item in catalog.items():
        items[item.sku] = item  # one SKU on two variants: the later one wins (and is logged)
    added = changed = 0
    now = utcnow()
    with uow:
        repo = uow.repo(SupplyRepository)
        known = repo.store_sku_rows(shop_id)
        etas = repo.etas(shop_id)
        for sku, item in items.items():
            row = known.get(sku)
            values = (item.product_id, item.variant_id, item.available, item.backorders_allowed)
            if row is None:
                repo.put(StoreSku(shop_id=shop_id, sku=sku, product_id=item.product_id, variant_id=item.variant_id,
                                  inventory_item_id=item.inventory_item_id, available=item.available,
                                  backorders_allowed=item.backorders_allowed,
                                  price=float(item.price) if item.price else None, updated_at=now))
                added += 1
            elif (row.product_id, row.variant_id, row.available, row.backorders_allowed) != values:
                row.product_id, row.variant_id, row.available, row.backorders_allowed = values
                row.updated_at = now
                changed += 1
            eta = etas.get(sku)
            if eta is None:
                repo.put(SkuEta(shop_id=shop_id, sku=sku, expected_date=None, source="none",
                                published_date=item.page_date, published_at=now if item.page_date else None,
                                computed_at=now))
            elif eta.published_date != item.page_date:
                eta.published_date = item.page_date  # the page is the truth; publishing will correct it
        gone = [sku for sku in known if sku not in items]
        repo.delete_store_skus(shop_id, gone)
        repo.record_catalogue_read(shop_id, len(items), now)  # read, also when the store sells nothing
        uow.commit()
    report = CatalogReport(shop_id, len(items), added, changed, len(gone))
    log.info("catalogue synced", extra={"shop_id": shop_id, "skus": report.skus, "added": added,
                                        "changed": changed, "removed": len(gone)})
    return report
