"""Payment on shipment on WooCommerce against the simulator over loopback HTTP, on SQLite and
PostgreSQL: the gateway that authorised at checkout captures when the connector moves the order's
status (Stripe on processing, WooPayments on completed), once everything shipped; an order paid at
checkout is left alone and the log says so; a status write applied but answered with errors captures
exactly once; and a processed webhook asks for the shop's payment pass."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from connector.db.models import Backorder, Order, OrderLine
from connector.db.models_jobs import JobRun
from connector.domain.errors import PlatformUnavailable
from connector.payments import work
from connector.payments.charges import collect
from connector.shop_settings import set_setting
from jobs.payments import COLLECT, collect_payments
from sandbox.stack import start_stack
from tests.support.payments_support import Setup

STORE = "https://sandbox-tea.example"


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


class Woo(Setup):
    def __init__(self, stack: Any) -> None:
        super().__init__(stack)
        self.woo = stack.sandbox.woocommerce
        self.shop_id = next(i.id for i in stack.shops.values() if i.platform == "woocommerce")

    def order(self, lines: list[tuple[str, int, str]], *, backordered: dict[str, int]) -> tuple[int, int]:
        body = self.woo.create_order(STORE, [{"sku": s, "quantity": q} for s, q, _ in lines], deliver_webhook=False)
        now = datetime.now(UTC)
        with self.c.uow() as uow:
            order = Order(shop_id=self.shop_id, platform_order_id=str(body["id"]), name=f"#{body['number']}",
                          ordered_at=now, platform_updated_at=now, financial_status=body["status"])
            uow.session.add(order)
            uow.session.flush()
            for (sku, quantity, price), raw in zip(lines, body["line_items"], strict=True):
                line = OrderLine(shop_id=self.shop_id, order_id=order.id, platform_line_id=str(raw["id"]), sku=sku,
                                 quantity=quantity, unit_price=Decimal(price), title=sku)
                uow.session.add(line)
                uow.session.flush()
                if sku in backordered:
                    uow.session.add(Backorder(shop_id=self.shop_id, order_line_id=line.id, sku=sku,
                                              quantity_backordered=backordered[sku], status="open"))
            uow.commit()
            return int(body["id"]), order.id

    def collect(self, order_id: int, **kw: Any) -> Any:
        return collect(self.c.uow(), self.store(), order_id, platform="woocommerce", **kw)

    def meta(self, sim_id: int, key: str) -> Any:
        return next((m["value"] for m in self.woo.order(STORE, sim_id)["meta_data"] if m["key"] == key), None)


@pytest.mark.parametrize(("gateway", "meta", "captured", "status"), [
    ("stripe", "_stripe_charge_captured", "yes", "processing"),
    ("woocommerce_payments", "_intention_status", "succeeded", "completed")])
def test_an_authorised_order_is_captured_by_its_status_once_everything_shipped(stack, gateway, meta, captured,
                                                                                status):
    s = Woo(stack)
    sim_id, order_id = s.order([("TEA-SENCHA", 3, "9.50")], backordered={"TEA-SENCHA": 1})
    s.woo.pay_order(STORE, sim_id, gateway, authorise_only=True)
    assert s.woo.order(STORE, sim_id)["status"] == "on-hold"
    waiting = s.collect(order_id)
    assert (waiting.state, waiting.action) == ("authorized", "goods not shipped yet")
    assert s.woo.gateway_captures(STORE) == []
    s.ship(order_id, "TEA-SENCHA", 3, "shipment:1")
    outcome = s.collect(order_id)
    assert (outcome.state, outcome.amount) == ("captured", Decimal("28.50"))
    [capture] = s.woo.gateway_captures(STORE)
    assert (capture["order"], capture["gateway"], capture["amount"], capture["status"]) == (
        sim_id, gateway, "28.50", status)
    order = s.woo.order(STORE, sim_id)
    assert order["status"] == status and s.meta(sim_id, meta) == captured and order["date_paid"] is not None
    assert any("charge complete" in n["note"] for n in order["notes"])
    assert [(c.kind, c.state, c.amount) for c in s.charges(order_id)] == [
        ("woocommerce", "succeeded", Decimal("28.50"))]
    payment = s.payment(order_id)
    assert (payment.route, payment.state, payment.gateway) == ("woocommerce", "captured", gateway)
    again = s.collect(order_id)
    assert again.action == "nothing to collect" and len(s.woo.gateway_captures(STORE)) == 1


def test_a_woopayments_order_is_not_completed_by_a_manual_capture_before_it_ships(stack):
    s = Woo(stack)
    sim_id, order_id = s.order([("TEA-SENCHA", 3, "9.50")], backordered={"TEA-SENCHA": 1})
    s.woo.pay_order(STORE, sim_id, "woocommerce_payments", authorise_only=True)
    outcome = work.capture_now(s.c.uow(), s.store(), s.shop_id, order_id)
    assert "captures only when the order is completed" in outcome.action
    assert s.woo.order(STORE, sim_id)["status"] == "on-hold" and s.woo.gateway_captures(STORE) == []


def test_an_order_paid_at_checkout_is_left_alone_and_the_log_says_so(stack, caplog):
    s = Woo(stack)
    sim_id, order_id = s.order([("TEA-SENCHA", 3, "9.50")], backordered={"TEA-SENCHA": 1})
    s.woo.pay_order(STORE, sim_id, "stripe", authorise_only=False)
    s.ship(order_id, "TEA-SENCHA", 3, "shipment:1")
    with caplog.at_level(logging.INFO, logger="connector.payments.charges"):
        outcome = s.collect(order_id)
    assert (outcome.state, outcome.action) == ("paid", "left alone: paid at checkout")
    assert any(r.getMessage() == "order paid in full at checkout: left alone" and r.order == f"#{sim_id}"
               for r in caplog.records)
    assert s.charges(order_id) == [] and s.woo.gateway_captures(STORE) == []
    assert s.woo.order(STORE, sim_id)["status"] == "processing"


def test_a_status_write_applied_but_answered_with_errors_captures_exactly_once(stack):
    s = Woo(stack)
    sim_id, order_id = s.order([("TEA-SENCHA", 3, "9.50")], backordered={"TEA-SENCHA": 1})
    s.woo.pay_order(STORE, sim_id, "stripe", authorise_only=True)
    s.ship(order_id, "TEA-SENCHA", 3, "shipment:1")
    s.woo.inject_applied_failures(1, f"PUT /orders/{sim_id}")  # applied, then a 504: the client resends the PUT
    outcome = s.collect(order_id)
    assert outcome.state == "captured" and len(s.woo.gateway_captures(STORE)) == 1
    assert [(c.kind, c.state) for c in s.charges(order_id)] == [("woocommerce", "succeeded")]


def test_a_status_write_whose_every_answer_is_lost_is_read_back_on_the_next_pass_not_repeated(stack):
    s = Woo(stack)
    sim_id, order_id = s.order([("TEA-SENCHA", 3, "9.50")], backordered={"TEA-SENCHA": 1})
    s.woo.pay_order(STORE, sim_id, "stripe", authorise_only=True)
    s.ship(order_id, "TEA-SENCHA", 3, "shipment:1")
    s.woo.inject_applied_failures(5, f"PUT /orders/{sim_id}")  # every try applied, every answer a 504
    with pytest.raises(PlatformUnavailable):
        s.collect(order_id)
    assert [(c.kind, c.state) for c in s.charges(order_id)] == [("woocommerce", "pending")]
    assert len(s.woo.gateway_captures(STORE)) == 1
    rerun = s.collect(order_id)
    assert (rerun.state, rerun.action) == ("captured", "captured (found on read-back)")
    assert len(s.woo.gateway_captures(STORE)) == 1
    assert [(c.kind, c.state) for c in s.charges(order_id)] == [("woocommerce", "succeeded")]


def test_a_processed_order_webhook_asks_for_the_shop_s_payment_pass_which_captures_what_shipped(stack):
    s = Woo(stack)
    set_setting(s.c.uow(), s.shop_id, "payments.enabled", True)
    sim_id, order_id = s.order([("TEA-SENCHA", 3, "9.50")], backordered={"TEA-SENCHA": 1})
    s.woo.pay_order(STORE, sim_id, "stripe", authorise_only=True)
    s.ship(order_id, "TEA-SENCHA", 3, "shipment:1")
    s.woo.update_order(STORE, sim_id, {"customer_note": "leave at the door"})  # order.updated -> the connector
    deadline = time.monotonic() + 20
    runs: list[tuple[Any, ...]] = []
    while not runs and time.monotonic() < deadline:
        with s.c.uow() as uow:
            runs = [tuple(r.args) for r in uow.session.scalars(select(JobRun).where(
                JobRun.job == COLLECT, JobRun.shop_id == s.shop_id))]
        time.sleep(0.1)
    assert runs == [(s.shop_id,)]
    assert collect_payments(s.shop_id).startswith("1 order(s) looked at, 1 with money moved")
    assert len(s.woo.gateway_captures(STORE)) == 1 and s.payment(order_id).state == "captured"
