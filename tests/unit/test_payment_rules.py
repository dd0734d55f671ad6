"""The pure rules of payment on shipment (connector/domain/payments.py): which route collects an order's
money, how much to capture for what shipped, and when an authorisation is about to lapse; hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connector.domain.payments import PaymentFacts, Transaction, capture_plan, expiry_due, route_of

D = Decimal
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def auth(txn_id: str = "a1", amount: str = "60.00", **kw) -> Transaction:  # type: ignore[no-untyped-def]
    return Transaction(txn_id, "AUTHORIZATION", kw.pop("status", "SUCCESS"), D(amount), **kw)


def capture(txn_id: str, amount: str, parent: str = "a1", status: str = "SUCCESS") -> Transaction:
    return Transaction(txn_id, "CAPTURE", status, D(amount), parent_id=parent)


def facts(*txns: Transaction, total: str = "60.00", outstanding: str = "60.00", **kw) -> PaymentFacts:  # type: ignore[no-untyped-def]
    return PaymentFacts(order_id="1", currency="USD", total=D(total), outstanding=D(outstanding),
                        financial_status=kw.pop("financial_status", "authorized"), transactions=txns, **kw)


# -- the facts ------------------------------------------------------------------------------------------

def test_the_open_authorisation_is_the_newest_successful_one_not_voided():
    voided = Transaction("v1", "VOID", "SUCCESS", D("60.00"), parent_id="a1")
    found = facts(auth("a1"), voided, auth("a2", "50.00"), auth("a3", status="FAILURE"))
    assert found.authorization() == auth("a2", "50.00")
    assert facts(auth("a1"), voided).authorization() is None


def test_captured_counts_only_successful_captures_of_that_authorisation():
    found = facts(auth(), capture("c1", "10.00"), capture("c2", "5.00", status="FAILURE"),
                  capture("c3", "7.00", parent="other"))
    assert found.captured_of("a1") == D("10.00")
    assert [t.id for t in found.captures_of("a1")] == ["c1", "c2"]


def test_failed_charges_are_failed_or_errored_sales_captures_and_authorisations():
    sale = Transaction("s1", "SALE", "FAILURE", D("20.00"))
    error = capture("c1", "5.00", status="ERROR")
    refund = Transaction("r1", "REFUND", "FAILURE", D("1.00"))
    assert facts(auth(), sale, error, refund).failed_charges() == [sale, error]


# -- routes ---------------------------------------------------------------------------------------------

def test_an_authorised_shopify_order_is_captured_on_shipment():
    route = route_of(facts(auth()), platform="shopify")
    assert (route.route, route.state, route.trigger) == ("authorization", "authorized", None)
    assert route.reasons == ("authorised 60.00 USD, captured on shipment",)


def test_an_authorisation_captured_in_part_is_partially_captured():
    route = route_of(facts(auth(), capture("c1", "20.00"), outstanding="40.00"), platform="shopify")
    assert (route.route, route.state) == ("authorization", "partially_captured")


def test_an_authorisation_captured_in_full_with_nothing_outstanding_is_paid_at_checkout():
    route = route_of(facts(auth(), capture("c1", "60.00"), outstanding="0"), platform="shopify")
    assert (route.route, route.state) == ("paid_at_checkout", "paid")


def test_a_vaulted_balance_due_on_fulfillment_is_charged_by_shopify_and_watched():
    route = route_of(facts(mandate_ids=("m1",), payment_terms_type="FULFILLMENT", outstanding="40.00"),
                     platform="shopify")
    assert (route.route, route.state, route.trigger) == ("mandate", "awaiting_shipment", "on_fulfillment")


@pytest.mark.parametrize("terms", ["FIXED", "RECEIPT", None])
def test_a_vaulted_balance_with_another_due_date_is_the_connector_s_backstop(terms):
    route = route_of(facts(mandate_ids=("m1",), payment_terms_type=terms, outstanding="40.00"), platform="shopify")
    assert (route.route, route.trigger) == ("mandate", "backstop")


def test_a_shopify_order_paid_in_full_is_left_alone_and_one_owing_without_a_card_has_no_route():
    assert route_of(facts(outstanding="0", financial_status="paid"), platform="shopify").route == "paid_at_checkout"
    nothing = route_of(facts(outstanding="20.00"), platform="shopify")
    assert (nothing.route, nothing.state) == ("none", "none")
    assert nothing.reasons == ("no authorisation or vaulted card to collect the balance with",)


def test_woocommerce_routes_follow_the_gateway():
    held = route_of(facts(gateway="stripe", capturable_by_status=True), platform="woocommerce")
    assert (held.route, held.state) == ("woocommerce", "authorized")
    paid = route_of(facts(gateway="bacs", paid_at_checkout=True, outstanding="0"), platform="woocommerce")
    assert (paid.route, paid.state) == ("paid_at_checkout", "paid")
    assert paid.reasons == ("paid in full at checkout: left alone",)
    owing = route_of(facts(gateway="cod", outstanding="60.00"), platform="woocommerce")
    assert (owing.route, owing.state) == ("none", "none")


# -- capture amounts -----------------------------------------------------------------------------------

def plan(shipped: str, *, captured: str = "0", everything: bool = False, multi: bool = True,
         authorized: str = "63.00"):  # type: ignore[no-untyped-def]
    return capture_plan(authorized=D(authorized), captured=D(captured), shipped_value=D(shipped),
                        everything_shipped=everything, multi_capture=multi)


def test_everything_shipped_captures_the_rest_of_the_authorisation_with_shipping_and_taxes_final():
    found = plan("48.00", captured="12.00", everything=True)
    assert (found.amount, found.final) == (D("51.00"), True)


def test_a_partial_shipment_with_multi_capture_captures_the_value_shipped_not_yet_captured():
    first = plan("12.00")
    assert (first.amount, first.final) == (D("12.00"), False)
    second = plan("36.00", captured="12.00")
    assert (second.amount, second.final) == (D("24.00"), False)


def test_a_partial_capture_reaching_the_authorised_amount_is_final():
    found = plan("70.00", captured="12.00")
    assert (found.amount, found.final) == (D("51.00"), True)


def test_a_single_capture_gateway_captures_everything_on_the_first_shipment():
    found = plan("12.00", multi=False)
    assert (found.amount, found.final) == (D("63.00"), True)
    assert found.reasons == ("the authorisation can be captured once: all of it on the first shipment",)


def test_nothing_is_captured_when_the_authorisation_is_spent_or_what_shipped_is_already_captured():
    spent = plan("63.00", captured="63.00", everything=True)
    assert (spent.amount, spent.final, spent.reasons) == (D("0"), True, ("nothing left to capture",))
    covered = plan("12.00", captured="12.00")
    assert (covered.amount, covered.final) == (D("0"), False)
    nothing = plan("0", multi=False)
    assert nothing.amount == D("0")


def test_a_capture_is_rounded_to_cents_half_to_even():
    assert str(plan("10.005").amount) == "10.00"
    assert str(plan("10.015").amount) == "10.02"


# -- expiry ---------------------------------------------------------------------------------------------

def test_an_authorisation_is_due_within_the_lead_time_of_lapsing():
    assert expiry_due(NOW + timedelta(hours=23), NOW, 24) is True
    assert expiry_due(NOW + timedelta(hours=24), NOW, 24) is True
    assert expiry_due(NOW + timedelta(hours=25), NOW, 24) is False
    assert expiry_due(NOW - timedelta(hours=1), NOW, 24) is True
    assert expiry_due(None, NOW, 24) is False
