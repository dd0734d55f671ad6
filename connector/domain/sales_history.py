"""Sales history: what one store order counts in the daily sales of its SKUs (standard library only).

An order counts, on the day it was created (in the shop's time zone), the units still on each line
(Shopify ``currentQuantity``, WooCommerce quantity less refunded units: refunds and removals are
already off) per SKU; a cancelled order counts nothing. Lines without a SKU are not counted. When an
order is read again (the history read resumed, the order captured later, a cancellation or a refund),
the days change by the difference between what it counts now and what it counted before, so nothing
is counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo


@dataclass(frozen=True)
class SoldOrder:
    """One store order as the sales history reads it."""

    order_id: str
    created_at: datetime
    lines: tuple[tuple[str | None, int], ...]
    """(sku, units still on the line)"""
    cancelled: bool = False


@dataclass(frozen=True)
class SalesPage:
    """One page of the platform's orders, oldest first."""

    orders: tuple[SoldOrder, ...]
    next_cursor: str | None
    """Where the next page starts; None: this was the last."""
    total: int | None = None
    """How many orders the whole read covers, when the platform says."""


Counted = tuple[date, dict[str, int]]


def counted(order: SoldOrder, zone: tzinfo) -> Counted:
    """The day and units per SKU the order counts now."""
    units: dict[str, int] = {}
    if not order.cancelled:
        for sku, quantity in order.lines:
            if sku and quantity > 0:
                units[sku] = units.get(sku, 0) + quantity
    return order.created_at.astimezone(zone).date(), units


def deltas(before: Counted | None, now: Counted, into: dict[tuple[str, date], tuple[int, int]]) -> None:
    """Add to ``into`` the change of (units, orders) per (sku, day) from ``before`` to ``now``."""
    def add(day: date, units: Mapping[str, int], sign: int) -> None:
        for sku, quantity in units.items():
            old_units, old_orders = into.get((sku, day), (0, 0))
            into[(sku, day)] = (old_units + sign * quantity, old_orders + sign)

    if before is not None:
        add(before[0], before[1], -1)
    add(now[0], now[1], 1)
    for key in [k for k, v in into.items() if v == (0, 0)]:
        del into[key]
