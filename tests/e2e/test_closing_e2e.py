"""Closing backorders end to end against the simulators (Shopify on its real 2026-04 schema), on SQLite
and PostgreSQL: the merchant ships from the store (Shopify fulfillments/create + orders/fulfilled;
WooCommerce completed or shipment tracking meta), a fulfillment webhook lost and caught by
reconciliation, units set aside from arriving stock and then shipped, and drop-ship parcels. A
backorder is fulfilled with closed_at and the path it shipped by; a partial shipment closes only what
shipped; the store mark (Shopify tag, WooCommerce note + meta) comes off when no waiting backorder is
left on the order, and not before; a late or repeated delivery changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.woocommerce.orders import TRACKING_META
from adapters.woocommerce.platform import BACKORDER_META_KEY, UNMARK_NOTE
from connector.db.models import Backorder, Order, OrderLine
from connector.shipping.repository import ShippingRepository
from jobs.dropship import poll_shipments, route_dropship
from jobs.shops import reconcile
from sandbox.runner import load_seed
from sandbox.shopify_sim.ext_inventory import set_inventory
from sandbox.shopify_sim.ext_merchant_fulfillment import fulfill
from sandbox.stack import LocalStack
from tests.support.dropship_support import (
    add_dropship_supplier,
    dropship_orders,
    enable,
    process_env,
    restock_in,
    shop,
    terms,
)

BIN = Path(sys.executable).parent
TAG = "backorder"


def backorder(stack: LocalStack, order_id: Any) -> dict[str, Any]:
    """The one backorder of a store order, as the connector recorded it."""
    with stack.container.uow() as uow:
        [row] = uow.session.scalars(
            select(Backorder).join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == OrderLine.order_id).where(Order.platform_order_id == str(order_id))).all()
        shipments = [(s.quantity, s.via, s.reference)
                     for s in uow.repo(ShippingRepository).shipments_of(row.shop_id, row.id)]
        return {"id": row.id, "status": row.status, "backordered": row.quantity_backordered,
                "shipped": row.quantity_shipped, "via": row.fulfilled_via, "created_at": row.created_at,
                "closed_at": row.closed_at, "shipments": shipments}


def tags(stack: LocalStack, domain: str, order_id: Any) -> list[str]:
    return list(stack.sandbox.shopify.shop(domain).order(order_id).tags)


def woo_mark(stack: LocalStack, domain: str, order_id: Any) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """The order's ``_backorder_lines`` meta (decoded) and its notes, oldest first."""
    order = stack.sandbox.woocommerce.order(domain, int(order_id))
    meta = next((m["value"] for m in order["meta_data"] if m["key"] == BACKORDER_META_KEY), None)
    return (json.loads(meta) if meta is not None else None), [n["note"] for n in order["notes"]]


def connector(stack: LocalStack, *args: str) -> str:
    done = subprocess.run([str(BIN / "connector"), *args], env=process_env(stack), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def delivered(stack: LocalStack, topic: str) -> list[Any]:
    return [d for d in stack.sandbox.shopify.deliveries if d.topic == topic]


def test_a_shopify_order_the_merchant_fulfils_closes_its_backorder_and_loses_its_tag(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    sim, info = stack.sandbox.shopify, shop(stack, "shopify")
    order = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}], tags=["gift"])  # 0 in stock
    stack.wait_for_capture()
    assert backorder(stack, order["id"])["status"] == "open" and TAG in tags(stack, info.domain, order["id"])

    fulfill(sim, info.domain, order["id"], tracking_number="9400111899223197428490")
    stack.wait_for_capture()

    assert [len(delivered(stack, t)) for t in ("fulfillments/create", "orders/fulfilled")] == [1, 1]
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["via"]) == ("fulfilled", 2, "merchant")
    assert row["closed_at"] is not None  # the fulfillment's time (Shopify stamps whole seconds)
    assert row["shipments"] == [(2, "merchant", "units:2")]  # three webhooks, one shipment
    assert tags(stack, info.domain, order["id"]) == ["gift"]  # the merchant's own tag stays
    with stack.container.uow() as uow:  # read after fulfillments/create, the order keeps its tags
        stored = uow.session.scalar(select(Order).where(Order.platform_order_id == str(order["id"])))
        assert stored is not None and "gift" in (stored.tags or "")

    for topic in ("fulfillments/create", "orders/fulfilled"):  # Shopify delivers again: nothing new
        sim.redeliver(delivered(stack, topic)[0].webhook_id)
    stack.wait_for_capture()
    assert backorder(stack, order["id"])["shipments"] == [(2, "merchant", "units:2")]

    [listed] = json.loads(connector(stack, "backorders", "--shop", info.domain, "--json"))
    assert (listed["status"], listed["fulfilled_via"], listed["quantity_shipped"]) == ("fulfilled", "merchant", 2)
    assert listed["time_to_fill_seconds"] == max(0, int((row["closed_at"] - row["created_at"]).total_seconds()))
    table = connector(stack, "backorders", "--shop", info.domain)
    assert "fulfilled_via" in table and "time_to_fill" in table and " merchant " in table
    assert "time to fill: median" in connector(stack, "report", "--shop", info.domain)


