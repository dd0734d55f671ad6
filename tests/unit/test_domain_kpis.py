"""The KPI definitions (connector/domain/kpis.py) on hand-computed cases: an empty shop, one order, many."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from connector.domain import kpis as k

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)
MARCH = k.Period(date(2026, 3, 1), date(2026, 3, 31))


def test_a_period_lists_every_iso_week_it_touches_and_refuses_to_run_backwards() -> None:
    assert MARCH.days == 31
    assert MARCH.weeks() == ["2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"]
    assert k.Period(date(2025, 12, 29), date(2026, 1, 4)).weeks() == ["2026-W01"]  # ISO year, not calendar
    assert k.Period.last_days(date(2026, 3, 31), 90).start == date(2026, 1, 1)
    with pytest.raises(ValueError, match="before it starts"):
        k.Period(date(2026, 3, 2), date(2026, 3, 1))


def test_an_empty_shop_has_zeros_and_no_invented_medians() -> None:
    assert k.open_now([]) == k.OpenNow(0, 0, {}, 0)
    assert [w.opened + w.closed for w in k.weekly_flow({}, {}, MARCH)] == [0] * 6
    assert k.ages({}) == k.Ages((("0-7", 0), ("8-14", 0), ("15-30", 0), ("31-60", 0), (">60", 0)), None)
    fill = k.time_to_fill([], MARCH, 7)
    assert (fill.filled, fill.median_days, fill.p90_days, fill.within_manageable_share) == (0, None, None, None)
    assert all(w.median_days is None for w in fill.weekly)
    assert k.supplier_accuracy([], []) == []
    assert k.sku_rankings([], MARCH, 4, 21) == k.SkuRankings((), (), 4, 21, 0)
    assert k.dropship({}, []) == k.Dropship(0, 0, None, {}, 0, 0)


def test_one_order_gives_its_own_numbers() -> None:
    row = k.OpenRow(2, Decimal("9.50"), "EUR")
    assert k.open_now([row]) == k.OpenNow(1, 2, {"EUR": Decimal("19.00")}, 0)
    age = k.age_days(datetime(2026, 3, 20, 13, tzinfo=UTC), NOW)
    assert age == 10  # 10 days 23 hours
    assert k.ages({age: 1}).buckets[1] == ("8-14", 1) and k.ages({age: 1}).oldest_days == 10
    fill = k.time_to_fill([k.Fill(date(2026, 3, 10), 1.5 * k.DAY)], MARCH, 7)
    assert (fill.filled, fill.median_days, fill.p90_days, fill.within_manageable_share) == (1, 1.5, 1.5, 1.0)
    assert [w.filled for w in fill.weekly] == [0, 0, 1, 0, 0, 0]  # 10 March: week 11


def test_age_buckets_have_their_edges_where_the_labels_say() -> None:
    created = [NOW - timedelta(days=d, hours=1) for d in (0, 7, 8, 14, 15, 30, 60, 61)]
    by_age: dict[int, int] = {}
    for when in created:
        by_age[k.age_days(when, NOW)] = by_age.get(k.age_days(when, NOW), 0) + 1
    got = k.ages(by_age)
    assert got.buckets == (("0-7", 2), ("8-14", 2), ("15-30", 2), ("31-60", 1), (">60", 1))
    assert got.oldest_days == 61


def test_median_is_the_middle_and_p90_the_nearest_rank_over_many_fills() -> None:
    days = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]  # p90: 9th of 10; median (5 + 6) / 2
    fills = [k.Fill(date(2026, 3, 2 + i), d * k.DAY) for i, d in enumerate(days)]
    got = k.time_to_fill(fills + [k.Fill(date(2026, 4, 1), 99 * k.DAY)], MARCH, 7)  # April: outside
    assert (got.filled, got.median_days, got.p90_days) == (10, 5.5, 9.0)
    assert got.within_manageable_share == 0.7
    assert [(w.week, w.filled, w.median_days) for w in got.weekly][:3] == [
        ("2026-W09", 0, None), ("2026-W10", 7, 4.0), ("2026-W11", 3, 9.0)]
    assert k.percentile_nearest_rank([5.0], 90) == 5.0
    assert k.time_to_fill([k.Fill(date(2026, 3, 3), -60.0)], MARCH, 0).median_days == 0.0  # never negative


def test_weekly_flow_counts_days_into_their_iso_weeks_and_ignores_days_outside() -> None:
    got = k.weekly_flow({date(2026, 3, 1): 2, date(2026, 3, 2): 3, date(2026, 2, 28): 9},
                        {date(2026, 3, 8): 1, date(2026, 3, 9): 4}, MARCH)
    assert [(w.week, w.opened, w.closed) for w in got][:3] == [("2026-W09", 2, 0), ("2026-W10", 3, 1),
                                                              ("2026-W11", 0, 4)]


def test_supplier_accuracy_has_mean_spread_on_time_share_and_slips_per_supplier() -> None:
    samples = [k.DateSample.between("Acme", date(2026, 3, 10), date(2026, 3, 9)),     # 1 day early
               k.DateSample.between("Acme", date(2026, 3, 10), date(2026, 3, 13), 2),  # 3 days late, twice
               k.DateSample("Bolt", 0)]
    got = k.supplier_accuracy(samples, [k.DateChanges("Acme", 4, 3), k.DateChanges("Cord", 1, 0)])
    assert got == [
        k.SupplierAccuracy("Acme", 3, 1.67, 1.89, 0.333, 4, 3, 0.75),   # days -1, 3, 3: pstdev sqrt(32/9)
        k.SupplierAccuracy("Bolt", 1, 0.0, 0.0, 1.0, 0, 0, None),
        k.SupplierAccuracy("Cord", 0, None, None, None, 1, 0, 0.0)]


def test_skus_past_a_threshold_are_flagged_for_review_with_the_reason() -> None:
    stats = [k.SkuStat("A", 6, 9, 2 * k.DAY, 4 * k.DAY), k.SkuStat("B", 1, 1, 30 * k.DAY, 30 * k.DAY),
             k.SkuStat("C", 2, 5, 1 * k.DAY, 1 * k.DAY)]
    got = k.sku_rankings(stats, k.Period(date(2026, 3, 1), date(2026, 3, 30)), 5, 21, limit=2)
    assert [r.sku for r in got.most_often] == ["A", "C"] and [r.sku for r in got.longest] == ["B", "A"]
    a, b = got.most_often[0], got.longest[0]
    assert a.review and a.reasons == ("backordered 6 times a month (review at 5)",)
    assert b.review and b.reasons == ("waits 30 days on average (review at 21)",)
    assert not got.most_often[1].review and got.flagged == 2


def test_waiting_rows_grouped_by_price_count_every_backorder_and_a_future_creation_is_age_zero() -> None:
    rows = [k.OpenRow(5, Decimal("2.00"), "EUR", count=3), k.OpenRow(4, None, "EUR", count=2),
            k.OpenRow(1, Decimal("7.25"), "USD")]
    assert k.open_now(rows) == k.OpenNow(6, 10, {"EUR": Decimal("10.00"), "USD": Decimal("7.25")}, 4)
    assert k.age_days(NOW + timedelta(hours=3), NOW) == 0
    assert k.ages({-1: 2, 0: 0}) == k.ages({0: 2})


def test_summaries_of_fills_give_the_same_kpi_as_the_fills_themselves() -> None:
    fills = [k.Fill(date(2026, 3, 3), 2 * k.DAY), k.Fill(date(2026, 3, 4), 9 * k.DAY),
             k.Fill(date(2026, 3, 20), 4 * k.DAY)]
    summary = k.summarise_fills([f.seconds for f in fills], 7)
    assert summary == k.FillSummary(3, 4 * k.DAY, 9 * k.DAY, 2)
    weekly = {"2026-W10": k.summarise_fills([2 * k.DAY, 9 * k.DAY], 7),
              "2026-W12": k.summarise_fills([4 * k.DAY], 7)}
    assert k.time_to_fill_from(summary, weekly, MARCH, 7) == k.time_to_fill(fills, MARCH, 7)
    assert k.time_to_fill(fills, MARCH, 7).weekly[1] == k.WeekFill("2026-W10", 2, 5.5)


def test_messages_leave_out_kinds_never_sent_and_dropship_margin_needs_price_and_cost() -> None:
    assert k.messages({"delay_notice": 2, "apology": 0}, 1, None, 2, 1).sent == {"delay_notice": 2}
    got = k.dropship({"dropship": 2, "allocation": 3, None: 1},
                     [k.DropshipLine(2, Decimal("20"), Decimal("12.50"), "EUR"),
                      k.DropshipLine(1, Decimal("20"), None, "EUR")])
    assert got == k.Dropship(6, 2, 0.333, {"EUR": Decimal("15.00")}, 2, 1)
