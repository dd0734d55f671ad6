"""First come, first served allocation of arriving units: hand-computed cases, priority tags, the
whole-lines option, and the shortage rule agreeing with it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from connector.domain.allocation import (
    Claim,
    allocate_units,
    arrived,
    assign_shortage,
    cover,
    priority_tag_of,
)


def at(hour: int) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC)


def given(grants) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {g.order_id: g.quantity for g in grants}


def test_units_go_to_the_earliest_orders_and_the_last_one_served_gets_a_partial():
    claims = [Claim("C", "c", at(3), 3), Claim("A", "a", at(1), 2), Claim("B", "b", at(2), 2)]
    grants = allocate_units(5, claims)
    assert given(grants) == {"A": 2, "B": 2, "C": 1}
    assert [g.rank for g in grants] == [1, 2, 3]
    assert [g.complete for g in grants] == [True, True, False]
    assert "number 1 in line" in grants[0].reasons[0]
    assert "the rest waits" in grants[2].reasons[-1]


def test_an_order_with_a_priority_tag_goes_before_every_order_without_one():
    claims = [Claim("A", "a", at(1), 2), Claim("B", "b", at(2), 2), Claim("C", "c", at(3), 3, "vip")]
    grants = allocate_units(5, claims)
    assert given(grants) == {"C": 3, "A": 2}
    assert grants[0].reasons[0] == "priority tag 'vip' goes before orders without one"


def test_priority_orders_among_themselves_are_served_by_order_time():
    claims = [Claim("A", "a", at(1), 1), Claim("P2", "x", at(5), 1, "vip"), Claim("P1", "y", at(4), 1, "rush")]
    assert [g.order_id for g in allocate_units(2, claims)] == ["P1", "P2"]


def test_whole_lines_first_fills_a_later_complete_line_before_a_partial_one_only_when_chosen():
    claims = [Claim("A", "a", at(1), 3), Claim("B", "b", at(2), 2), Claim("C", "c", at(3), 1)]
    assert given(allocate_units(4, claims)) == {"A": 3, "B": 1}
    grants = allocate_units(4, claims, whole_lines_first=True)
    assert given(grants) == {"A": 3, "C": 1}
    assert any("whole lines first" in r for r in grants[1].reasons)


def test_whole_lines_first_gives_what_is_left_to_the_first_line_still_short():
    claims = [Claim("A", "a", at(1), 4), Claim("B", "b", at(2), 2)]
    grants = allocate_units(5, claims, whole_lines_first=True)
    assert given(grants) == {"A": 4, "B": 1}
    claims = [Claim("A", "a", at(1), 4), Claim("B", "b", at(2), 2), Claim("C", "c", at(3), 1)]
    grants = allocate_units(3, claims, whole_lines_first=True)
    assert given(grants) == {"B": 2, "C": 1}


def test_no_units_or_no_needs_give_nothing():
    assert allocate_units(0, [Claim("A", "a", at(1), 2)]) == []
    assert allocate_units(3, [Claim("A", "a", at(1), 0)]) == []


def test_priority_orders_are_the_last_to_carry_shortage():
    claims = [Claim("A", "a", at(1), 2), Claim("P", "p", at(2), 2, "vip")]
    assert assign_shortage(2, claims) == {("A", "a"): 2, ("P", "p"): 0}
    assert assign_shortage(3, claims) == {("A", "a"): 2, ("P", "p"): 1}


def test_shortage_and_allocation_agree_for_every_split_with_and_without_whole_lines():
    claims = [Claim("1", "a", at(1), 3), Claim("2", "b", at(2), 2, "vip"), Claim("3", "c", at(3), 1),
              Claim("4", "d", at(3), 4)]
    total = sum(c.quantity for c in claims)
    for whole, shortage in itertools.product((False, True), range(total + 2)):
        short = assign_shortage(shortage, claims, whole_lines_first=whole)
        covered = cover(total - shortage, claims, whole_lines_first=whole)
        assert sum(short.values()) == min(shortage, total)
        assert all(short[c.key] + covered[c.key] == c.quantity for c in claims)


def test_the_ranking_does_not_depend_on_the_order_claims_are_given_in():
    claims = [Claim("1", "a", at(1), 3), Claim("2", "b", at(1), 2), Claim("3", "c", at(0), 1, "vip")]
    answers = {tuple(given(allocate_units(4, list(p), whole_lines_first=True)).items())
               for p in itertools.permutations(claims)}
    assert len(answers) == 1


def test_priority_tags_are_read_from_the_store_tags_ignoring_case_and_spaces():
    assert priority_tag_of("backorder, Wholesale ,VIP", ["vip", "wholesale"]) == "vip"
    assert priority_tag_of("backorder", ["vip"]) is None
    assert priority_tag_of("vip", []) is None
    assert priority_tag_of("", ["vip"]) is None


def test_an_arrival_is_an_increase_of_the_units_in_hand_less_the_purchase_order_credit():
    assert arrived(2, 6, 0)[:2] == (4, 0)
    assert arrived(2, 6, 3)[:2] == (1, 0)
    assert arrived(2, 4, 5)[:2] == (0, 3)
    assert arrived(6, 2, 0)[:2] == (0, 0)
    assert arrived(None, 9, 1)[:2] == (0, 1)