def test_a_partial_shopify_shipment_closes_only_the_backordered_units_that_shipped(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    sim, info = stack.sandbox.shopify, shop(stack, "shopify")
    order = sim.create_order(info.domain, [{"sku": "MUG-TRAIL", "quantity": 5}])  # 3 in stock, 2 short
    line_id = order["line_items"][0]["id"]
    stack.wait_for_capture()
    assert backorder(stack, order["id"])["backordered"] == 2

    fulfill(sim, info.domain, order["id"], {line_id: 3})  # the units in stock ship first
    stack.wait_for_capture()
    assert len(delivered(stack, "orders/partially_fulfilled")) == 1
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["shipments"]) == ("open", 0, [])
    assert TAG in tags(stack, info.domain, order["id"])

    time.sleep(1.1)  # the next change gets a later updated_at (Shopify's stamps are in seconds)
    fulfill(sim, info.domain, order["id"], {line_id: 1})  # one backordered unit
    stack.wait_for_capture()
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["closed_at"]) == ("open", 1, None)
    assert row["shipments"] == [(1, "merchant", "units:1")]
    assert TAG in tags(stack, info.domain, order["id"])  # one unit still waits: the tag stays
    stale = delivered(stack, "orders/updated")[-1]  # the order as it was with one unit left

    time.sleep(1.1)
    fulfill(sim, info.domain, order["id"], {line_id: 1})
    stack.wait_for_capture()
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["via"]) == ("fulfilled", 2, "merchant")
    assert row["shipments"] == [(1, "merchant", "units:1"), (1, "merchant", "units:2")]
    assert TAG not in tags(stack, info.domain, order["id"])

    sim.redeliver(stale.webhook_id)  # a retry of the older orders/updated arrives last
    stack.wait_for_capture()
    again = backorder(stack, order["id"])
    assert (again["status"], again["shipped"], again["shipments"]) == ("fulfilled", 2, row["shipments"])
    assert TAG not in tags(stack, info.domain, order["id"])


def test_a_lost_shopify_fulfillment_webhook_is_caught_by_reconciliation(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    sim, info = stack.sandbox.shopify, shop(stack, "shopify")
    order = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 1}])
    stack.wait_for_capture()
    reconcile(info.id)  # the watermark moves past the order's capture

    fulfill(sim, info.domain, order["id"], deliver_webhooks=False)  # every shipment webhook lost
    stack.wait_for_capture()
    assert backorder(stack, order["id"])["status"] == "open"

    report = reconcile(info.id)
    assert report.marked >= 1
    row = backorder(stack, order["id"])
    assert (row["status"], row["via"], row["shipments"]) == ("fulfilled", "merchant", [(1, "merchant", "units:1")])
    assert TAG not in tags(stack, info.domain, order["id"])


