"""Reorder advice from a SKU's own sales history: pure rules (standard library only).

For one SKU, on day ``today`` (sales of ``today`` itself are incomplete and are not read):

- **History**: days from the SKU's first recorded sale to today. Under ``MIN_HISTORY_DAYS`` (28) the
  advice says "too little history: N days of sales" and computes nothing else.
- **Rate**: units sold in the last ``WINDOW`` (28) days / 28. **Trend**: that window's units over the
  28 days before it (a ratio: 1.25 = up 25 %), only when the history covers both windows and the
  earlier one sold something. The rate is not extrapolated by the trend; the trend is shown.
- **Slow movers**: fewer than ``SLOW_UNITS`` (6) units, or sales on fewer than ``SLOW_DAYS`` (4) days,
  over the last 56 days. Daily demand that thin is not normal-ish, so a safety stock from it would be
  invented: the advice says so and computes no reorder point.
- **Weekly seasonality**: day-of-week factors (each weekday's mean / the overall mean over the last
  ``SEASON_WEEKS`` (8) full weeks) only with at least 8 weeks of history and a clear signal: a one-way
  analysis of variance of the daily units by weekday with F >= ``SEASON_F`` (3.2, about the 1 % point
  of F(6, 49)) and some weekday at least 25 % off the mean. Else none (every factor 1).
- **Lead time**: days from a purchase order placed to received, over the supplier's received orders
  (mean and sample standard deviation; one order: spread 0), else the supplier's stated lead time
  (spread 0). Without either, no reorder point ("no lead time known").
- **Reorder point** = demand over the lead time + safety stock, where demand = rate x lead time and
  safety stock = z x sqrt(L x sd_d^2 + d^2 x sd_L^2) (sd_d: standard deviation of daily units over
  the last 56 days; z: the normal quantile of the merchant's service level, ``NormalDist().inv_cdf``).
  Rounded up to whole units.
- **Quantity**: order-up-to. The level is the reorder point + ``cover_days`` of demand (default 28);
  the order brings the stock position (store stock + units on open purchase orders) from where it
  will be when ordered (the reorder point, or below it already) up to that level, raised to the
  supplier's MOQ and whole case packs (``SkuTerms.order_quantity``). EOQ is not used: it needs an
  ordering cost and a holding rate the connector does not know.
- **Reorder by**: the first day the stock position, drawn down day by day by the rate (times the
  weekday factor), reaches the reorder point; today when it already has. Without seasonality that
  is today + floor((position - reorder point) / rate).
- **Urgency**: days until the reorder-by date, negated (overdue = positive); SKUs without a date
  (too little history, slow, no lead time, no stock figure) sort after every SKU with one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from statistics import NormalDist, fmean, pstdev, stdev

from connector.domain.purchasing import SkuTerms
from connector.domain.routing import Reason

WINDOW = 28
"""Days of the recent sales rate (and of the window before it, for the trend)."""
MIN_HISTORY_DAYS = 28
"""Days of history below which nothing is computed."""
SLOW_UNITS = 6
SLOW_DAYS = 4
"""Fewer units than SLOW_UNITS, or sales on fewer days than SLOW_DAYS, over 2 x WINDOW days: a slow mover."""
SEASON_WEEKS = 8
SEASON_F = 3.2
SEASON_MIN_EFFECT = 0.25
HORIZON_DAYS = 730
"""The reorder-by date is looked for this far ahead at most."""

STATUSES = ("overdue", "soon", "ok", "no_stock_figure", "no_lead_time", "slow_mover", "too_little_history")
"""``overdue``: the position is at or below the reorder point; ``soon``: it gets there within the lead
time; ``ok``: later; the others computed no date, and say why in their reasons."""


@dataclass(frozen=True)
class LeadTime:
    """A supplier's lead time in days and its spread (standard deviation)."""

    days: float
    spread: float
    source: str
    """purchase_orders | supplier"""
    samples: int = 0


@dataclass(frozen=True)
class ReorderInputs:
    sku: str
    today: date
    sales: Mapping[date, int]
    """Units sold per day (days without sales may be left out)."""
    on_hand: int | None
    """The store's available stock (negative when backorders draw on it); None: unknown."""
    on_order: int = 0
    """Units on the SKU's open purchase orders, not yet received."""
    lead: LeadTime | None = None
    terms: SkuTerms = field(default_factory=SkuTerms)
    service_level: float = 0.95
    cover_days: int = 28
    supplier: str | None = None
    first_sale: date | None = None
    """The SKU's first day with sales when ``sales`` holds only recent days; None: the earliest in ``sales``."""


