"""Drop-ship on the store side, against the sandbox on SQLite and PostgreSQL: parcels become
fulfillments one by one (Shopify) or tracking notes with completion at the end (WooCommerce);
waiting lines get an INVENTORY_OUT_OF_STOCK hold whose id is kept, and only that hold is released;
units the merchant refunded in WooCommerce (the line keeps its quantity) are never sent to the supplier."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from connector.db.models import Backorder
from connector.dropship.models import DropshipFulfillment, FulfillmentHoldRecord
from connector.dropship.routing import latest_decisions
from jobs.dropship import place_dropship_order, poll_shipments, route_dropship
from sandbox.shopify_sim.ext_fulfillment import fulfillment_orders, fulfillments
from sandbox.shopify_sim.store import gid
from sandbox.stack import start_stack
from tests.support.dropship_support import add_dropship_supplier, dropship_orders, enable, restock_in, shop, terms


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


def backorder_of(stack, shop_id: int) -> Backorder:  # type: ignore[no-untyped-def]
    with stack.container.uow() as uow:
        [row] = uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id)).all()
        uow.session.expunge_all()
        return row


def holds_of(stack, shop_id: int) -> list[FulfillmentHoldRecord]:  # type: ignore[no-untyped-def]
    with stack.container.uow() as uow:
        rows = list(uow.session.scalars(select(FulfillmentHoldRecord).where(FulfillmentHoldRecord.shop_id == shop_id)))
        uow.session.expunge_all()
        return rows


def shopify_line(stack, sku: str, quantity: int, *, supplier_stock: int = 10, cost: str = "1.00"):  # type: ignore[no-untyped-def]
    sim = stack.sandbox
    info = shop(stack, "shopify")
    sim.supplier.set_stock({"sku": sku, "quantity": supplier_stock})
    supplier_id = add_dropship_supplier(stack, info.id)
    terms(stack, supplier_id, sku, cost)
    enable(stack, info.id)
    order = sim.shopify.create_order(info.domain, [{"sku": sku, "quantity": quantity}])
    stack.wait_for_capture()
    restock_in(stack, info.id)
    return info, int(order["id"])


def woocommerce_order(stack, lines: list[dict]):  # type: ignore[no-untyped-def]
    """A captured WooCommerce order whose HOOD-M units are short, HOOD-M drop-shippable at 5.00."""
    sim = stack.sandbox
    info = shop(stack, "woocommerce")
    sim.supplier.set_stock({"sku": "HOOD-M", "quantity": 10})
    supplier_id = add_dropship_supplier(stack, info.id)
    terms(stack, supplier_id, "HOOD-M", "5.00")
    enable(stack, info.id)
    order = sim.woocommerce.create_order(info.domain, lines)
    sim.woocommerce.stores[info.domain].orders[int(order["id"])]["shipping"].update(
        {"address_1": "1 Main St", "city": "Portland", "postcode": "97201", "state": "OR"})
    stack.wait_for_capture()
    restock_in(stack, info.id)
    return info, order


def test_two_parcels_become_two_shopify_fulfillments_each_with_its_tracking(stack):
    desk = stack.sandbox.supplier.dropship
    desk.ship_delay = -1  # ships only when told
    info, order_id = shopify_line(stack, "SOCKS-M", 4)
    assert route_dropship(info.id) == 1
    stack.container.queue.wait_idle(10)
    [row] = dropship_orders(stack, info.id)
    assert row.status == "placed"
    sim_shop = stack.sandbox.shopify.shop(info.domain)

    desk.ship(row.supplier_reference, 1)
    assert poll_shipments(info.id) == 1
    assert backorder_of(stack, info.id).status == "open"  # 3 units still on their way
    desk.ship(row.supplier_reference)
    assert poll_shipments(info.id) == 1
    assert poll_shipments(info.id) == 0  # nothing new: no fulfillment twice

    made = fulfillments(sim_shop, order_id)
    assert [f["totalQuantity"] for f in made] == [1, 3]
    numbers = [f["trackingInfo"][0]["number"] for f in made]
    assert len(set(numbers)) == 2 and all(n.startswith("1Z") for n in numbers)
    assert all(f["trackingInfo"][0]["company"] == "UPS" and "ups.com" in f["trackingInfo"][0]["url"] for f in made)
    backorder = backorder_of(stack, info.id)
    assert backorder.status == "fulfilled" and backorder.closed_at is not None
    with stack.container.uow() as uow:
        parcels = list(uow.session.scalars(select(DropshipFulfillment).order_by(DropshipFulfillment.id)))
        assert [(p.quantity, p.status) for p in parcels] == [(1, "done"), (3, "done")]


def test_woocommerce_gets_a_note_per_parcel_and_completes_only_after_the_last(stack):
    sim = stack.sandbox
    sim.supplier.dropship.ship_delay = -1
    info, order = woocommerce_order(stack, [{"sku": "HOOD-M", "quantity": 2}])
    assert route_dropship(info.id) == 1
    stack.container.queue.wait_idle(10)
    [row] = dropship_orders(stack, info.id)

    sim.supplier.dropship.ship(row.supplier_reference, 1)
    poll_shipments(info.id)
    assert sim.woocommerce.order(info.domain, int(order["id"]))["status"] != "completed"
    sim.supplier.dropship.ship(row.supplier_reference)
    poll_shipments(info.id)
    stored = sim.woocommerce.order(info.domain, int(order["id"]))
    assert stored["status"] == "completed"
    items = {m["key"]: m["value"] for m in stored["meta_data"]}["_wc_shipment_tracking_items"]
    assert [i["quantity"] for i in items] == [1, 1] and len({i["tracking_number"] for i in items}) == 2
    notes = [n for n in sim.woocommerce.stores[info.domain].notes[int(order["id"])] if "tracking number" in n["note"]]
    assert len(notes) == 2 and all(n["customer_note"] for n in notes)
    assert not [call for call in sim.woocommerce.api_calls if call.endswith("/refunds")]  # no refunds: no call


def test_a_woocommerce_line_partly_refunded_sends_the_supplier_only_the_units_left(stack):
    sim = stack.sandbox
    info, order = woocommerce_order(stack, [{"sku": "HOOD-M", "quantity": 3}])
    # The merchant refunds one unit in wp-admin; its order.updated has not reached the connector:
    sim.woocommerce.refund_order(info.domain, int(order["id"]), {order["line_items"][0]["id"]: 1},
                                 deliver_webhook=False)
    assert backorder_of(stack, info.id).quantity_backordered == 3
    assert sim.woocommerce.order(info.domain, int(order["id"]))["line_items"][0]["quantity"] == 3

    assert route_dropship(info.id) == 1
    stack.container.queue.wait_idle(10)

    [row] = dropship_orders(stack, info.id)
    assert row.quantity == 2 and row.status == "placed"
    [placed] = sim.supplier.dropship.orders.values()
    assert [(line["sku"], int(line["quantity"])) for line in placed["lines"]] == [("HOOD-M", 2)]
    assert f"GET /orders/{order['id']}/refunds" in sim.woocommerce.api_calls


def test_a_woocommerce_line_refunded_in_full_is_not_sent_to_the_supplier(stack):
    sim = stack.sandbox
    info, order = woocommerce_order(stack, [{"sku": "HOOD-M", "quantity": 2}, {"sku": "KETTLE", "quantity": 1}])
    sim.woocommerce.refund_order(info.domain, int(order["id"]), {order["line_items"][0]["id"]: 2},
                                 deliver_webhook=False)
    assert sim.woocommerce.order(info.domain, int(order["id"]))["status"] == "processing"  # the kettle is still on it
    assert backorder_of(stack, info.id).quantity_backordered == 2  # the connector has not seen the refund

    assert route_dropship(info.id) == 0
    stack.container.queue.wait_idle(10)

    assert dropship_orders(stack, info.id) == [] and sim.supplier.dropship.orders == {}
    decision = latest_decisions(stack.container.uow(), info.id)[-1]
    assert decision["action"] == "wait" and decision["quantity_dropship"] == 0


def test_a_waiting_line_is_held_out_of_stock_and_only_that_hold_is_released_when_restock_allocates_it(stack):
    info, order_id = shopify_line(stack, "SOCKS-M", 2, cost="999.00")  # margin too thin: it waits
    assert route_dropship(info.id) == 0
    [hold] = holds_of(stack, info.id)
    sim_shop = stack.sandbox.shopify.shop(info.domain)
    [fo] = [f for f in fulfillment_orders(sim_shop, order_id) if f.holds]
    assert [(h["id"], h["reason"]) for h in fo.holds] == [(hold.hold_id, "INVENTORY_OUT_OF_STOCK")]
    assert hold.fulfillment_order_id == gid("FulfillmentOrder", fo.id) and hold.status == "held"
    merchant_hold = {"id": gid("FulfillmentHold", 424242), "reason": "OTHER", "reasonNotes": "gift wrap",
                     "handle": "merchant"}
    fo.holds.append(merchant_hold)  # the merchant's own hold on the same fulfillment order
    assert route_dropship(info.id) == 0 and len(holds_of(stack, info.id)) == 1  # held once, not again

    with stack.container.uow() as uow:  # restock came in: capture's re-evaluation finds the line not short
        uow.session.execute(update(Backorder).where(Backorder.shop_id == info.id).values(status="withdrawn"))
        uow.commit()
    route_dropship(info.id)
    [hold] = holds_of(stack, info.id)
    assert hold.status == "released" and hold.released_at is not None
    assert fo.holds == [merchant_hold] and fo.status == "ON_HOLD"  # the merchant's hold stays


def test_a_split_line_ships_what_the_supplier_has_and_keeps_the_rest_on_hold(stack):
    stack.sandbox.supplier.dropship.ship_delay = 0.1
    info, order_id = shopify_line(stack, "SOCKS-M", 3, supplier_stock=1)
    assert route_dropship(info.id) == 1
    stack.container.queue.wait_idle(10)
    [hold] = holds_of(stack, info.id)
    deadline = time.monotonic() + 10
    while not poll_shipments(info.id) and time.monotonic() < deadline:
        time.sleep(0.2)
    sim_shop = stack.sandbox.shopify.shop(info.domain)
    assert [f["totalQuantity"] for f in fulfillments(sim_shop, order_id)] == [1]
    [held] = [f for f in fulfillment_orders(sim_shop, order_id) if f.holds]
    assert [h["id"] for h in held.holds] == [hold.hold_id] and [i[2] for i in held.items.values()] == [2]
    assert holds_of(stack, info.id)[0].status == "held"
    assert backorder_of(stack, info.id).status == "open"
    assert place_dropship_order(dropship_orders(stack, info.id)[0].id) == "shipped"
