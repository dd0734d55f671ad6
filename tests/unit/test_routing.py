"""Drop-ship routing rules: each rule on its own, then in combination."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from connector.domain.routing import (
    Action,
    LineFacts,
    Payment,
    RoutingRules,
    SupplierOffer,
    decide,
    margin_percent,
    served,
)

D = Decimal
RULES = RoutingRules(enabled=True, min_margin_percent=D("20"), max_wait_days=7, fee=D("2"))


def offer(supplier_id: int = 1, *, dropship: bool = True, available: int | None = 10,
          cost: str | None = "10") -> SupplierOffer:
    return SupplierOffer(supplier_id, f"supplier-{supplier_id}", dropship, available,
                         None if cost is None else D(cost))


def facts(**changes: object) -> LineFacts:
    base = LineFacts(sku="MUG", quantity_backordered=2, unit_price=D("30"), payment=Payment.PAID,
                     country="US", expected_wait_days=21, offers=(offer(),))
    return replace(base, **changes)  # type: ignore[arg-type]


def codes(decision) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.code for r in decision.reasons if not r.passed}


def test_a_paid_line_with_a_long_wait_and_a_good_margin_is_drop_shipped_whole() -> None:
    decision = decide(facts(), RULES)
    assert decision.action == Action.DROPSHIP
    assert (decision.supplier_id, decision.quantity_dropship, decision.quantity_wait) == (1, 2, 0)
    assert decision.margin_percent == D("63.3")  # (60 - 20 - 2) / 60
    assert {r.code for r in decision.reasons} == {"wait_long", "supplier_has_stock", "margin_ok"}


def test_nothing_is_drop_shipped_when_the_shop_has_it_switched_off() -> None:
    decision = decide(facts(), replace(RULES, enabled=False))
    assert decision.action == Action.WAIT and codes(decision) == {"disabled"}


@pytest.mark.parametrize("payment,code", [
    (Payment.PENDING, "not_paid"), (Payment.UNKNOWN, "not_paid"), (Payment.PARTIALLY_PAID, "not_paid"),
    (Payment.REFUNDED, "order_refunded"), (Payment.PARTIALLY_REFUNDED, "order_refunded"),
    (Payment.VOIDED, "order_refunded"),
])
def test_an_order_that_is_not_paid_or_authorized_waits(payment: Payment, code: str) -> None:
    decision = decide(facts(payment=payment), RULES)
    assert decision.action == Action.WAIT and codes(decision) == {code}


def test_an_authorized_order_is_drop_shipped_like_a_paid_one() -> None:
    assert decide(facts(payment=Payment.AUTHORIZED), RULES).action == Action.DROPSHIP


@pytest.mark.parametrize("change,code", [
    ({"cancelled": True}, "order_cancelled"),
    ({"flagged": True}, "order_flagged"),
    ({"fulfilled": True}, "already_fulfilled"),
    ({"quantity_backordered": 0}, "nothing_short"),
    ({"sku": None}, "no_sku"),
    ({"country": None}, "no_destination"),
])
def test_each_order_or_line_condition_alone_stops_a_drop_ship(change: dict, code: str) -> None:
    decision = decide(facts(**change), RULES)
    assert decision.action == Action.WAIT and codes(decision) == {code}


def test_a_country_outside_the_served_list_waits_and_one_inside_is_drop_shipped() -> None:
    rules = replace(RULES, served_countries=served(["us", "CA"]))
    assert decide(facts(country="US"), rules).action == Action.DROPSHIP
    refused = decide(facts(country="DE"), rules)
    assert refused.action == Action.WAIT and codes(refused) == {"country_not_served"}
    assert "DE" in refused.summary


def test_an_empty_served_list_means_every_country() -> None:
    assert decide(facts(country="JP"), replace(RULES, served_countries=frozenset())).action == Action.DROPSHIP


def test_served_countries_refuse_what_is_not_an_iso_code() -> None:
    with pytest.raises(ValueError, match="Germany"):
        served(["Germany"])


def test_a_wait_within_the_merchants_limit_is_not_worth_drop_shipping() -> None:
    at_limit = decide(facts(expected_wait_days=7), RULES)
    assert at_limit.action == Action.WAIT and codes(at_limit) == {"wait_short"}
    assert decide(facts(expected_wait_days=8), RULES).action == Action.DROPSHIP


def test_an_unknown_restock_date_counts_as_a_long_wait() -> None:
    decision = decide(facts(expected_wait_days=None), RULES)
    assert decision.action == Action.DROPSHIP and "wait_unknown" in {r.code for r in decision.reasons}


def test_a_supplier_that_does_not_drop_ship_the_sku_is_not_used() -> None:
    decision = decide(facts(offers=(offer(dropship=False),)), RULES)
    assert decision.action == Action.WAIT and codes(decision) == {"supplier_no_dropship"}


def test_no_supplier_at_all_means_waiting() -> None:
    decision = decide(facts(offers=()), RULES)
    assert decision.action == Action.WAIT and codes(decision) == {"no_supplier"}


def test_a_supplier_without_stock_is_not_used() -> None:
    decision = decide(facts(offers=(offer(available=0),)), RULES)
    assert decision.action == Action.WAIT and codes(decision) == {"supplier_out_of_stock"}


def test_a_supplier_without_a_cost_cannot_be_checked_for_margin() -> None:
    decision = decide(facts(offers=(offer(cost=None),)), RULES)
    assert codes(decision) == {"supplier_no_cost"}


def test_an_unknown_selling_price_cannot_be_checked_for_margin() -> None:
    assert codes(decide(facts(unit_price=None), RULES)) == {"no_price"}


def test_the_margin_counts_the_drop_ship_fee() -> None:
    # 2 x 30 = 60 revenue; cost 2 x 23 = 46; fee 2 -> 12 / 60 = 20.0%: exactly the minimum.
    assert decide(facts(offers=(offer(cost="23"),)), RULES).action == Action.DROPSHIP
    # The same line with a fee of 2.07 falls just below.
    below = decide(facts(offers=(offer(cost="23"),)), replace(RULES, fee=D("2.07")))
    assert below.action == Action.WAIT and codes(below) == {"margin_too_low"}
    assert "19.9%" in below.summary


def test_margin_percent_of_a_free_line_is_the_lowest() -> None:
    assert margin_percent(D("0"), D("1"), 1, D("0")) == D("-100")


def test_the_cheapest_supplier_that_has_everything_is_chosen() -> None:
    decision = decide(facts(offers=(offer(1, cost="12"), offer(2, cost="9"), offer(3, cost="5", available=1))),
                      RULES)
    assert decision.action == Action.DROPSHIP and decision.supplier_id == 2


def test_a_supplier_that_has_only_part_splits_the_line() -> None:
    decision = decide(facts(quantity_backordered=5, offers=(offer(available=3),)), RULES)
    assert decision.action == Action.SPLIT
    assert (decision.quantity_dropship, decision.quantity_wait) == (3, 2)
    assert "3 now, 2 wait" in decision.summary


def test_no_split_when_the_merchant_switched_splitting_off() -> None:
    decision = decide(facts(quantity_backordered=5, offers=(offer(available=3),)),
                      replace(RULES, allow_split=False))
    assert decision.action == Action.WAIT and codes(decision) == {"split_not_allowed"}


def test_a_supplier_that_does_not_say_how_many_it_has_is_trusted_for_all() -> None:
    decision = decide(facts(offers=(offer(available=None),)), RULES)
    assert decision.action == Action.DROPSHIP and decision.quantity_dropship == 2


def test_every_failed_order_rule_is_reported_at_once() -> None:
    decision = decide(facts(cancelled=True, payment=Payment.REFUNDED, flagged=True, country=None),
                      replace(RULES, enabled=False))
    assert codes(decision) == {"disabled", "order_cancelled", "order_refunded", "order_flagged",
                               "no_destination"}


def test_every_rejected_supplier_is_named_when_none_qualifies() -> None:
    decision = decide(facts(offers=(offer(1, dropship=False), offer(2, available=0), offer(3, cost="29"))),
                      RULES)
    assert decision.action == Action.WAIT
    assert codes(decision) == {"supplier_no_dropship", "supplier_out_of_stock", "margin_too_low"}
    assert all(f"supplier-{n}" in decision.summary for n in (1, 2, 3))


def test_a_short_wait_stops_before_suppliers_are_even_looked_at() -> None:
    decision = decide(facts(expected_wait_days=3, offers=(offer(dropship=False),)), RULES)
    assert codes(decision) == {"wait_short"}


def test_a_good_full_offer_beats_a_cheaper_partial_one_and_a_split_takes_the_most_units() -> None:
    full = decide(facts(quantity_backordered=4, offers=(offer(1, available=2, cost="1"), offer(2, cost="15"))),
                  RULES)
    assert (full.action, full.supplier_id) == (Action.DROPSHIP, 2)
    split = decide(facts(quantity_backordered=4, offers=(offer(1, available=1, cost="1"),
                                                         offer(2, available=3, cost="12"))), RULES)
    assert (split.action, split.supplier_id, split.quantity_dropship) == (Action.SPLIT, 2, 3)


def test_low_margin_at_one_supplier_and_no_stock_at_the_other_means_waiting_with_both_reasons() -> None:
    decision = decide(facts(offers=(offer(1, cost="28"), offer(2, available=0))), RULES)
    assert codes(decision) == {"margin_too_low", "supplier_out_of_stock"}


def test_rules_refuse_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="max_wait_days"):
        RoutingRules(max_wait_days=-1)
    with pytest.raises(ValueError, match="fee"):
        RoutingRules(fee=D("-1"))
    with pytest.raises(ValueError, match="min_margin_percent"):
        RoutingRules(min_margin_percent=D("150"))
