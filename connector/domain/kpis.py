"""Backorder KPIs (issue 15 item 1): each one a pure function over plain rows.

The service (connector/reports/kpis.py) reads the rows with set-based queries (counts per day, per SKU,
per kind come out of the database already aggregated) and hands them here; these functions hold the
definitions, so the report, the app page and the weekly digest agree on every number.

Definitions (docs/reports.md says the same for the merchant):

- A period is a range of whole UTC days, both ends included; weeks are ISO weeks (``2026-W05``).
- Waiting = ``open`` + ``allocated``. Closed = ``fulfilled`` + ``cancelled`` (``withdrawn`` rows were never
  short and count nowhere).
- Age of a waiting backorder = whole days since it was created (23 hours old is 0 days).
- Time to fill of a fulfilled backorder = ``closed_at - created_at`` (never negative), counted in the week it
  was filled. Median: the middle value (mean of the two middle ones for an even count); 90th percentile:
  nearest rank (the value at position ceil(0.9 n) of the sorted list).
- Supplier date accuracy: days late = day the goods arrived - day first promised (negative: early). On time:
  arrived on or before the promised day. Spread: population standard deviation of days late.
- SKU "review ordering": backordered at least ``per_month`` times per 30 days of the period, or a mean wait of
  at least ``wait_days`` days.
- Drop-ship share: drop-shipped fulfilled backorders / all fulfilled backorders in the period. Margin: line
  unit price minus the supplier's unit cost, times the units, per currency, where both are known.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

WAITING = ("open", "allocated")
CLOSED = ("fulfilled", "cancelled")
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7), ("8-14", 8, 14), ("15-30", 15, 30), ("31-60", 31, 60), (">60", 61, None))
"""(label, first day, last day or None) of the age distribution of waiting backorders."""
DAY = 86_400
MONTH_DAYS = 30
TOP = 10
"""SKUs listed in each ranking."""


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Period:
    """Whole UTC days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def last_days(cls, today: date, days: int = 90) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def weeks(self) -> list[str]:
        """Every ISO week the period touches, in order."""
        weeks: list[str] = []
        day = self.start
        while day <= self.end:
            week = iso_week(day)
            if not weeks or weeks[-1] != week:
                weeks.append(week)
            day += timedelta(days=1)
        return weeks

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _days(seconds: float) -> float:
    return round(max(seconds, 0.0) / DAY, 2)


# --- open backorders now -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenRow:
    """Waiting backorders: their units, their line's unit price and the order's currency."""

    units: int
    unit_price: Decimal | None
    currency: str | None
    count: int = 1
    """How many waiting backorders share this price and currency (``units`` is their total)."""


@dataclass(frozen=True)
class OpenNow:
    count: int
    units: int
    value: dict[str, Decimal]
    """Units x unit price per currency (lines without a price are left out: ``unpriced_units``)."""
    unpriced_units: int


def open_now(rows: Iterable[OpenRow]) -> OpenNow:
    count = units = unpriced = 0
    value: dict[str, Decimal] = {}
    for row in rows:
        count += row.count
        units += row.units
        if row.unit_price is None or not row.currency:
            unpriced += row.units
            continue
        value[row.currency] = value.get(row.currency, Decimal("0")) + row.unit_price * row.units
    return OpenNow(count, units, dict(sorted(value.items())), unpriced)


# --- opened and closed per week ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekFlow:
    week: str
    opened: int
    closed: int


def weekly_flow(opened_by_day: Mapping[date, int], closed_by_day: Mapping[date, int], period: Period) -> list[WeekFlow]:
    """Backorders opened and closed per ISO week of the period (every week listed, zeros included; days
    outside the period are ignored)."""
    opened = dict.fromkeys(period.weeks(), 0)
    closed = dict.fromkeys(opened, 0)
    for source, target in ((opened_by_day, opened), (closed_by_day, closed)):
        for day, n in source.items():
            if day in period:
                target[iso_week(day)] += n
    return [WeekFlow(week, opened[week], closed[week]) for week in opened]


# --- age of waiting backorders -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ages:
    buckets: tuple[tuple[str, int], ...]
    oldest_days: int | None


