"""Drop-ship end to end on both platforms against the sandbox: routed, placed once, shipped, tracked
in the store, backorder fulfilled; a line that does not qualify waits with its reason."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from connector.db.models import Backorder
from connector.dropship.routing import latest_decisions
from connector.shop_settings import set_setting
from connector.supply.models import SupplierStock
from connector.supply.suppliers import add_supplier
from jobs.dropship import poll_shipments, route_dropship
from jobs.supply import poll_supplier
from sandbox.stack import start_stack
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN


@pytest.fixture
def stack():
    with start_stack() as running:
        yield running


def setup_shop(stack, info, sku: str, cost: str) -> int:
    c = stack.container
    url = stack.sandbox.supplier_url
    supplier_id = add_supplier(c.uow(), c.box, info.id, {
        "name": "sandbox-supplier", "kind": "http_json",
        "settings": {"url": url + "/api/all", "auth": {"type": "bearer"},
                     "dropship": {"mode": "api", "url": url + "/api/dropship/orders"}},
        "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
    poll_supplier(supplier_id)
    with c.uow() as uow:
        uow.session.execute(update(SupplierStock).where(SupplierStock.supplier_id == supplier_id,
                                                        SupplierStock.sku == sku).values(dropship=True, unit_cost=cost))
        uow.commit()
    set_setting(c.uow(), info.id, "dropship.enabled", True)
    set_setting(c.uow(), info.id, "dropship.max_wait_days", 0)
    return supplier_id


def long_wait(stack, shop_id: int) -> None:
    """The store's own restock is a month away (the supplier's drop-ship stock does not restock the store)."""
    from datetime import UTC, datetime, timedelta

    with stack.container.uow() as uow:
        uow.session.execute(update(Backorder).where(Backorder.shop_id == shop_id).values(
            expected_date=datetime.now(UTC).date() + timedelta(days=30)))
        uow.commit()


def run_until_fulfilled(stack, shop_id: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        poll_shipments(shop_id)
        with stack.container.uow() as uow:
            if uow.session.scalar(select(Backorder.id).where(Backorder.shop_id == shop_id,
                                                             Backorder.status == "fulfilled")):
                return
        time.sleep(0.3)
    raise AssertionError("backorder never fulfilled")


def test_a_shopify_backorder_is_drop_shipped_once_and_fulfilled_with_tracking(stack) -> None:
    sim = stack.sandbox
    sim.supplier.dropship.ship_delay = 0.5
    info = next(i for i in stack.shops.values() if i.platform == "shopify")
    sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
    setup_shop(stack, info, "SOCKS-M", "1.00")
    order = sim.shopify.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    stack.wait_for_capture()
    long_wait(stack, info.id)
    assert route_dropship(info.id) == 1
    stack.container.queue.wait_idle(10)
    assert route_dropship(info.id) == 0  # routed once: the second run adds nothing
    assert len(sim.supplier.dropship.orders) == 1
    run_until_fulfilled(stack, info.id)
    from sandbox.shopify_sim.ext_fulfillment import fulfillments

    made = fulfillments(sim.shopify.shop(info.domain), int(order["id"]))
    assert len(made) == 1 and made[0]["totalQuantity"] == 2
    assert made[0]["trackingInfo"][0]["number"].startswith("1Z") and made[0]["notifyCustomer"] is True
    decisions = latest_decisions(stack.container.uow(), info.id)
    assert decisions[-1]["action"] == "dropship"


def test_a_woocommerce_backorder_gets_a_tracking_note_meta_and_completes(stack) -> None:
    sim = stack.sandbox
    sim.supplier.dropship.ship_delay = 0.5
    info = next(i for i in stack.shops.values() if i.platform == "woocommerce")
    sim.supplier.set_stock({"sku": "HOOD-M", "quantity": 10})
    setup_shop(stack, info, "HOOD-M", "5.00")
    order = sim.woocommerce.create_order(info.domain, [{"sku": "HOOD-M", "quantity": 2}])
    # The simulator's checkout keeps only a country; the customer's street address as a real checkout has it:
    sim.woocommerce.stores[info.domain].orders[int(order["id"])]["shipping"].update(
        {"address_1": "1 Main St", "city": "Portland", "postcode": "97201", "state": "OR"})
    stack.wait_for_capture()
    long_wait(stack, info.id)
    assert route_dropship(info.id) == 1
    stack.container.queue.wait_idle(10)
    run_until_fulfilled(stack, info.id)
    stored = sim.woocommerce.order(info.domain, int(order["id"]))
    assert stored["status"] == "completed"
    meta = {m["key"]: m["value"] for m in stored["meta_data"]}
    assert meta["_wc_shipment_tracking_items"][0]["tracking_number"].startswith("1Z")
    notes = sim.woocommerce.stores[info.domain].notes[int(order["id"])]
    assert any("tracking number 1Z" in n["note"] and n["customer_note"] for n in notes)


def test_a_line_whose_margin_is_too_thin_waits_and_says_why(stack) -> None:
    sim = stack.sandbox
    info = next(i for i in stack.shops.values() if i.platform == "shopify")
    sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
    setup_shop(stack, info, "SOCKS-M", "999.00")
    sim.shopify.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 1}])
    stack.wait_for_capture()
    long_wait(stack, info.id)
    assert route_dropship(info.id) == 0
    decision = latest_decisions(stack.container.uow(), info.id)[-1]
    assert decision["action"] == "wait" and "margin" in decision["summary"]
    assert sim.supplier.dropship.orders == {}
