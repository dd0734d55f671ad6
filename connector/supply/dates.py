"""Each SKU's expected in-stock date, and the current date of every open backorder.

Reads the store's catalogue mirror, what suppliers last said, and open purchase orders; applies
``connector.domain.eta``; writes ``sku_eta`` and the backorders' ``expected_date``
(``promised_date`` is the notify feature's; see ``refresh_dates``). Only rows whose date changed
are written, so a rerun changes nothing.

After a supplier poll only the SKUs it changed are recomputed (``refresh_dates(skus=...)``, the poll's
``changed_skus``): a SKU's date depends on its own stock, waiting units, offers and purchase orders
alone. Everything else (a catalogue read, which also turns "today" over every 30 minutes; a purchase
order; a backorder) refreshes the whole shop.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector import shop_settings
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.eta import DateRules, EtaSource, PurchaseOrderOffer, SupplierOffer, expected_in_stock
from connector.shop_settings import ShopSettingSpec
from connector.supply.models import SkuEta
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

SKU_QUERY_CHUNK = 900
MAX_CHANGED_SKUS = 5000
"""A poll that changed more SKUs than this refreshes the whole shop (one pass over everything is then as cheap)."""


def _is_date_list(value: object) -> bool:
    if not isinstance(value, list):
        return False
    try:
        [date.fromisoformat(str(v)) for v in value]
    except ValueError:
        return False
    return True


def _is_zone(value: object) -> bool:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("dates.business_days", False, "count handling, transit, lead time and buffer in "
                    "working days (Mon-Fri, minus dates.holidays): true or false", lambda v: isinstance(v, bool)),
    ShopSettingSpec("dates.buffer_days", 0, "days added to every supplier or purchase-order date: a whole "
                    "number, 0 or more", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
    ShopSettingSpec("dates.holidays", [], "non-working days as a list of ISO dates, e.g. [\"2026-12-25\"]",
                    _is_date_list),
    ShopSettingSpec("dates.timezone", "UTC", "the shop's time zone (IANA name) that decides what 'today' is",
                    _is_zone),
)


@dataclass
class DatesReport:
    shop_id: int
    skus: int = 0
    changed_skus: list[str] = field(default_factory=list)
    backorders_changed: list[int] = field(default_factory=list)


def notify_available() -> bool:
    """Whether the notify feature's jobs are installed (jobs/notify.py): where they are not,
    ``refresh_dates`` is asked to set ``promised_date`` itself (``set_promised``)."""
    try:
        return importlib.util.find_spec("jobs.notify") is not None
    except (ImportError, ValueError):
        return False


def shop_rules(uow: UnitOfWork, shop_id: int) -> tuple[DateRules, str]:
    settings = shop_settings.all_settings(uow, shop_id)
    rules = DateRules(business_days=bool(settings["dates.business_days"]),
                      buffer_days=int(settings["dates.buffer_days"]),
                      holidays=frozenset(date.fromisoformat(str(d)) for d in settings["dates.holidays"]))
    return rules, str(settings["dates.timezone"])


def shop_today(zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()


def changed_skus(uow: UnitOfWork, shop_id: int, snapshot_id: int) -> list[str] | None:
    """The SKUs a supplier poll (its snapshot) wrote, for ``refresh_dates(skus=...)``; None: more than
    MAX_CHANGED_SKUS, or no such snapshot of the shop (refresh the whole shop)."""
    with uow:
        return uow.repo(SupplyRepository).changed_by(shop_id, snapshot_id, MAX_CHANGED_SKUS)


def refresh_dates(uow: UnitOfWork, shop_id: int, *, today: date | None = None,
                  set_promised: bool = False, skus: Collection[str] | None = None) -> DatesReport:
    """Recompute every SKU date and open backorder date of the shop; with ``skus``, of those SKUs only
    (what a supplier poll changed: ``changed_skus``).

    ``promised_date`` belongs to the notify feature (the date first given to the customer); only
    where that feature is not installed (``set_promised``) is it set here, to the first date known.
    """
    rules, zone = shop_rules(uow, shop_id)
    today = today or shop_today(zone)
    report = DatesReport(shop_id)
    only = sorted(set(skus)) if skus is not None else None
    with uow:
        repo = uow.repo(SupplyRepository)
        store = repo.store_skus(shop_id, only)
        waiting = repo.waiting_units(shop_id, only)
        skus = sorted(set(store) | set(waiting))
        offers: dict[str, list[SupplierOffer]] = {}
        for start in range(0, len(skus), SKU_QUERY_CHUNK):
            for sku, supplier_id, qty, restock, row_lead, supplier_lead, handling, transit in \
                    repo.shop_offers(shop_id, skus[start:start + SKU_QUERY_CHUNK]):
                offers.setdefault(sku, []).append(SupplierOffer(
                    supplier_id, qty, restock, row_lead if row_lead is not None else supplier_lead,
                    handling or 0, transit or 0))
        orders: dict[str, list[PurchaseOrderOffer]] = {}
        for sku, supplier_id, expected, quantity in repo.open_purchase_orders(shop_id):
            if expected is not None and (only is None or sku in store or sku in waiting):
                orders.setdefault(sku, []).append(PurchaseOrderOffer(supplier_id, expected, quantity))
        existing = repo.etas(shop_id, None if only is None else skus)
        now = utcnow()
        computed: dict[str, date | None] = {}
        for sku in skus:
            available = store[sku][0] if sku in store else None
            eta = expected_in_stock(today, store_available=available, needed=waiting.get(sku, 1),
                                    offers=offers.get(sku, ()), purchase_orders=orders.get(sku, ()), rules=rules)
            computed[sku] = eta.expected_date
            page = eta.expected_date if eta.source not in (EtaSource.STORE_STOCK, EtaSource.NONE) else None
            row = existing.get(sku)
            if row is None:
                repo.put(SkuEta(shop_id=shop_id, sku=sku, expected_date=eta.expected_date, source=eta.source.value,
                                supplier_id=eta.supplier_id, page_date=page, computed_at=now))
                report.changed_skus.append(sku)
            elif (row.expected_date, row.source, row.supplier_id, row.page_date) != (
                    eta.expected_date, eta.source.value, eta.supplier_id, page):
                if (row.expected_date, row.page_date) != (eta.expected_date, page):
                    report.changed_skus.append(sku)
                row.expected_date, row.source, row.supplier_id = eta.expected_date, eta.source.value, eta.supplier_id
                row.page_date = page
                row.computed_at = now
        moved: dict[date | None, list[int]] = {}  # the new expected date: the backorders that get it
        first: dict[date, list[int]] = {}  # with set_promised, the first promised date: those without one
        for backorder_id, sku, expected, promised in repo.open_backorder_dates(shop_id, None if only is None else skus):
            if sku is None or sku not in computed:
                continue
            new = computed[sku]
            if expected != new:
                moved.setdefault(new, []).append(backorder_id)
                report.backorders_changed.append(backorder_id)
            if set_promised and promised is None and new is not None:
                first.setdefault(new, []).append(backorder_id)
        repo.set_backorder_dates(moved, first, now)
        report.skus = len(skus)
        uow.commit()
    log.info("sku dates refreshed", extra={"shop_id": shop_id, "skus": report.skus, "whole_shop": only is None,
                                           "changed": len(report.changed_skus),
                                           "backorders_changed": len(report.backorders_changed)})
    return report
