"""Put each SKU's date on its product page: only changed dates are written, removed dates are
deleted, and (per shop, optional) backorders are switched on where a supplier date exists and
off where none does.

Each batch is recorded as published as soon as the store accepts it, so a crash or a rerun
writes only what is still missing. A batch the store refuses is recorded on its SKUs
(``publish_error``) and the rest continue; a transient failure stops the run and is raised so
the job is retried.

Above ``publish.bulk_threshold`` changed dates, a store that writes in bulk (Shopify) gets them as one
bulk operation (connector/supply/publish_bulk.py) instead of calls of 25. A store without bulk writes
(WooCommerce) gets its batches ``publish.parallel_batches`` at a time (at most its
``max_parallel_batches``); each call still waits out 429s as the transport does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date

from connector import shop_settings
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import PermanentError, TransientError
from connector.domain.supply import BackorderSwitch, PageDate
from connector.ports import StoreCatalog
from connector.shop_settings import ShopSettingSpec
from connector.supply import publish_bulk
from connector.supply.ports import BulkDateWriter
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("publish.dates", True, "write each SKU's expected in-stock date on its product page: "
                    "true or false", lambda v: isinstance(v, bool)),
    ShopSettingSpec("publish.toggle_backorders", False, "for SKUs a supplier lists, switch the backorder "
                    "setting on when a supplier date exists and off when none does: true or false",
                    lambda v: isinstance(v, bool)),
    ShopSettingSpec("publish.bulk_threshold", 1000, "above this many changed dates a Shopify shop gets them as one "
                    "bulk operation instead of calls of 25: a whole number from 1 to 1000000",
                    lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1_000_000),
    ShopSettingSpec("publish.parallel_batches", 3, "WooCommerce batches of 100 dates sent at once (the store's "
                    "429 answers are still waited out): a whole number from 1 to 4",
                    lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4),
)


@dataclass
class PublishReport:
    shop_id: int
    written: int = 0
    removed: int = 0
    failed: int = 0
    switched: int = 0
    batches: int = 0
    bulk_operations: int = 0
    """Bulk operations this run started."""
    bulk_waiting: str | None = None
    """A bulk operation still running when the run returned (its id, or "busy"): check again later."""


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


def publish_dates(uow: UnitOfWork, catalog: StoreCatalog, shop_id: int, *,
                  wait_seconds: float = 0.0) -> PublishReport:
    """Write what changed. ``wait_seconds``: how long to wait for a running bulk operation to finish."""
    settings = shop_settings.all_settings(uow, shop_id)
    report = PublishReport(shop_id)
    dates, state = _pending(uow, shop_id)
    if settings["publish.dates"]:
        if isinstance(catalog, BulkDateWriter):
            threshold = int(settings["publish.bulk_threshold"])
            progress = publish_bulk.advance(uow, catalog, shop_id, dates, threshold, wait_seconds=wait_seconds)
            report.written += progress.written
            report.failed += progress.failed
            report.bulk_operations, report.bulk_waiting = progress.operations, progress.waiting
            dates = [d for d in dates if d.sku not in progress.handled]
            if progress.waiting is not None and sum(1 for d in dates if d.day is not None) > threshold:
                dates = [d for d in dates if d.day is None]  # the next bulk operation takes them, after this one
        parallel = min(int(settings["publish.parallel_batches"]), int(getattr(catalog, "max_parallel_batches", 1)))
        _write_batches(uow, catalog, shop_id, dates, parallel, report)
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


def _write_batches(uow: UnitOfWork, catalog: StoreCatalog, shop_id: int, dates: Sequence[PageDate], parallel: int,
                   report: PublishReport) -> None:
    """Calls of ``date_batch_size``, ``parallel`` at a time; each recorded as it is accepted (in this thread)."""
    size = catalog.date_batch_size
    batches = [dates[start:start + size] for start in range(0, len(dates), size)]
    report.batches += len(batches)
    if parallel <= 1 or len(batches) <= 1:
        for batch in batches:
            try:
                catalog.write_dates(batch)
            except PermanentError as exc:
                _refused(uow, shop_id, batch, exc, report)
                continue
            _accepted(uow, shop_id, batch, report)
        return
    stop: TransientError | None = None
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix=f"publish-{shop_id}") as pool:
        futures: dict[Future[None], Sequence[PageDate]] = {pool.submit(catalog.write_dates, b): b for b in batches}
        for future in as_completed(futures):
            batch = futures[future]
            if future.cancelled():
                continue
            try:
                future.result()
            except PermanentError as exc:
                _refused(uow, shop_id, batch, exc, report)
                continue
            except TransientError as exc:  # the store is unwell: send no more, keep what landed, retry later
                stop = stop or exc
                for waiting in futures:
                    waiting.cancel()
                continue
            _accepted(uow, shop_id, batch, report)
    if stop is not None:
        raise stop


def _accepted(uow: UnitOfWork, shop_id: int, batch: Sequence[PageDate], report: PublishReport) -> None:
    with uow:
        uow.repo(SupplyRepository).mark_published(shop_id, {d.sku: d.day for d in batch}, utcnow())
        uow.commit()
    report.written += sum(1 for d in batch if d.day is not None)
    report.removed += sum(1 for d in batch if d.day is None)


def _refused(uow: UnitOfWork, shop_id: int, batch: Sequence[PageDate], exc: PermanentError,
             report: PublishReport) -> None:
    report.failed += len(batch)
    _record_error(uow, shop_id, [d.sku for d in batch], str(exc))
    log.error("product page dates refused", extra={"shop_id": shop_id, "skus": len(batch), "error": str(exc)[:500]})


def _record_error(uow: UnitOfWork, shop_id: int, skus: list[str], message: str) -> None:
    with uow:
        uow.repo(SupplyRepository).record_publish_error(shop_id, skus, message)
        uow.commit()
