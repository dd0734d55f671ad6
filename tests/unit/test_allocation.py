"""Who carries a shortage: the orders placed last, whatever order they were seen in."""

from __future__ import annotations

import itertools

from connector.domain.allocation import Claim, assign_shortage
from tests.support.builders import at


def claims():
    return [Claim("1", "a", at(0), 2), Claim("2", "b", at(5), 1), Claim("3", "c", at(9), 3)]


def test_the_latest_order_takes_the_shortage_first():
    assert assign_shortage(2, claims()) == {("3", "c"): 2, ("2", "b"): 0, ("1", "a"): 0}


def test_a_shortage_larger_than_the_latest_order_spills_to_earlier_ones():
    assert assign_shortage(5, claims()) == {("3", "c"): 3, ("2", "b"): 1, ("1", "a"): 1}


def test_no_shortage_assigns_nothing_and_more_than_ordered_is_capped():
    assert set(assign_shortage(0, claims()).values()) == {0}
    assert sum(assign_shortage(99, claims()).values()) == 6


def test_the_answer_does_not_depend_on_the_order_claims_arrive_in():
    answers = {tuple(sorted(assign_shortage(4, list(p)).items())) for p in itertools.permutations(claims())}
    assert len(answers) == 1


def test_orders_placed_in_the_same_second_are_ordered_by_id():
    same = [Claim("10", "x", at(0), 1), Claim("9", "y", at(0), 1)]
    assert assign_shortage(1, same) == {("10", "x"): 1, ("9", "y"): 0}