@dataclass(frozen=True)
class Advice:
    """What to do about one SKU, and every reason behind it."""

    sku: str
    status: str
    reasons: tuple[Reason, ...]
    history_days: int
    daily_rate: float | None = None
    trend: float | None = None
    weekday_factors: tuple[float, ...] | None = None
    """Monday first; None: no weekly pattern shown by the data."""
    lead_time_days: float | None = None
    lead_time_spread: float | None = None
    lead_time_source: str | None = None
    on_hand: int | None = None
    on_order: int = 0
    safety_stock: int | None = None
    reorder_point: int | None = None
    quantity: int | None = None
    reorder_by: date | None = None
    urgency: float | None = None
    supplier: str | None = None

    @property
    def summary(self) -> str:
        """The reason that decided the status (the last one)."""
        return self.reasons[-1].text if self.reasons else ""

    def sort_key(self) -> tuple[int, float, str]:
        return (0 if self.urgency is not None else 1 + STATUSES.index(self.status),
                -(self.urgency or 0.0), self.sku)

    def as_dict(self) -> dict[str, object]:
        return {
            "sku": self.sku, "status": self.status, "history_days": self.history_days,
            "daily_rate": _round(self.daily_rate), "trend": _round(self.trend),
            "weekday_factors": [round(f, 3) for f in self.weekday_factors] if self.weekday_factors else None,
            "lead_time_days": _round(self.lead_time_days), "lead_time_spread": _round(self.lead_time_spread),
            "lead_time_source": self.lead_time_source, "on_hand": self.on_hand, "on_order": self.on_order,
            "safety_stock": self.safety_stock, "reorder_point": self.reorder_point, "quantity": self.quantity,
            "reorder_by": self.reorder_by.isoformat() if self.reorder_by else None,
            "urgency": _round(self.urgency), "supplier": self.supplier,
            "reasons": [r.text for r in self.reasons],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def sort_advice(items: list[Advice]) -> list[Advice]:
    """Most urgent first: SKUs with a reorder-by date by urgency, then the others by status and SKU."""
    return sorted(items, key=Advice.sort_key)


def lead_time(durations: list[float], stated_days: int | None) -> LeadTime | None:
    """From purchase orders' placed -> received days, else the supplier's stated lead time, else None."""
    if durations:
        spread = stdev(durations) if len(durations) > 1 else 0.0
        return LeadTime(fmean(durations), spread, "purchase_orders", len(durations))
    if stated_days is not None:
        return LeadTime(float(stated_days), 0.0, "supplier", 0)
    return None


def weekday_factors(daily: list[tuple[date, int]]) -> tuple[float, ...] | None:
    """Day-of-week factors (Monday first) from whole weeks of daily units, or None without a clear signal."""
    groups: list[list[int]] = [[] for _ in range(7)]
    for day, units in daily:
        groups[day.weekday()].append(units)
    if min(len(g) for g in groups) < SEASON_WEEKS:
        return None
    values = [u for g in groups for u in g]
    mean = fmean(values)
    if mean <= 0:
        return None
    means = [fmean(g) for g in groups]
    between = sum(len(g) * (m - mean) ** 2 for g, m in zip(groups, means, strict=True)) / 6
    within = sum((u - m) ** 2 for g, m in zip(groups, means, strict=True) for u in g) / (len(values) - 7)
    factors = tuple(m / mean for m in means)
    if max(abs(f - 1) for f in factors) < SEASON_MIN_EFFECT:
        return None
    if within > 0 and between / within < SEASON_F:
        return None
    return factors


def advise(inputs: ReorderInputs) -> Advice:
    """The advice for one SKU (see the module's docstring for every rule)."""
    today = inputs.today
    sold = {d: u for d, u in inputs.sales.items() if d < today and u}
    known = [d for d in (inputs.first_sale, min(sold) if sold else None) if d is not None and d < today]
    first = min(known) if known else None
    history = (today - first).days if first else 0
    base = Advice(sku=inputs.sku, status="too_little_history", reasons=(), history_days=history,
                  on_hand=inputs.on_hand, on_order=inputs.on_order, supplier=inputs.supplier)
    reasons: list[Reason] = []
    if history < MIN_HISTORY_DAYS:
        text = ("too little history: no sales recorded" if first is None
                else f"too little history: {history} day{'s' if history != 1 else ''} of sales")
        reasons.append(Reason("history", f"{text} (at least {MIN_HISTORY_DAYS} needed)"))
        return replace(base, reasons=tuple(reasons))
    reasons.append(Reason("history", f"{history} days of sales history", True))

    def units(start: int, end: int) -> list[int]:
        """Units per day from ``start`` days back to ``end + 1`` days back, oldest first."""
        return [sold.get(today - timedelta(days=back), 0) for back in range(start, end, -1)]

    recent = units(WINDOW, 0)
    rate = sum(recent) / WINDOW
    trend = None
    if history >= 2 * WINDOW:
        previous = sum(units(2 * WINDOW, WINDOW))
        if previous:
            trend = sum(recent) / previous
    last56 = units(2 * WINDOW, 0)
    selling_days = sum(1 for u in last56 if u)
    trend_text = "" if trend is None else f", {_trend_text(trend)} on the {WINDOW} days before"
    reasons.append(Reason("rate", f"{sum(recent)} units in the last {WINDOW} days: {rate:.2f} a day{trend_text}",
                          True))
    base = replace(base, daily_rate=rate, trend=trend)
    if sum(last56) < SLOW_UNITS or selling_days < SLOW_DAYS:
        reasons.append(Reason("slow", f"slow mover: {sum(last56)} units on {selling_days} days in the last "
                                      f"{2 * WINDOW} days; too few sales for a reorder point"))
        return replace(base, status="slow_mover", reasons=tuple(reasons))
    factors = None
    if history >= SEASON_WEEKS * 7:
        weeks = [(today - timedelta(days=back), sold.get(today - timedelta(days=back), 0))
                 for back in range(SEASON_WEEKS * 7, 0, -1)]
        factors = weekday_factors(weeks)
        if factors:
            names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
            shown = ", ".join(f"{n} {f:.2f}" for n, f in zip(names, factors, strict=True))
            reasons.append(Reason("season", f"weekly pattern over the last {SEASON_WEEKS} weeks: {shown}", True))
    base = replace(base, weekday_factors=factors)
    lead = inputs.lead
    if lead is None:
        reasons.append(Reason("lead_time", "no lead time known (no received purchase order, no stated lead time)"))
        return replace(base, status="no_lead_time", reasons=tuple(reasons))
    lead_text = (f"{lead.days:.1f} days (spread {lead.spread:.1f}) over {lead.samples} received purchase "
                 f"order{'s' if lead.samples != 1 else ''}" if lead.source == "purchase_orders"
                 else f"{lead.days:.0f} days as the supplier states it")
    reasons.append(Reason("lead_time", f"lead time {lead_text}", True))
    base = replace(base, lead_time_days=lead.days, lead_time_spread=lead.spread, lead_time_source=lead.source)
    sd_daily = pstdev(last56)
    z = NormalDist().inv_cdf(inputs.service_level)
    safety = z * math.sqrt(lead.days * sd_daily ** 2 + rate ** 2 * lead.spread ** 2)
    safety_units = max(0, math.ceil(safety - 1e-9))
    point = math.ceil(rate * lead.days + safety - 1e-9)
    reasons.append(Reason("reorder_point", f"reorder point {point}: {rate * lead.days:.1f} units over the lead "
                                           f"time + safety stock {safety:.1f} for a "
                                           f"{inputs.service_level:.0%} service level (z {z:.2f})", True))
    base = replace(base, safety_stock=safety_units, reorder_point=point)
    if inputs.on_hand is None:
        reasons.append(Reason("stock", "the store's stock of this SKU is not known: no reorder date"))
        return replace(base, status="no_stock_figure", reasons=tuple(reasons))
    position = inputs.on_hand + inputs.on_order
    level = point + rate * inputs.cover_days
    needed = max(1, math.ceil(level - min(position, point) - 1e-9))
    quantity = inputs.terms.order_quantity(needed)
    terms_text = ""
    if quantity != needed:
        terms_text = (f", raised to {quantity} by the supplier's minimum {inputs.terms.min_order_quantity} "
                      f"and case pack {inputs.terms.case_pack}")
    days = _days_to_point(position, point, rate, factors, today)
    reorder_by = today + timedelta(days=days) if days is not None else None
    if days is None:
        status, when = "ok", f"not within {HORIZON_DAYS} days"
    elif days <= 0:
        status, when = "overdue", "now"
    else:
        status = "soon" if days <= lead.days else "ok"
        when = f"by {reorder_by.isoformat()}" if reorder_by else ""
    on_order = f" + {inputs.on_order} on order" if inputs.on_order else ""
    reasons.append(Reason("quantity", f"order {quantity} {when}: stock {inputs.on_hand}{on_order} against the "
                                      f"reorder point {point}; up to {level:.0f} covers {inputs.cover_days} days"
                                      f"{terms_text}", status == "ok"))
    urgency = float(-days) if days is not None else float(-HORIZON_DAYS)
    return replace(base, status=status, reasons=tuple(reasons), quantity=quantity, reorder_by=reorder_by,
                   urgency=urgency)


def _trend_text(trend: float) -> str:
    change = (trend - 1) * 100
    if abs(change) < 0.5:
        return "flat"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0f} %"


def _days_to_point(position: int, point: int, rate: float, factors: tuple[float, ...] | None,
                   today: date) -> int | None:
    """Days from today until the position, drawn down by the forecast, reaches the reorder point."""
    if position <= point:
        return 0
    if rate <= 0:
        return None
    if factors is None:
        days = math.floor((position - point) / rate + 1e-9)
        return days if days <= HORIZON_DAYS else None
    left = float(position - point)
    for ahead in range(HORIZON_DAYS + 1):
        demand = rate * factors[(today + timedelta(days=ahead)).weekday()]
        if left - demand < -1e-9:
            return ahead
        left -= demand
    return None
