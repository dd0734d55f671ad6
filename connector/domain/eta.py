"""Expected in-stock date per SKU: pure date rules (standard library only).

Sources, each with what it can fill:
- the store's own stock: today;
- a supplier's stock: today + handling + transit days (fills up to its quantity);
- a supplier's restock date: that date (never before today) + handling + transit days;
- a supplier's lead time: today + lead time + handling + transit days;
- an open purchase order: its expected date (fills up to its open quantity).

The earliest source that can really fill the units waiting wins; when none can fill them all, the
earliest source that fills any wins (the date is then a best case). The merchant's buffer is added
to every date that is not the store's own stock. With business days on, all day counts skip
Saturdays, Sundays and the merchant's holidays, and a date never lands on one of them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta


class EtaSource(enum.StrEnum):
    STORE_STOCK = "store_stock"
    SUPPLIER_STOCK = "supplier_stock"
    SUPPLIER_RESTOCK = "supplier_restock"
    LEAD_TIME = "lead_time"
    PURCHASE_ORDER = "purchase_order"
    NONE = "none"


@dataclass(frozen=True)
class DateRules:
    business_days: bool = False
    buffer_days: int = 0
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.buffer_days < 0:
            raise ValueError(f"buffer_days must not be negative, got {self.buffer_days}")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def roll_forward(self, day: date) -> date:
        """The day itself, or with business days on, the next working day."""
        if not self.business_days:
            return day
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_days(self, start: date, days: int) -> date:
        """``start`` plus ``days`` calendar days, or working days when business days are on."""
        if days < 0:
            raise ValueError(f"cannot add a negative number of days ({days})")
        if not self.business_days:
            return start + timedelta(days=days)
        day = self.roll_forward(start)
        for _ in range(days):
            day = self.roll_forward(day + timedelta(days=1))
        return day


@dataclass(frozen=True)
class SupplierOffer:
    """What one supplier says about one SKU, with that supplier's handling and transit days."""

    supplier_id: int
    quantity: int | None
    restock_date: date | None
    lead_time_days: int | None
    handling_days: int = 0
    transit_days: int = 0

    @property
    def shipping_days(self) -> int:
        return self.handling_days + self.transit_days


@dataclass(frozen=True)
class PurchaseOrderOffer:
    supplier_id: int
    expected_date: date
    open_quantity: int


@dataclass(frozen=True)
class Eta:
    expected_date: date | None
    source: EtaSource
    supplier_id: int | None = None


@dataclass(frozen=True)
class _Candidate:
    day: date
    source: EtaSource
    supplier_id: int | None
    capacity: int | None
    """Units this source can deliver; None: as many as needed."""

    def fills(self, needed: int) -> bool:
        return self.capacity is None or self.capacity >= needed


def candidates(today: date, offers: Iterable[SupplierOffer], purchase_orders: Iterable[PurchaseOrderOffer],
               rules: DateRules) -> list[_Candidate]:
    found: list[_Candidate] = []
    for offer in offers:
        quantity = max(0, offer.quantity or 0)
        if quantity > 0:
            found.append(_Candidate(rules.add_days(today, offer.shipping_days), EtaSource.SUPPLIER_STOCK,
                                    offer.supplier_id, quantity))
        if offer.restock_date is not None:
            start = max(offer.restock_date, today)
            found.append(_Candidate(rules.add_days(start, offer.shipping_days), EtaSource.SUPPLIER_RESTOCK,
                                    offer.supplier_id, None))
        elif offer.lead_time_days is not None:
            found.append(_Candidate(rules.add_days(today, offer.lead_time_days + offer.shipping_days),
                                    EtaSource.LEAD_TIME, offer.supplier_id, None))
    for po in purchase_orders:
        if po.open_quantity > 0:
            found.append(_Candidate(rules.roll_forward(max(po.expected_date, today)), EtaSource.PURCHASE_ORDER,
                                    po.supplier_id, po.open_quantity))
    return found


def expected_in_stock(
    today: date,
    *,
    store_available: int | None,
    needed: int = 1,
    offers: Sequence[SupplierOffer] = (),
    purchase_orders: Sequence[PurchaseOrderOffer] = (),
    rules: DateRules | None = None,
) -> Eta:
    """The expected in-stock date of one SKU for ``needed`` units waiting (at least 1)."""
    rules = rules or DateRules()
    needed = max(1, needed)
    if store_available is not None and store_available > 0:
        return Eta(today, EtaSource.STORE_STOCK)
    found = candidates(today, offers, purchase_orders, rules)
    if not found:
        return Eta(None, EtaSource.NONE)
    filling = [c for c in found if c.fills(needed)] or found
    best = min(filling, key=lambda c: (c.day, c.source != EtaSource.PURCHASE_ORDER, c.supplier_id or 0))
    return Eta(rules.add_days(best.day, rules.buffer_days), best.source, best.supplier_id)
