"""Deferred revenue: per order day, what was sold on backorder but not yet shipped, and what shipped but
was not yet charged (``connector report --shop S --deferred-revenue [--csv|--json]``).

- **Waiting** (sold, not shipped): backorders still ``open`` or ``allocated``; units = backordered minus
  shipped so far; value = units x the line's unit price (after line discounts, as the store reported it).
  A line without a price counts in ``units_unpriced`` and adds no value.
- **Shipped, not charged**: for orders whose payment the connector defers (an ``order_payments`` row
  with route authorization, mandate or woocommerce), the value of the backordered units shipped so far
  less what the connector's captures and charges for the order collected (``payment_charges`` that
  succeeded), never below zero. Orders paid in full at checkout, or not deferred, have nothing to
  charge and are not counted there.

Days are the order's date in the shop's time zone (``dates.timezone``); amounts are per currency (a
shop can sell in several), never converted. Backorders stay backorders until they ship: a waiting
backorder counts here whatever its allocation, and a fulfilled one only for what is left to charge.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from connector.db.uow import UnitOfWork

WAITING = ("open", "allocated")
DEFERRED_ROUTES = ("authorization", "mandate", "woocommerce")
CENT = Decimal("0.01")
COLUMNS = ("day", "currency", "orders_waiting", "units_waiting", "value_waiting", "units_unpriced",
           "orders_uncharged", "value_shipped_uncharged")


@dataclass(frozen=True)
class BackorderLine:
    order_id: int
    order_name: str
    ordered_at: datetime
    currency: str
    backorder_id: int
    status: str
    quantity_backordered: int
    quantity_shipped: int
    unit_price: Decimal | None
    payment_route: str | None
    """How the order's payment is collected (connector/payments/models.py ROUTES); None: not deferred."""


@dataclass
class DayRow:
    day: str
    currency: str
    orders_waiting: int = 0
    units_waiting: int = 0
    value_waiting: Decimal = Decimal("0.00")
    units_unpriced: int = 0
    orders_uncharged: int = 0
    value_shipped_uncharged: Decimal = Decimal("0.00")

    def as_dict(self) -> dict[str, object]:
        row = asdict(self)
        row["value_waiting"] = str(self.value_waiting.quantize(CENT))
        row["value_shipped_uncharged"] = str(self.value_shipped_uncharged.quantize(CENT))
        return row


def deferred_revenue(lines: Iterable[BackorderLine], charged: Mapping[int, Decimal], zone: str = "UTC") -> list[DayRow]:
    """Rows per (order day, currency), oldest day first, then a ``total`` row per currency."""
    tz = ZoneInfo(zone)
    days: dict[tuple[date, str], DayRow] = {}
    waiting_orders: dict[tuple[date, str], set[int]] = {}
    shipped_value: dict[int, Decimal] = {}
    order_key: dict[int, tuple[date, str]] = {}
    for line in lines:
        key = (line.ordered_at.astimezone(tz).date(), line.currency)
        row = days.setdefault(key, DayRow(key[0].isoformat(), key[1]))
        order_key[line.order_id] = key
        if line.status in WAITING:
            units = max(0, line.quantity_backordered - line.quantity_shipped)
            if units:
                row.units_waiting += units
                waiting_orders.setdefault(key, set()).add(line.order_id)
                if line.unit_price is None:
                    row.units_unpriced += units
                else:
                    row.value_waiting += line.unit_price * units
        if line.payment_route in DEFERRED_ROUTES and line.quantity_shipped > 0 and line.unit_price is not None:
            shipped = min(line.quantity_shipped, line.quantity_backordered)
            shipped_value[line.order_id] = shipped_value.get(line.order_id, Decimal("0")) + line.unit_price * shipped
    for order_id, value in shipped_value.items():
        left = max(Decimal("0"), value - charged.get(order_id, Decimal("0")))
        if left > 0:
            row = days[order_key[order_id]]
            row.value_shipped_uncharged += left
            row.orders_uncharged += 1
    for key, orders in waiting_orders.items():
        days[key].orders_waiting = len(orders)
    rows = [r for _, r in sorted(days.items()) if r.units_waiting or r.value_shipped_uncharged]
    totals: dict[str, DayRow] = {}
    for r in rows:
        t = totals.setdefault(r.currency, DayRow("total", r.currency))
        t.orders_waiting += r.orders_waiting
        t.units_waiting += r.units_waiting
        t.value_waiting += r.value_waiting
        t.units_unpriced += r.units_unpriced
        t.orders_uncharged += r.orders_uncharged
        t.value_shipped_uncharged += r.value_shipped_uncharged
    return rows + [totals[c] for c in sorted(totals)]


def shop_report(uow: UnitOfWork, shop_id: int) -> list[DayRow]:
    """The report of one shop from its stored backorders, order payments and charges."""
    from connector.reports.repository import ReportsRepository
    from connector.shop_settings import get_setting

    zone = str(get_setting(uow, shop_id, "dates.timezone"))
    with uow:
        repo = uow.repo(ReportsRepository)
        lines = repo.backorder_lines(shop_id)
        charged = repo.charged_by_order(shop_id, sorted({line.order_id for line in lines
                                                         if line.payment_route in DEFERRED_ROUTES}))
    return deferred_revenue(lines, charged, zone)


def as_json(rows: list[DayRow]) -> str:
    return json.dumps([r.as_dict() for r in rows], indent=2)


def as_csv(rows: list[DayRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(r.as_dict())
    return out.getvalue()
