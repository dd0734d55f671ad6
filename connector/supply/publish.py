"""Put each SKU's date on its product page: only changed dates are written, removed dates are
deleted, and (per shop, optional) backorders are switched on where a supplier date exists and
off where none does.

Each batch is recorded as published as soon as the store accepts it, so a crash or a rerun
writes only what is still missing. A batch the store refuses is recorded on its SKUs
(``publish_error``) and the rest continue; a transient failure stops the run and is raised so
the job is retried.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from connector import shop_settings
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import PermanentError
from connector.domain.supply import BackorderSwitch, PageDate
from connector.ports import StoreCatalog
from connector.shop_settings import ShopSettingSpec
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("publish.dates", True, "write each SKU's expected in-stock date on its product page: "
                    "true or false", lambda v: isinstance(v, bool)),
    ShopSettingSpec("publish.toggle_backorders", False, "for SKUs a supplier lists, switch the backorder "
                    "setting on when a supplier date exists and off when none does: true or false",
                    lambda v: isinstance(v, bool)),
)


@dataclass
class PublishReport:
    shop_id: int
    written: int = 0
    removed: int = 0
    failed: int = 0
    switched: int = 0
    batches: int = 0


def _pending(uow: UnitOfWork, shop_id: int) -> tuple[list[PageDate], list[tuple[str, str, str | None, bool,
                                                                                   date | None, str]]]:
    with uow:
        rows = uow.repo(SupplyRepository).page_states(shop_id)
    dates = [PageDate(sku, product_id or "", variant_id, page)
             for sku, page, published, _, product_id, variant_id, _, _ in rows if page != published and product_id]
    # Backorder switching only touches SKUs some supplier lists: a SKU no supplier knows is the merchant's.
    state = [(sku, product_id or "", variant_id, allowed, page, source)
             for sku, page, _, source, product_id, variant_id, allowed, known in rows if product_id and known]
    return dates, state


def publish_dates(uow: UnitOfWork, catalog: StoreCatalog, shop_id: int) -> PublishReport:
    settings = shop_settings.all_settings(uow, shop_id)
    report = PublishReport(shop_id)
    dates, state = _pending(uow, shop_id)
    if settings["publish.dates"]:
        size = catalog.date_batch_size
        for start in range(0, len(dates), size):
            batch = dates[start:start + size]
            report.batches += 1
            try:
                catalog.write_dates(batch)
            except PermanentError as exc:
                report.failed += len(batch)
                _record_error(uow, shop_id, [d.sku for d in batch], str(exc))
                log.error("product page dates refused", extra={"shop_id": shop_id, "skus": len(batch),
                                                                "error": str(exc)[:500]})
                continue
            with uow:
                uow.repo(SupplyRepository).mark_published(shop_id, {d.sku: d.day for d in batch}, utcnow())
                uow.commit()
            report.written += sum(1 for d in batch if d.day is not None)
            report.removed += sum(1 for d in batch if d.day is None)
    if settings["publish.toggle_backorders"]:
        switches = [BackorderSwitch(sku, product_id, variant_id, page is not None)
                    for sku, product_id, variant_id, allowed, page, source in state
                    if source != "store_stock" and (page is not None) != allowed]
        for start in range(0, len(switches), 100):
            chunk = switches[start:start + 100]
            catalog.switch_backorders(chunk)
            with uow:
                uow.repo(SupplyRepository).set_backorders_allowed(shop_id, {s.sku: s.allowed for s in chunk})
                uow.commit()
            report.switched += len(chunk)
    if report.batches or report.switched:
        log.info("product pages updated", extra={"shop_id": shop_id, "written": report.written,
                                                 "removed": report.removed, "failed": report.failed,
                                                 "switched": report.switched})
    return report


def _record_error(uow: UnitOfWork, shop_id: int, skus: list[str], message: str) -> None:
    with uow:
        uow.repo(SupplyRepository).record_publish_error(shop_id, skus, message)
        uow.commit()
