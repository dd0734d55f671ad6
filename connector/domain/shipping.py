"""Which units of a partly shipped line are the backordered ones. Standard library only.

The store ships what it has: when only part of a line ships, the line's in-stock units (those not
backordered) are taken to ship first, and only the shipped units beyond them count against its
backorder. A line of 5 with 2 backordered that ships 3 has shipped none of its backordered units;
shipping a 4th ships one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def backordered_units_shipped(quantity: int, fulfilled: int, backordered: int) -> int:
    """Units of the backorder that have shipped, given the line's current ``quantity``, the units the
    store reports ``fulfilled`` and the units ``backordered`` on it (in-stock units ship first)."""
    backordered = max(0, min(backordered, quantity))
    in_stock = quantity - backordered
    return max(0, min(backordered, fulfilled - in_stock))


@dataclass(frozen=True)
class ShipmentDecision:
    """What one reading of a line's shipped units means for its waiting backorder."""

    newly_shipped: int
    """Backordered units shipped since the last reading (0: nothing new)."""
    closes: bool
    """Every backordered unit has now shipped: the backorder is fulfilled."""
    reason: str


def decide(quantity: int, fulfilled: int, backordered: int, already_shipped: int) -> ShipmentDecision:
    """Compare the store's shipped units with what was recorded; shipped units never go back (a
    fulfillment cancelled after the backorder closed does not reopen it)."""
    shipped = backordered_units_shipped(quantity, fulfilled, backordered)
    if shipped <= already_shipped:
        return ShipmentDecision(0, False, f"{shipped} of {backordered} backordered units shipped, "
                                          f"{already_shipped} already recorded")
    closes = shipped >= backordered
    return ShipmentDecision(shipped - already_shipped, closes,
                            f"{fulfilled} of {quantity} units shipped, {quantity - backordered} in stock first: "
                            f"{shipped} of {backordered} backordered units shipped")


def time_to_fill_seconds(created_at: datetime, closed_at: datetime | None) -> int | None:
    """Time to fill of a fulfilled backorder: ``closed_at - created_at`` in whole seconds, clamped at
    zero (a store's shipment time may precede the connector's capture of the order); None while open."""
    if closed_at is None:
        return None
    return max(0, int((closed_at - created_at).total_seconds()))


def human_duration(seconds: int | None) -> str:
    """``93784`` -> ``1d 2h``, ``4500`` -> ``1h 15m``, ``59`` -> ``59s``: two units at most; '' for None."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    return f"{secs}s"
