"""Deferred revenue on hand-computed data: nothing, one waiting order, a partial shipment not yet charged,
charges that settle it, several days and currencies, the shop's time zone deciding the day."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from connector.reports.deferred_revenue import BackorderLine, as_csv, as_json, deferred_revenue

MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NEXT_DAY = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)


def line(order_id: int, *, backordered: int, shipped: int = 0, price: str | None = "10.00", status: str = "open",
         route: str | None = None, at: datetime = MORNING, currency: str = "EUR",
         backorder_id: int = 0) -> BackorderLine:
    return BackorderLine(order_id, f"#{1000 + order_id}", at, currency, backorder_id or order_id, status,
                         backordered, shipped, Decimal(price) if price is not None else None, route)


def rows(lines, charged=None, zone="UTC"):
    return [r.as_dict() for r in deferred_revenue(lines, charged or {}, zone)]


def test_nothing_waiting_and_nothing_shipped_is_an_empty_report() -> None:
    assert rows([]) == []
    assert as_json(deferred_revenue([], {})) == "[]"
    assert as_csv(deferred_revenue([], {})).splitlines() == [
        "day,currency,orders_waiting,units_waiting,value_waiting,units_unpriced,orders_uncharged,"
        "value_shipped_uncharged"]


def test_one_waiting_order_counts_its_units_at_the_line_price() -> None:
    assert rows([line(1, backordered=3, price="12.50")]) == [
        {"day": "2026-12-01", "currency": "EUR", "orders_waiting": 1, "units_waiting": 3, "value_waiting": "37.50",
         "units_unpriced": 0, "orders_uncharged": 0, "value_shipped_uncharged": "0.00"},
        {"day": "total", "currency": "EUR", "orders_waiting": 1, "units_waiting": 3, "value_waiting": "37.50",
         "units_unpriced": 0, "orders_uncharged": 0, "value_shipped_uncharged": "0.00"}]


def test_a_partial_shipment_leaves_the_rest_waiting_and_the_shipped_part_to_charge() -> None:
    # 5 backordered at 8.00, 2 shipped; the order's payment is an authorisation captured on shipment
    found = rows([line(1, backordered=5, shipped=2, price="8.00", status="allocated", route="authorization")])
    assert found[0] == {"day": "2026-12-01", "currency": "EUR", "orders_waiting": 1, "units_waiting": 3,
                        "value_waiting": "24.00", "units_unpriced": 0, "orders_uncharged": 1,
                        "value_shipped_uncharged": "16.00"}
    captured = rows([line(1, backordered=5, shipped=2, price="8.00", status="allocated", route="authorization")],
                    {1: Decimal("16.00")})
    assert captured[0]["value_shipped_uncharged"] == "0.00" and captured[0]["orders_uncharged"] == 0
    part = rows([line(1, backordered=5, shipped=2, price="8.00", route="mandate")], {1: Decimal("10.00")})
    assert part[0]["value_shipped_uncharged"] == "6.00"


def test_fulfilled_backorders_count_only_for_what_is_left_to_charge() -> None:
    paid_at_checkout = line(1, backordered=2, shipped=2, status="fulfilled", route="paid_at_checkout")
    not_charged = line(2, backordered=1, shipped=1, price="30.00", status="fulfilled", route="mandate")
    charged = line(3, backordered=1, shipped=1, price="30.00", status="fulfilled", route="mandate")
    found = rows([paid_at_checkout, not_charged, charged], {3: Decimal("30.00")})
    assert found[0] == {"day": "2026-12-01", "currency": "EUR", "orders_waiting": 0, "units_waiting": 0,
                        "value_waiting": "0.00", "units_unpriced": 0, "orders_uncharged": 1,
                        "value_shipped_uncharged": "30.00"}
    assert len(found) == 2


def test_days_and_currencies_are_kept_apart_and_the_shop_s_time_zone_decides_the_day() -> None:
    lines = [line(1, backordered=1), line(2, backordered=2, at=NEXT_DAY), line(3, backordered=1, currency="USD"),
             line(4, backordered=4, price=None)]
    found = rows(lines)
    assert [(r["day"], r["currency"], r["units_waiting"], r["value_waiting"], r["units_unpriced"]) for r in found] == [
        ("2026-12-01", "EUR", 5, "10.00", 4), ("2026-12-01", "USD", 1, "10.00", 0),
        ("2026-12-02", "EUR", 2, "20.00", 0),
        ("total", "EUR", 7, "30.00", 4), ("total", "USD", 1, "10.00", 0)]
    berlin = rows([line(2, backordered=2, at=NEXT_DAY)], zone="Europe/Berlin")  # 23:30 UTC is 00:30 next day
    assert berlin[0]["day"] == "2026-12-03"


def test_two_lines_of_one_order_are_one_order_waiting() -> None:
    found = rows([line(1, backordered=1, backorder_id=11), line(1, backordered=2, price="5.00", backorder_id=12)])
    assert (found[0]["orders_waiting"], found[0]["units_waiting"], found[0]["value_waiting"]) == (1, 3, "20.00")
