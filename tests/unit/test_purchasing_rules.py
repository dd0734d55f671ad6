"""Purchase-order proposals (connector/domain/purchasing.py): MOQ, case pack, minimum order value and
the batching wait, each worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connector.domain.purchasing import PurchasingTerms, SkuDemand, SkuTerms, propose

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
FRESH = NOW - timedelta(hours=5)


def demand(sku: str, units: int, cost: str | None = "2.50", since: datetime = FRESH) -> SkuDemand:
    return SkuDemand(sku, units, None if cost is None else Decimal(cost), since)


def codes(proposal, passed: bool) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.code for r in proposal.reasons if r.passed is passed}


def test_below_the_minimum_order_quantity_nothing_is_proposed_and_the_reason_says_how_far():
    proposal = propose([demand("MUG", 7)], PurchasingTerms(min_order_quantity=10), now=NOW, max_wait_days=5)
    assert not proposal.propose and proposal.trigger is None
    [moq] = [r for r in proposal.reasons if r.code == "min_order_quantity"]
    assert not moq.passed and "7 waiting" in moq.text and "minimum 10" in moq.text


def test_reaching_the_minimum_order_quantity_proposes_exactly_the_units_waiting():
    proposal = propose([demand("MUG", 12)], PurchasingTerms(min_order_quantity=10), now=NOW, max_wait_days=5)
    assert proposal.trigger == "min_order_quantity"
    [line] = proposal.lines
    assert (line.quantity_needed, line.quantity) == (12, 12)
    assert proposal.total_units == 12 and proposal.total_value == Decimal("30.00")  # 12 x 2.50


def test_the_case_pack_rounds_up_to_whole_cases_once_a_full_case_is_waiting():
    terms = PurchasingTerms(case_pack=6)
    assert not propose([demand("MUG", 5)], terms, now=NOW, max_wait_days=5).propose  # not one full case yet
    proposal = propose([demand("MUG", 8)], terms, now=NOW, max_wait_days=5)
    assert proposal.trigger == "case_pack"
    [line] = proposal.lines
    assert (line.quantity_needed, line.quantity) == (8, 12)  # 8 -> 2 cases of 6
    assert "case_pack" in codes(proposal, True)


def test_moq_and_case_pack_together_raise_to_the_moq_then_round_to_cases():
    sku = SkuTerms(min_order_quantity=10, case_pack=4)
    assert sku.line_minimum == 10
    assert sku.order_quantity(10) == 12  # 10 -> 3 cases of 4
    assert sku.order_quantity(13) == 16
    assert sku.order_quantity(3) == 12  # an overdue line still honours the supplier's minimum
    proposal = propose([demand("MUG", 10)], PurchasingTerms(min_order_quantity=10, case_pack=4), now=NOW,
                       max_wait_days=5)
    assert proposal.trigger == "min_order_quantity" and proposal.lines[0].quantity == 12


def test_a_per_sku_override_beats_the_supplier_wide_terms_and_names_the_supplier_sku():
    terms = PurchasingTerms(min_order_quantity=50, skus={"MUG": SkuTerms(2, 1, "AC-MUG-01")})
    proposal = propose([demand("MUG", 3), demand("CUP", 3)], terms, now=NOW, max_wait_days=5)
    [line] = proposal.lines
    assert (line.sku, line.supplier_sku, line.quantity) == ("MUG", "AC-MUG-01", 3)


def test_the_minimum_order_value_counts_every_waiting_line_when_there_is_no_per_sku_minimum():
    terms = PurchasingTerms(min_order_value=Decimal("100"), currency="EUR")
    lines = [demand("MUG", 20, "2.50"), demand("CUP", 10, "4.00")]  # 50.00 + 40.00 = 90.00
    waiting = propose(lines, terms, now=NOW, max_wait_days=5)
    assert not waiting.propose
    [value] = [r for r in waiting.reasons if r.code == "min_order_value"]
    assert not value.passed and "90.00 EUR" in value.text and "minimum 100" in value.text
    reached = propose([*lines, demand("BOWL", 2, "5.00")], terms, now=NOW, max_wait_days=5)  # + 10.00 = 100.00
    assert reached.trigger == "min_order_value" and reached.total_value == Decimal("100.00")
    assert [line.sku for line in reached.lines] == ["BOWL", "CUP", "MUG"] and not reached.below_min_value


def test_with_a_per_sku_minimum_only_lines_at_their_minimum_count_toward_the_order_value():
    terms = PurchasingTerms(min_order_quantity=10, min_order_value=Decimal("60"))
    # MUG: 12 x 2.50 = 30.00 counts; CUP: 5 waiting, under its MOQ of 10, does not (10 x 4.00 would be 40)
    proposal = propose([demand("MUG", 12, "2.50"), demand("CUP", 5, "4.00")], terms, now=NOW, max_wait_days=5)
    assert not proposal.propose
    proposal = propose([demand("MUG", 12, "2.50"), demand("CUP", 10, "4.00")], terms, now=NOW, max_wait_days=5)
    assert proposal.trigger == "min_order_value" and proposal.total_value == Decimal("70.00")


def test_an_unknown_unit_cost_leaves_the_order_value_unreached():
    terms = PurchasingTerms(min_order_value=Decimal("10"))
    proposal = propose([demand("MUG", 100, None)], terms, now=NOW, max_wait_days=5)
    assert not proposal.propose
    assert any("unknown" in r.text for r in proposal.reasons if r.code == "min_order_value")


def test_the_batching_wait_orders_an_overdue_line_raised_to_the_moq_with_the_lines_at_their_minimum():
    terms = PurchasingTerms(min_order_quantity=10, case_pack=5)
    old = NOW - timedelta(days=5)
    proposal = propose([demand("MUG", 3, since=old), demand("CUP", 10), demand("BOWL", 2)], terms, now=NOW,
                       max_wait_days=5)
    # CUP reached its minimum alone: the trigger is the MOQ; MUG rides along as overdue; BOWL keeps waiting
    assert proposal.trigger == "min_order_quantity"
    assert {(line.sku, line.quantity_needed, line.quantity) for line in proposal.lines} == {
        ("MUG", 3, 10), ("CUP", 10, 10)}
    only_late = propose([demand("MUG", 3, since=old)], terms, now=NOW, max_wait_days=5)
    assert only_late.trigger == "max_wait" and only_late.lines[0].quantity == 10
    just_short = propose([demand("MUG", 3, since=old + timedelta(seconds=1))], terms, now=NOW, max_wait_days=5)
    assert not just_short.propose  # 4 days 23:59:59 is not 5 days


def test_a_supplier_without_minimums_is_ordered_from_by_the_batching_wait_alone():
    terms = PurchasingTerms()
    fresh = propose([demand("MUG", 1)], terms, now=NOW, max_wait_days=2)
    assert not fresh.propose and "no_minimum" in codes(fresh, True)
    late = propose([demand("MUG", 1, since=NOW - timedelta(days=2))], terms, now=NOW, max_wait_days=2)
    assert late.trigger == "max_wait" and late.lines[0].quantity == 1
    assert propose([demand("MUG", 1)], terms, now=NOW, max_wait_days=0).trigger == "max_wait"


def test_the_batching_wait_below_the_minimum_value_is_flagged_for_approval():
    terms = PurchasingTerms(min_order_value=Decimal("100"))
    proposal = propose([demand("MUG", 4, "2.50", since=NOW - timedelta(days=9))], terms, now=NOW, max_wait_days=7)
    assert proposal.trigger == "max_wait" and proposal.total_value == Decimal("10.00")
    assert proposal.below_min_value and "below_min_value" in codes(proposal, False)


def test_terms_round_trip_through_json_and_name_a_bad_value():
    terms = PurchasingTerms(min_order_quantity=6, case_pack=3, min_order_value=Decimal("150.00"), currency="EUR",
                            lead_time_days=14, channel="email", email="po@acme.example", sheet_format="csv",
                            skus={"MUG": SkuTerms(12, 6, "AC-1")})
    assert PurchasingTerms.from_json(terms.to_json()) == terms
    with pytest.raises(ValueError, match="case_pack must be a whole number of at least 1, got 0"):
        PurchasingTerms.from_json({"case_pack": 0})
    with pytest.raises(ValueError, match="channel email needs an e-mail address"):
        PurchasingTerms.from_json({"channel": "email"})
    with pytest.raises(ValueError, match="min_order_value must be a number"):
        PurchasingTerms.from_json({"min_order_value": "lots"})
    with pytest.raises(ValueError, match="sheet_format must be one of"):
        PurchasingTerms(sheet_format="xlsx")