def test_units_set_aside_from_arriving_stock_then_shipped_are_fulfilled_by_allocation(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    sim, info = stack.sandbox.shopify, shop(stack, "shopify")
    order = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    stack.wait_for_capture()
    set_inventory(sim, info.domain, "SOCKS-M", delta=2)  # a delivery counted in: -2 -> 0
    stack.wait_for_capture()
    assert backorder(stack, order["id"])["status"] == "allocated"
    assert TAG in tags(stack, info.domain, order["id"])  # set aside, not shipped: still a backorder
    [listed] = json.loads(connector(stack, "backorders", "--shop", info.domain, "--json"))
    assert (listed["status"], listed["time_to_fill_seconds"]) == ("allocated", None)

    fulfill(sim, info.domain, order["id"])
    stack.wait_for_capture()
    row = backorder(stack, order["id"])
    assert (row["status"], row["via"], row["shipments"]) == ("fulfilled", "allocation", [(2, "allocation", "units:2")])
    assert TAG not in tags(stack, info.domain, order["id"])


def test_a_completed_woocommerce_order_closes_its_backorder_and_its_mark_is_updated(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    woo, info = stack.sandbox.woocommerce, shop(stack, "woocommerce")
    order = woo.create_order(info.domain, [{"sku": "HOOD-M", "quantity": 2}])  # 0 in stock
    stack.wait_for_capture()
    meta, notes = woo_mark(stack, info.domain, order["id"])
    assert meta == [{"line_id": str(order["line_items"][0]["id"]), "sku": "HOOD-M", "quantity": 2}]
    assert UNMARK_NOTE not in notes

    woo.update_order(info.domain, int(order["id"]), {"status": "completed"})
    stack.wait_for_capture()

    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["via"]) == ("fulfilled", 2, "merchant")
    completed = woo.order(info.domain, int(order["id"]))["date_completed_gmt"]
    assert row["closed_at"] == datetime.fromisoformat(completed).replace(tzinfo=UTC)
    meta, notes = woo_mark(stack, info.domain, order["id"])
    assert meta == [] and notes.count(UNMARK_NOTE) == 1


def test_woocommerce_shipment_tracking_meta_closes_the_backorder_at_its_ship_date(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    woo, info = stack.sandbox.woocommerce, shop(stack, "woocommerce")
    order = woo.create_order(info.domain, [{"sku": "HOOD-M", "quantity": 1}, {"sku": "KETTLE", "quantity": 1}])
    stack.wait_for_capture()
    shipped = int(datetime.now(UTC).timestamp()) - 60
    woo.update_order(info.domain, int(order["id"]), {"meta_data": [{"key": TRACKING_META, "value": [
        {"tracking_provider": "usps", "custom_tracking_provider": "", "custom_tracking_link": "",
         "tracking_number": "9400111899223197428490", "date_shipped": str(shipped), "tracking_id": "a1b2c3"}]}]})
    stack.wait_for_capture()

    assert woo.order(info.domain, int(order["id"]))["status"] == "processing"  # not completed: tracking alone
    row = backorder(stack, order["id"])
    assert (row["status"], row["via"]) == ("fulfilled", "merchant")
    assert row["closed_at"] == datetime.fromtimestamp(shipped, UTC)
    meta, notes = woo_mark(stack, info.domain, order["id"])
    assert meta == [] and UNMARK_NOTE in notes


def _dropship_ready(stack: LocalStack, platform: str, sku: str, quantity: int) -> tuple[Any, dict[str, Any], Any]:
    """A captured order whose ``sku`` units are short and drop-shippable, routed and placed."""
    sim = stack.sandbox
    info = shop(stack, platform)
    sim.supplier.set_stock({"sku": sku, "quantity": 10})
    sim.supplier.dropship.ship_delay = -1  # ships only when told
    supplier_id = add_dropship_supplier(stack, info.id)
    terms(stack, supplier_id, sku, "1.00")
    enable(stack, info.id)
    store = sim.shopify if platform == "shopify" else sim.woocommerce
    order = store.create_order(info.domain, [{"sku": sku, "quantity": quantity}])
    if platform == "woocommerce":
        sim.woocommerce.stores[info.domain].orders[int(order["id"])]["shipping"].update(
            {"address_1": "1 Main St", "city": "Portland", "postcode": "97201", "state": "OR"})
    stack.wait_for_capture()
    restock_in(stack, info.id)
    assert route_dropship(info.id) == 1
    stack.wait_for_capture()
    [placed] = dropship_orders(stack, info.id)
    assert placed.status == "placed"
    return info, order, placed


def test_a_shopify_backorder_drop_shipped_in_two_parcels_loses_its_tag_only_after_the_last(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    info, order, placed = _dropship_ready(stack, "shopify", "SOCKS-M", 3)
    desk = stack.sandbox.supplier.dropship
    assert TAG in tags(stack, info.domain, order["id"])

    desk.ship(placed.supplier_reference, 1)
    assert poll_shipments(info.id) == 1
    stack.wait_for_capture()
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"]) == ("open", 1)
    assert TAG in tags(stack, info.domain, order["id"])

    desk.ship(placed.supplier_reference)
    assert poll_shipments(info.id) == 1
    stack.wait_for_capture()
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["via"]) == ("fulfilled", 3, "dropship")
    assert [(q, via) for q, via, _ in row["shipments"]] == [(1, "dropship"), (2, "dropship")]
    assert all(ref.startswith(f"dropship:{placed.id}:") for _, _, ref in row["shipments"])
    assert TAG not in tags(stack, info.domain, order["id"])
    assert poll_shipments(info.id) == 0 and len(backorder(stack, order["id"])["shipments"]) == 2


def test_a_woocommerce_parcel_s_tracking_keeps_the_rest_of_the_line_waiting(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    info, order, placed = _dropship_ready(stack, "woocommerce", "HOOD-M", 2)
    desk = stack.sandbox.supplier.dropship

    desk.ship(placed.supplier_reference, 1)
    poll_shipments(info.id)
    stack.wait_for_capture()  # the tracking item on the line reaches the connector with order.updated
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["via"]) == ("open", 1, None)
    meta, _ = woo_mark(stack, info.domain, order["id"])
    assert meta is not None and [m["quantity"] for m in meta] == [1]  # the mark says what still waits

    desk.ship(placed.supplier_reference)
    poll_shipments(info.id)
    stack.wait_for_capture()
    row = backorder(stack, order["id"])
    assert (row["status"], row["shipped"], row["via"]) == ("fulfilled", 2, "dropship")
    assert stack.sandbox.woocommerce.order(info.domain, int(order["id"]))["status"] == "completed"
    meta, notes = woo_mark(stack, info.domain, order["id"])
    assert meta == [] and UNMARK_NOTE in notes
