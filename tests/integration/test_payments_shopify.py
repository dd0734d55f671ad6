"""Payment on shipment against the Shopify simulator over loopback HTTP (real adapter, real GraphQL
validated by the simulator, real database): captures on full and partial shipment, mandate charges
with an AWAITING_PAYMENT hold released after success, a decline (recorded, payment link sent, merchant
alerted, hold kept), the ON_FULFILLMENT outcome watched, the expiry policy, and no double charge when
the worker dies between the store call and the commit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.payments.charges import collect
from connector.payments.expiry import watch_expiry
from sandbox.shopify_sim import ext_charges
from sandbox.shopify_sim.ext_fulfillment import fulfillment_orders
from sandbox.stack import start_stack
from tests.support.payments_support import DOMAIN, Setup


@pytest.fixture
def stack(database_url):
    running = start_stack(database_url=database_url, worker_threads=1)
    yield running
    running.stop()


def test_an_authorised_order_is_captured_in_full_when_everything_ships_and_not_before(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00"), ("LANTERN", 1, "39.00")], backordered={"SOCKS-M": 2})
    auth = ext_charges.authorize(s.sim, DOMAIN, sim_id)
    nothing = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert nothing.action.startswith("shipped 0") and s.captures() == []
    s.ship(order_id, "LANTERN", 1, "fulfillment:1")
    s.ship(order_id, "SOCKS-M", 2, "fulfillment:2")
    outcome = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert outcome.state == "captured" and outcome.amount == Decimal(auth["amount"]) == Decimal("63.00")
    assert [c["amount"] for c in s.captures()] == ["63.00"]
    assert [(c.kind, c.state, c.final, c.amount) for c in s.charges(order_id)] == [
        ("capture", "succeeded", True, Decimal("63.00"))]
    again = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert again.action == "nothing to collect" and len(s.captures()) == 1
    assert s.sim.order(DOMAIN, sim_id)["financial_status"] == "paid"


def test_partial_shipments_capture_what_shipped_with_final_capture_on_the_last_when_multi_capture_is_allowed(stack):
    s = Setup(stack)
    ext_charges.allow_multi_capture(s.sim, DOMAIN)
    sim_id, order_id = s.order([("SOCKS-M", 3, "12.00")], backordered={"SOCKS-M": 3})
    ext_charges.authorize(s.sim, DOMAIN, sim_id)
    s.ship(order_id, "SOCKS-M", 1, "fulfillment:1")
    first = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert (first.state, first.amount) == ("partially_captured", Decimal("12.00"))
    s.ship(order_id, "SOCKS-M", 2, "fulfillment:2")
    last = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert (last.state, last.amount) == ("captured", Decimal("24.00"))
    assert [(c.amount, c.final) for c in s.charges(order_id)] == [(Decimal("12.00"), False), (Decimal("24.00"), True)]
    assert [c["amount"] for c in s.captures()] == ["12.00", "24.00"]


def test_without_multi_capture_the_first_partial_shipment_captures_the_whole_authorisation(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 3, "12.00")], backordered={"SOCKS-M": 3})
    ext_charges.authorize(s.sim, DOMAIN, sim_id)
    s.ship(order_id, "SOCKS-M", 1, "fulfillment:1")
    outcome = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert (outcome.state, outcome.amount) == ("captured", Decimal("36.00"))
    assert [c["amount"] for c in s.captures()] == ["36.00"]


class Killed(BaseException):
    """The worker dies: raised after the store answered, before anything is committed."""


class DiesAfterTheCall:
    def __init__(self, store: Any) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def capture(self, *args: Any, **kwargs: Any) -> Any:
        self.store.capture(*args, **kwargs)
        raise Killed

    def charge_mandate(self, *args: Any, **kwargs: Any) -> Any:
        self.store.charge_mandate(*args, **kwargs)
        raise Killed


def test_a_worker_killed_between_the_capture_and_the_commit_captures_exactly_once_on_the_rerun(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.authorize(s.sim, DOMAIN, sim_id)
    s.ship(order_id, "SOCKS-M", 2, "fulfillment:1")
    with pytest.raises(Killed):
        collect(s.c.uow(), DiesAfterTheCall(s.store()), order_id, platform="shopify")
    assert [c.state for c in s.charges(order_id)] == ["pending"] and len(s.captures()) == 1
    rerun = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert rerun.state == "captured" and rerun.action == "captured"
    assert len(s.captures()) == 1
    assert [(c.state, c.reference is not None) for c in s.charges(order_id)] == [("succeeded", True)]


def test_a_worker_killed_after_the_mandate_payment_charges_exactly_once_on_the_rerun(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.vault(s.sim, DOMAIN, sim_id, deposit="4.00", terms="FIXED")
    s.allocate(order_id)
    with pytest.raises(Killed):
        collect(s.c.uow(), DiesAfterTheCall(s.store()), order_id, platform="shopify")
    rerun = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert rerun.state == "charged"
    assert [(c["kind"], c["amount"]) for c in s.captures()] == [("mandate", "20.00")]
    assert [(c.kind, c.state) for c in s.charges(order_id)] == [("mandate", "succeeded")]


def test_the_mandate_balance_is_charged_when_the_goods_are_allocated_and_the_payment_hold_is_released(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.vault(s.sim, DOMAIN, sim_id, deposit="4.00", terms="FIXED")
    waiting = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert waiting.action == "goods not ready to ship yet" and s.captures() == []
    s.allocate(order_id)
    outcome = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert (outcome.state, outcome.amount) == ("charged", Decimal("20.00"))
    payment = s.payment(order_id)
    assert payment.route == "mandate" and payment.trigger == "backstop" and payment.holds is None
    fos = fulfillment_orders(s.sim.shop(DOMAIN), sim_id)
    assert all(not fo.holds for fo in fos) and all(fo.status == "OPEN" for fo in fos)


def test_a_declined_mandate_payment_is_recorded_the_customer_gets_a_link_the_merchant_an_alert_and_the_hold_stays(
        stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.vault(s.sim, DOMAIN, sim_id, terms="FIXED")
    ext_charges.decline_card(s.sim, DOMAIN, sim_id)
    s.allocate(order_id)
    outcome = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert outcome.state == "declined"
    assert [(c.kind, c.state) for c in s.charges(order_id)] == [("mandate", "declined")]
    assert ext_charges.charges(s.sim, DOMAIN)["invoices"] == [sim_id]
    assert any("declined" in a for a in s.alerts())
    fos = fulfillment_orders(s.sim.shop(DOMAIN), sim_id)
    assert [h["reason"] for fo in fos for h in fo.holds] == ["AWAITING_PAYMENT"]
    again = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert again.state == "declined" and len(s.captures()) == 1
    assert ext_charges.charges(s.sim, DOMAIN)["invoices"] == [sim_id]


def test_a_balance_due_on_fulfillment_is_charged_by_shopify_and_the_connector_records_the_outcome(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 1, "12.00")], backordered={"SOCKS-M": 1})
    ext_charges.vault(s.sim, DOMAIN, sim_id, terms="FULFILLMENT")
    s.ship(order_id, "SOCKS-M", 1, "fulfillment:1")
    before = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert before.action == "waiting for Shopify to charge on fulfillment"
    assert ext_charges.charge_on_fulfillment(s.sim, DOMAIN, sim_id) == "SUCCESS"
    after = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert after.state == "charged"
    assert [(c.kind, c.state, c.amount) for c in s.charges(order_id)] == [("mandate", "succeeded", Decimal("12.00"))]


def test_the_deposit_taken_at_checkout_is_not_recorded_as_shopify_s_charge_on_fulfillment(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.vault(s.sim, DOMAIN, sim_id, deposit="4.00", terms="FULFILLMENT")
    s.ship(order_id, "SOCKS-M", 2, "fulfillment:1")
    collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert ext_charges.charge_on_fulfillment(s.sim, DOMAIN, sim_id) == "SUCCESS"
    after = collect(s.c.uow(), s.store(), order_id, platform="shopify")
    assert after.state == "charged"
    assert [(c.kind, c.state, c.amount) for c in s.charges(order_id)] == [("mandate", "succeeded", Decimal("20.00"))]


@pytest.mark.parametrize("policy", ["alert", "capture_now"])
def test_an_authorisation_about_to_lapse_with_goods_waiting_is_handled_by_the_merchant_s_policy(stack, policy):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.authorize(s.sim, DOMAIN, sim_id, days=7)
    assert watch_expiry(s.c.uow(), s.store(), s.shop_id, platform="shopify", policy=policy, lead_hours=24) == []
    ext_charges.expire(s.sim, DOMAIN, sim_id, in_hours=5)
    collect(s.c.uow(), s.store(), order_id, platform="shopify")  # reads the new expiry
    done = watch_expiry(s.c.uow(), s.store(), s.shop_id, platform="shopify", policy=policy, lead_hours=24)
    assert len(done) == 1
    if policy == "alert":
        assert s.captures() == [] and any("24.00" in a and "lapses" in a for a in s.alerts())
    else:
        assert [c["amount"] for c in s.captures()] == ["24.00"] and s.payment(order_id).state == "captured"
    assert watch_expiry(s.c.uow(), s.store(), s.shop_id, platform="shopify", policy=policy, lead_hours=24) == []