def age_days(created: datetime, now: datetime) -> int:
    """Whole days since ``created`` (never negative)."""
    return max((now - created).days, 0)


def ages(by_age: Mapping[int, int]) -> Ages:
    """The distribution of waiting backorders counted per age in whole days (``age_days``)."""
    counts = dict.fromkeys((label for label, _, _ in AGE_BUCKETS), 0)
    oldest: int | None = None
    for raw_age, n in by_age.items():
        if n <= 0:
            continue
        age = max(raw_age, 0)
        oldest = age if oldest is None else max(oldest, age)
        for label, first, last in AGE_BUCKETS:
            if age >= first and (last is None or age <= last):
                counts[label] += n
                break
    return Ages(tuple(counts.items()), oldest)


# --- time to fill --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fill:
    """One fulfilled backorder: the day it closed and its time to fill in seconds."""

    closed_on: date
    seconds: float


@dataclass(frozen=True)
class WeekFill:
    week: str
    filled: int
    median_days: float | None


@dataclass(frozen=True)
class TimeToFill:
    filled: int
    median_days: float | None
    p90_days: float | None
    manageable_days: int
    within_manageable_share: float | None
    weekly: tuple[WeekFill, ...]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile_nearest_rank(values: Sequence[float], pct: float) -> float | None:
    """The value at position ceil(pct/100 * n) of the sorted values (1-based)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


@dataclass(frozen=True)
class FillSummary:
    """A group of fills (the period, or one week) summarised: what PostgreSQL computes in the query
    (``percentile_cont(0.5)`` is the median, ``percentile_disc(0.9)`` the nearest rank) and
    ``summarise_fills`` computes here from the seconds."""

    filled: int
    median_seconds: float | None
    p90_seconds: float | None
    within: int
    """Fills within the manageable wait."""


def summarise_fills(seconds: Sequence[float], manageable_days: int) -> FillSummary:
    values = [max(s, 0.0) for s in seconds]
    return FillSummary(len(values), median(values), percentile_nearest_rank(values, 90),
                       sum(1 for s in values if s <= manageable_days * DAY))


def time_to_fill_from(total: FillSummary, weekly: Mapping[str, FillSummary], period: Period,
                      manageable_days: int) -> TimeToFill:
    """The KPI from summaries of the whole period and of each ISO week (weeks without fills may be missing)."""
    def days(seconds: float | None) -> float | None:
        return _days(seconds) if seconds is not None else None

    weeks = tuple(WeekFill(week, s.filled, days(s.median_seconds)) if (s := weekly.get(week)) is not None
                  else WeekFill(week, 0, None) for week in period.weeks())
    return TimeToFill(total.filled, days(total.median_seconds), days(total.p90_seconds), manageable_days,
                      _share(total.within, total.filled), weeks)


def time_to_fill(fills: Iterable[Fill], period: Period, manageable_days: int) -> TimeToFill:
    by_week: dict[str, list[float]] = {}
    every: list[float] = []
    for fill in fills:
        if fill.closed_on not in period:
            continue
        every.append(fill.seconds)
        by_week.setdefault(iso_week(fill.closed_on), []).append(fill.seconds)
    return time_to_fill_from(summarise_fills(every, manageable_days),
                             {week: summarise_fills(values, manageable_days) for week, values in by_week.items()},
                             period, manageable_days)


# --- supplier date accuracy ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DateSample:
    """How far the day the goods came was from a date a supplier gave (first promised to the customer, or a
    purchase order's): ``arrived - promised`` in days (negative: early), for ``count`` arrivals."""

    supplier: str
    days_late: int
    count: int = 1

    @classmethod
    def between(cls, supplier: str, promised: date, arrived: date, count: int = 1) -> DateSample:
        return cls(supplier, (arrived - promised).days, count)


@dataclass(frozen=True)
class DateChanges:
    """A supplier's restock-date changes in the period: how many, and how many moved the date later."""

    supplier: str
    changes: int
    slipped: int


@dataclass(frozen=True)
class SupplierAccuracy:
    supplier: str
    samples: int
    mean_days_late: float | None
    spread_days: float | None
    on_time_share: float | None
    date_changes: int
    slipped: int
    slip_share: float | None


def supplier_accuracy(samples: Iterable[DateSample], changes: Iterable[DateChanges]) -> list[SupplierAccuracy]:
    late: dict[str, list[int]] = {}
    for sample in samples:
        late.setdefault(sample.supplier, []).extend([sample.days_late] * sample.count)
    moved = {c.supplier: c for c in changes}
    rows = []
    for supplier in sorted(set(late) | set(moved)):
        days = late.get(supplier, [])
        change = moved.get(supplier, DateChanges(supplier, 0, 0))
        rows.append(SupplierAccuracy(
            supplier, len(days),
            round(statistics.fmean(days), 2) if days else None,
            round(statistics.pstdev(days), 2) if days else None,
            _share(sum(1 for d in days if d <= 0), len(days)),
            change.changes, change.slipped, _share(change.slipped, change.changes)))
    return rows


# --- SKUs backordered most often and longest -----------------------------------------------------------------

@dataclass(frozen=True)
class SkuStat:
    """One SKU's backorders created in the period: how many, their units, mean and longest wait in seconds
    (a waiting one counts its wait so far)."""

    sku: str
    backorders: int
    units: int
    mean_wait_seconds: float
    longest_wait_seconds: float


@dataclass(frozen=True)
class SkuReview:
    sku: str
    backorders: int
    per_month: float
    units: int
    mean_wait_days: float
    longest_wait_days: float
    review: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SkuRankings:
    most_often: tuple[SkuReview, ...]
    longest: tuple[SkuReview, ...]
    per_month_threshold: float
    wait_days_threshold: float
    flagged: int
    """SKUs flagged for review (all of them, not only those in the two lists)."""


def sku_rankings(stats: Iterable[SkuStat], period: Period, per_month: float, wait_days: float,
                 limit: int = TOP) -> SkuRankings:
    months = period.days / MONTH_DAYS
    reviewed: list[SkuReview] = []
    for stat in stats:
        rate = round(stat.backorders / months, 2)
        mean_days = _days(stat.mean_wait_seconds)
        reasons = []
        if rate >= per_month:
            reasons.append(f"backordered {rate:g} times a month (review at {per_month:g})")
        if mean_days >= wait_days:
            reasons.append(f"waits {mean_days:g} days on average (review at {wait_days:g})")
        reviewed.append(SkuReview(stat.sku, stat.backorders, rate, stat.units, mean_days,
                                  _days(stat.longest_wait_seconds), bool(reasons), tuple(reasons)))
    often = sorted(reviewed, key=lambda r: (-r.backorders, -r.units, r.sku))[:limit]
    longest = sorted(reviewed, key=lambda r: (-r.mean_wait_days, -r.longest_wait_days, r.sku))[:limit]
    return SkuRankings(tuple(often), tuple(longest), per_month, wait_days, sum(1 for r in reviewed if r.review))


# --- messages ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Messages:
    sent: dict[str, int]
    """Customer and merchant messages sent in the period, per kind."""
    consolation_codes_issued: int
    consolation_codes_redeemed: int
    """Consolation codes used by orders placed in the period (recorded at capture)."""
    delay_notices: int
    """Backorders that were sent a delay notice in the period."""
    cancelled_after_delay_notice: int
    """Of those, cancelled after the notice."""


def messages(sent: Mapping[str, int], issued: int, redeemed: int, delay_notices: int,
             cancelled: int) -> Messages:
    return Messages({kind: n for kind, n in sorted(sent.items()) if n}, issued, redeemed, delay_notices, cancelled)


# --- drop-ship -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DropshipLine:
    """Units drop-shipped for one fulfilled backorder, its line's unit price and the supplier's unit cost."""

    units: int
    unit_price: Decimal | None
    unit_cost: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class Dropship:
    filled: int
    dropship_filled: int
    share: float | None
    margin: dict[str, Decimal]
    margin_units: int
    cost_unknown_units: int


def dropship(filled_by_via: Mapping[str | None, int], lines: Iterable[DropshipLine]) -> Dropship:
    filled = sum(filled_by_via.values())
    shipped = filled_by_via.get("dropship", 0)
    margin: dict[str, Decimal] = {}
    known = unknown = 0
    for line in lines:
        if line.unit_price is None or line.unit_cost is None or not line.currency:
            unknown += line.units
            continue
        known += line.units
        earned = (line.unit_price - line.unit_cost) * line.units
        margin[line.currency] = margin.get(line.currency, Decimal("0")) + earned
    return Dropship(filled, shipped, _share(shipped, filled), dict(sorted(margin.items())), known, unknown)


# --- the whole report ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kpis:
    shop: str
    period: Period
    generated_at: datetime
    open_now: OpenNow
    weekly: list[WeekFlow]
    ages: Ages
    time_to_fill: TimeToFill
    suppliers: list[SupplierAccuracy]
    skus: SkuRankings
    messages: Messages
    dropship: Dropship
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape (key names and order are documented in docs/reports.md and tested)."""
        def money(values: Mapping[str, Decimal]) -> dict[str, str]:
            return {currency: f"{amount:.2f}" for currency, amount in values.items()}

        def sku(r: SkuReview) -> dict[str, Any]:
            return {"sku": r.sku, "backorders": r.backorders, "per_month": r.per_month, "units": r.units,
                    "mean_wait_days": r.mean_wait_days, "longest_wait_days": r.longest_wait_days,
                    "review": r.review, "reasons": list(r.reasons)}

        t = self.time_to_fill
        return {
            "shop": self.shop,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                       "days": self.period.days},
            "generated_at": self.generated_at.isoformat(),
            "open_now": {"count": self.open_now.count, "units": self.open_now.units,
                         "value": money(self.open_now.value), "unpriced_units": self.open_now.unpriced_units},
            "weekly": [{"week": w.week, "opened": w.opened, "closed": w.closed} for w in self.weekly],
            "age": {"buckets": [{"days": label, "count": n} for label, n in self.ages.buckets],
                    "oldest_days": self.ages.oldest_days},
            "time_to_fill": {"filled": t.filled, "median_days": t.median_days, "p90_days": t.p90_days,
                             "manageable_days": t.manageable_days,
                             "within_manageable_share": t.within_manageable_share,
                             "weekly": [{"week": w.week, "filled": w.filled, "median_days": w.median_days}
                                        for w in t.weekly]},
            "supplier_accuracy": [{"supplier": s.supplier, "samples": s.samples, "mean_days_late": s.mean_days_late,
                                   "spread_days": s.spread_days, "on_time_share": s.on_time_share,
                                   "date_changes": s.date_changes, "slipped": s.slipped, "slip_share": s.slip_share}
                                  for s in self.suppliers],
            "skus": {"review_backorders_per_month": self.skus.per_month_threshold,
                     "review_wait_days": self.skus.wait_days_threshold, "flagged": self.skus.flagged,
                     "most_often": [sku(r) for r in self.skus.most_often],
                     "longest": [sku(r) for r in self.skus.longest]},
            "messages": {"sent": dict(self.messages.sent),
                         "consolation_codes_issued": self.messages.consolation_codes_issued,
                         "consolation_codes_redeemed": self.messages.consolation_codes_redeemed,
                         "delay_notices": self.messages.delay_notices,
                         "cancelled_after_delay_notice": self.messages.cancelled_after_delay_notice},
            "dropship": {"filled": self.dropship.filled, "dropship_filled": self.dropship.dropship_filled,
                         "share": self.dropship.share, "margin": money(self.dropship.margin),
                         "margin_units": self.dropship.margin_units,
                         "cost_unknown_units": self.dropship.cost_unknown_units},
            "notes": list(self.notes),
        }


def codes_of(raw: object) -> tuple[str, ...]:
    """The discount codes an order payload lists: Shopify's ``discount_codes`` and WooCommerce's
    ``coupon_lines`` are both lists of objects with a ``code``; anything else gives none."""
    if not isinstance(raw, list):
        return ()
    codes = (item.get("code") for item in raw if isinstance(item, dict))
    return tuple(dict.fromkeys(code.strip() for code in codes if isinstance(code, str) and code.strip()))
