"""Paid when it ships, end to end on the Shopify simulator (real 2026-04 schema), SQLite and PostgreSQL,
with payments.route the only switch: a variant on backorder gets the connector's pre-order plan (plan
sync after the supplier's date reached its page), an order placed under it pays nothing at checkout and
is captured as a backorder, stock arrives unseen by a webhook and the periodic stock read sets it aside
(which queues the hold release and the payment pass at once), the balance is charged by the connector
(backstop) or Shopify's charge on fulfillment is recorded (ON_FULFILLMENT), the merchant fulfils, the
backorder closes by allocation, and the customer is charged exactly once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from connector.db.models import Backorder, Order, OrderLine
from connector.db.models_jobs import JobRun
from connector.payments.models import OrderPayment, PaymentCharge
from connector.shop_settings import set_setting
from connector.supply.suppliers import add_supplier, poll_supplier
from jobs.payments import COLLECT, collect_payments
from jobs.restock import RELEASE, read_store_stock
from jobs.selling_plans import sync_selling_plans
from jobs.supply import refresh_dates, sync_catalog
from sandbox.runner import load_seed
from sandbox.shopify_sim import ext_charges
from sandbox.shopify_sim.ext_inventory import set_inventory
from sandbox.shopify_sim.ext_merchant_fulfillment import fulfill
from sandbox.shopify_sim.ext_selling_plans import groups, place_preorder

pytestmark = pytest.mark.slow

SKU = "SOCKS-M"
"""12.00 in the seed store, 0 in stock, policy CONTINUE: sold on backorder."""


def backorder_of(stack, order_id: str) -> Backorder:
    with stack.container.uow() as uow:
        row = uow.session.scalar(select(Backorder).join(OrderLine, OrderLine.id == Backorder.order_line_id)
                                 .join(Order, Order.id == OrderLine.order_id)
                                 .where(Order.platform_order_id == order_id))
        assert row is not None
        uow.session.expunge(row)
        return row


def payment_of(stack, order_id: str) -> tuple[OrderPayment, list[tuple[str, str, Decimal]]]:
    with stack.container.uow() as uow:
        payment = uow.session.scalar(select(OrderPayment).join(Order, Order.id == OrderPayment.order_id)
                                     .where(Order.platform_order_id == order_id))
        assert payment is not None
        charges = [(c.kind, c.state, c.amount) for c in uow.session.scalars(
            select(PaymentCharge).where(PaymentCharge.order_id == payment.order_id).order_by(PaymentCharge.id))]
        uow.session.expunge(payment)
        return payment, charges


def gateway_charges(stack, domain: str, order_id: str) -> list[tuple[str, str, str]]:
    found = ext_charges.charges(stack.sandbox.shopify, domain)["captures"]
    return [(c["kind"], c["amount"], c["status"]) for c in found if str(c["order"]) == order_id]


def no_follow_up_waiting(stack, shop_id: int) -> int:
    """As if the passes the order's webhooks asked for had started (they no longer take new requests);
    returns the newest run id, so what is asked for later is told apart."""
    with stack.container.uow() as uow:
        uow.session.execute(update(JobRun).where(JobRun.shop_id == shop_id, JobRun.job.in_((RELEASE, COLLECT)))
                            .values(dedupe_key=None))
        uow.commit()
        return int(uow.session.scalar(select(func.max(JobRun.id))) or 0)


def asked_for_since(stack, shop_id: int, marker: int) -> set[str]:
    with stack.container.uow() as uow:
        return set(uow.session.scalars(select(JobRun.job).where(
            JobRun.shop_id == shop_id, JobRun.id > marker, JobRun.job.in_((RELEASE, COLLECT)))))


@pytest.mark.parametrize("trigger", ["on_fulfillment", "backstop"])
def test_an_order_under_the_connector_s_plan_is_charged_once_when_it_ships_and_its_backorder_closes(
        seeded_stack, tmp_path, trigger) -> None:
    stack = seeded_stack(load_seed(), shopify_restore_rate=1000.0)
    sim, c = stack.sandbox.shopify, stack.container
    info = next(i for i in stack.shops.values() if i.platform == "shopify")
    set_setting(c.uow(), info.id, "payments.route", "selling_plan")  # the one switch: nothing else is set
    set_setting(c.uow(), info.id, "payments.balance_trigger", trigger)
    feed = tmp_path / "feed.csv"
    feed.write_text(f"sku,quantity,restock_date\n{SKU},0,{date.today() + timedelta(days=20)}\n")
    supplier = add_supplier(c.uow(), c.box, info.id, {"name": "mill", "kind": "feed",
                                                      "settings": {"source": str(feed)}}, clients=c.supplier_client)
    assert poll_supplier(c.uow(), c.box, supplier, clients=c.supplier_client).status == "ok"
    sync_catalog(info.id)
    refresh_dates(info.id)  # the page gets the supplier's date: the variant is sold on backorder
    sync_selling_plans(info.id)
    [group] = groups(sim, info.domain)
    assert SKU in group["skus"]

    body = place_preorder(sim, info.domain, [{"sku": SKU, "quantity": 2}])
    order_id = str(body["id"])
    stack.wait_for_capture()
    assert backorder_of(stack, order_id).status == "open"
    assert gateway_charges(stack, info.domain, order_id) == []  # nothing at checkout

    set_inventory(sim, info.domain, SKU, delta=2, deliver_webhook=False)  # counted in; the webhook is lost
    marker = no_follow_up_waiting(stack, info.id)
    assert read_store_stock(info.id) >= 1  # the periodic read finds the units and sets them aside
    assert asked_for_since(stack, info.id, marker) == {RELEASE, COLLECT}  # holds and payments now, not next tick
    assert backorder_of(stack, order_id).status == "allocated"

    collect_payments(info.id)
    payment, charges = payment_of(stack, order_id)
    assert (payment.route, payment.trigger) == ("mandate", trigger)
    if trigger == "backstop":  # the connector charges the balance when the goods are ready to ship
        assert payment.state == "charged" and charges == [("mandate", "succeeded", Decimal("24.00"))]
    else:  # Shopify charges at fulfillment: nothing yet
        assert payment.state == "awaiting_shipment" and charges == []
        assert gateway_charges(stack, info.domain, order_id) == []

    fulfill(sim, info.domain, body["id"], tracking_number="9400100000000000000077")
    if trigger == "on_fulfillment":
        assert ext_charges.charge_on_fulfillment(sim, info.domain, body["id"]) == "SUCCESS"
    stack.wait_for_capture()
    collect_payments(info.id)
    collect_payments(info.id)  # a second pass (the queued one, a retry) charges nothing more

    closed = backorder_of(stack, order_id)
    assert (closed.status, closed.fulfilled_via) == ("fulfilled", "allocation") and closed.closed_at is not None
    payment, charges = payment_of(stack, order_id)
    assert payment.state == "charged" and charges == [("mandate", "succeeded", Decimal("24.00"))]
    assert gateway_charges(stack, info.domain, order_id) == [("mandate", "24.00", "SUCCESS")]
