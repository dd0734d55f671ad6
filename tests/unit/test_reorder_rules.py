"""Reorder advice rules (connector/domain/reorder.py) on hand-computed histories."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connector.domain.purchasing import SkuTerms
from connector.domain.reorder import (
    Advice,
    LeadTime,
    ReorderInputs,
    advise,
    lead_time,
    sort_advice,
    weekday_factors,
)

TODAY = date(2026, 11, 30)  # a Monday
STATED_10 = LeadTime(10.0, 0.0, "supplier")


def daily(units_by_back: dict[int, int]) -> dict[date, int]:
    """Sales keyed by days back from TODAY (1 = yesterday)."""
    return {TODAY - timedelta(days=back): units for back, units in units_by_back.items()}


def every_day(units: int, days: int) -> dict[date, int]:
    return daily({back: units for back in range(1, days + 1)})


def test_an_empty_history_says_no_sales_were_recorded_and_computes_nothing():
    advice = advise(ReorderInputs("MUG", TODAY, {}, on_hand=10, lead=STATED_10))
    assert advice.status == "too_little_history"
    assert advice.summary == "too little history: no sales recorded (at least 28 needed)"
    assert (advice.daily_rate, advice.reorder_point, advice.quantity, advice.reorder_by) == (None, None, None, None)


def test_one_order_three_days_ago_is_too_little_history_with_its_days_counted():
    advice = advise(ReorderInputs("MUG", TODAY, daily({3: 2}), on_hand=10, lead=STATED_10))
    assert advice.status == "too_little_history"
    assert advice.history_days == 3
    assert advice.summary.startswith("too little history: 3 days of sales")


def test_todays_incomplete_sales_are_not_read():
    advice = advise(ReorderInputs("MUG", TODAY, {TODAY: 50}, on_hand=10, lead=STATED_10))
    assert advice.status == "too_little_history" and advice.history_days == 0


def test_the_first_sale_given_apart_from_recent_days_sets_the_history_length():
    advice = advise(ReorderInputs("MUG", TODAY, every_day(3, 56), on_hand=50, lead=STATED_10,
                                  first_sale=TODAY - timedelta(days=400)))
    assert advice.history_days == 400


def test_a_steady_seller_gets_its_reorder_point_date_and_quantity_under_moq_and_case_pack():
    # 3 a day, no spread: safety stock 0, reorder point 3 x 10 = 30; stock 50 reaches it after
    # floor(20 / 3) = 6 days; up to 30 + 3 x 28 = 114 from 30: 84, raised to the MOQ 100, cases of 12: 108
    advice = advise(ReorderInputs("MUG", TODAY, every_day(3, 90), on_hand=50, lead=STATED_10,
                                  terms=SkuTerms(min_order_quantity=100, case_pack=12)))
    assert advice.daily_rate == 3.0
    assert advice.trend == 1.0
    assert (advice.safety_stock, advice.reorder_point) == (0, 30)
    assert advice.reorder_by == TODAY + timedelta(days=6)
    assert advice.status == "soon"  # 6 days is within the 10-day lead time
    assert advice.quantity == 108
    assert advice.urgency == -6.0
    assert "raised to 108 by the supplier's minimum 100 and case pack 12" in advice.summary


def test_spread_in_demand_and_lead_time_makes_safety_stock_for_the_service_level():
    # 2 and 4 units on alternate days: mean 3, sd 1; lead times 8 and 12 days: mean 10, sd 2.828;
    # safety = 1.6449 x sqrt(10 x 1 + 9 x 8) = 14.89 -> 15 units, reorder point ceil(30 + 14.89) = 45
    sales = daily({back: 2 if back % 2 else 4 for back in range(1, 57)})
    lead = lead_time([8.0, 12.0], stated_days=5)
    advice = advise(ReorderInputs("MUG", TODAY, sales, on_hand=40, lead=lead, service_level=0.95))
    assert lead is not None and lead.source == "purchase_orders" and lead.spread == pytest.approx(2.8284, abs=1e-4)
    assert advice.weekday_factors is None  # every weekday saw both 2s and 4s
    assert (advice.safety_stock, advice.reorder_point) == (15, 45)
    assert advice.status == "overdue" and advice.reorder_by == TODAY and advice.urgency == 0.0
    assert advice.quantity == 89  # up to 45 + 84 = 129 from the stock of 40


def test_a_higher_service_level_raises_the_reorder_point():
    sales = daily({back: 2 if back % 2 else 4 for back in range(1, 57)})
    lead = LeadTime(10.0, 2.0, "purchase_orders", 3)
    low = advise(ReorderInputs("MUG", TODAY, sales, on_hand=100, lead=lead, service_level=0.9))
    high = advise(ReorderInputs("MUG", TODAY, sales, on_hand=100, lead=lead, service_level=0.99))
    assert low.reorder_point is not None and high.reorder_point is not None
    assert high.reorder_point > low.reorder_point


def test_units_on_open_purchase_orders_count_in_the_stock_position():
    advice = advise(ReorderInputs("MUG", TODAY, every_day(3, 90), on_hand=20, on_order=30, lead=STATED_10))
    # position 50 against the reorder point 30: as in the steady case
    assert advice.reorder_by == TODAY + timedelta(days=6)


def test_the_trend_compares_the_last_28_days_with_the_28_before():
    sales = {**daily({back: 2 for back in range(29, 57)}), **daily({back: 3 for back in range(1, 29)})}
    advice = advise(ReorderInputs("MUG", TODAY, sales, on_hand=500, lead=STATED_10))
    assert advice.trend == 1.5
    assert "84 units in the last 28 days: 3.00 a day, up 50 % on the 28 days before" in [r.text for r in advice.reasons]


def test_a_slow_mover_says_so_instead_of_a_reorder_point():
    sales = daily({50: 1, 40: 1, 30: 1, 20: 1, 10: 1})
    advice = advise(ReorderInputs("MUG", TODAY, sales, on_hand=2, lead=STATED_10))
    assert advice.status == "slow_mover"
    assert advice.summary.startswith("slow mover: 5 units on 5 days in the last 56 days")
    assert advice.reorder_point is None and advice.reorder_by is None


def test_a_clear_weekend_peak_gives_weekday_factors_and_moves_the_reorder_date():
    # ten weeks of 2 units Monday to Friday and 9 on Saturday and Sunday: mean 4, factors 0.5 and 2.25.
    sales = daily({back: 9 if (TODAY - timedelta(days=back)).weekday() >= 5 else 2 for back in range(1, 71)})
    lead = LeadTime(7.0, 0.0, "supplier")
    advice = advise(ReorderInputs("MUG", TODAY, sales, on_hand=40, lead=lead, service_level=0.5))
    assert advice.weekday_factors == (0.5, 0.5, 0.5, 0.5, 0.5, 2.25, 2.25)
    assert advice.reorder_point == 28  # z = 0 at a 50 % service level: 4 x 7
    # 12 units above it: Monday to Friday use 10, Saturday's 9 would cross it -> order on Saturday (+5);
    # without the pattern it would be floor(12 / 4) = 3 days
    assert advice.reorder_by == TODAY + timedelta(days=5)


def test_a_weak_weekday_difference_is_not_called_seasonal():
    # 8 weeks of noise that does not follow the weekday: 3, 4, 5 repeating
    history = [(TODAY - timedelta(days=back), (3, 4, 5)[back % 3]) for back in range(56, 0, -1)]
    assert weekday_factors(history) is None


def test_no_lead_time_and_no_stock_figure_say_so():
    sales = every_day(3, 60)
    assert advise(ReorderInputs("MUG", TODAY, sales, on_hand=5)).summary.startswith("no lead time known")
    unknown = advise(ReorderInputs("MUG", TODAY, sales, on_hand=None, lead=STATED_10))
    assert unknown.status == "no_stock_figure" and unknown.reorder_point == 30 and unknown.reorder_by is None


def test_lead_time_falls_back_to_the_supplier_then_to_nothing():
    assert lead_time([], None) is None
    assert lead_time([], 12) == LeadTime(12.0, 0.0, "supplier", 0)
    assert lead_time([9.0], 12) == LeadTime(9.0, 0.0, "purchase_orders", 1)


def test_advice_sorts_by_urgency_then_the_undated_by_status():
    steady = every_day(3, 90)
    overdue = advise(ReorderInputs("B-OVER", TODAY, steady, on_hand=10, lead=STATED_10))
    later = advise(ReorderInputs("A-LATER", TODAY, steady, on_hand=300, lead=STATED_10))
    soon = advise(ReorderInputs("C-SOON", TODAY, steady, on_hand=45, lead=STATED_10))
    young = advise(ReorderInputs("D-NEW", TODAY, daily({2: 1}), on_hand=1, lead=STATED_10))
    slow = advise(ReorderInputs("E-SLOW", TODAY, daily({20: 1}) | daily({40: 1}) | daily({50: 1}), on_hand=1))
    ordered = sort_advice([young, later, slow, soon, overdue])
    assert [a.sku for a in ordered] == ["B-OVER", "C-SOON", "A-LATER", "E-SLOW", "D-NEW"]
    assert [a.status for a in ordered[:3]] == ["overdue", "soon", "ok"]


def test_advice_as_a_dict_is_plain_json():
    advice = advise(ReorderInputs("MUG", TODAY, every_day(3, 90), on_hand=50, lead=STATED_10))
    data = advice.as_dict()
    assert data["reorder_by"] == "2026-12-06" and data["reorder_point"] == 30 and isinstance(data["reasons"], list)
    assert isinstance(advice, Advice)
