"""Stock arriving end to end against the simulators, on SQLite and PostgreSQL: oversold orders wait;
the merchant adds stock in the store; the store's stock webhook (Shopify inventory_levels/update,
WooCommerce product.updated) reaches the connector, which sets the units aside first come, first
served (a priority-tagged order first), moves their expected date to today and releases exactly
those lines' fulfillment holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from connector.db.models import Backorder, Order, OrderLine
from connector.dropship.models import FulfillmentHoldRecord
from connector.dropship.terms import set_terms as set_unit_cost
from connector.purchasing import work
from connector.purchasing.models import PurchaseOrder
from connector.purchasing.terms import set_terms
from connector.restock.repository import RestockRepository
from connector.shop_settings import set_setting
from connector.supply.suppliers import add_supplier
from jobs.dropship import route_dropship
from jobs.supply import poll_supplier
from sandbox.runner import load_seed
from sandbox.shopify_sim.ext_fulfillment import fulfillment_orders
from sandbox.shopify_sim.ext_inventory import set_inventory
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN


def backorders(stack, shop_id: int) -> dict[str, tuple[str, int, int]]:
    """Platform order id -> (status, units backordered, units allocated)."""
    with stack.container.uow() as uow:
        rows = uow.session.execute(
            select(Order.platform_order_id, Backorder.status, Backorder.quantity_backordered,
                   Backorder.quantity_allocated)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id).join(Order, Order.id == OrderLine.order_id)
            .where(Backorder.shop_id == shop_id))
        return {str(order): (status, quantity, allocated) for order, status, quantity, allocated in rows}


def held_orders(sim_shop, order_ids: list[str]) -> set[str]:
    return {order_id for order_id in order_ids
            if any(fo.holds for fo in fulfillment_orders(sim_shop, int(order_id)))}


def test_shopify_stock_the_merchant_adds_goes_to_the_priority_order_then_the_earliest_and_frees_their_holds(
        seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    sim, c = stack.sandbox.shopify, stack.container
    info = next(i for i in stack.shops.values() if i.platform == "shopify")
    set_setting(c.uow(), info.id, "restock.priority_tags", ["vip"])
    set_setting(c.uow(), info.id, "dropship.enabled", True)  # no supplier offers it: lines wait, held
    first = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])  # SOCKS-M: 0 in stock
    second = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    vip = sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 1}], tags=["wholesale", "VIP"])
    stack.wait_for_capture()
    ids = [str(first["id"]), str(second["id"]), str(vip["id"])]
    assert backorders(stack, info.id) == {ids[0]: ("open", 2, 0), ids[1]: ("open", 2, 0), ids[2]: ("open", 1, 0)}
    route_dropship(info.id)
    stack.wait_for_capture()
    sim_shop = sim.shop(info.domain)
    assert held_orders(sim_shop, ids) == set(ids)

    body = set_inventory(sim, info.domain, "SOCKS-M", delta=3)  # a delivery of 3 counted in: -5 -> -2
    assert set(body) == {"inventory_item_id", "location_id", "available", "updated_at", "admin_graphql_api_id"}
    stack.wait_for_capture()

    assert backorders(stack, info.id) == {ids[0]: ("allocated", 2, 2), ids[1]: ("open", 2, 0),
                                          ids[2]: ("allocated", 1, 1)}
    assert held_orders(sim_shop, ids) == {ids[1]}  # only the lines that got units are ready to ship
    with c.uow() as uow:
        rows = uow.session.execute(select(Backorder.status, Backorder.expected_date, FulfillmentHoldRecord.status)
                                   .join(FulfillmentHoldRecord, FulfillmentHoldRecord.backorder_id == Backorder.id)
                                   .where(Backorder.shop_id == info.id)).all()
        assert sorted((status, hold) for status, _, hold in rows) == [
            ("allocated", "released"), ("allocated", "released"), ("open", "held")]
        today = datetime.now(UTC).date()
        assert {day for status, day, _ in rows if status == "allocated"} == {today}
        given = [(a.quantity, a.source) for a in uow.repo(RestockRepository).allocations_of(info.id)]
        assert sorted(given) == [(1, "store_stock"), (2, "store_stock")]

    set_inventory(sim, info.domain, "SOCKS-M", delta=0)  # the same level reported again: nothing more
    stack.wait_for_capture()
    assert backorders(stack, info.id)[ids[1]] == ("open", 2, 0)


def test_woocommerce_stock_the_merchant_saves_goes_to_the_earliest_order(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    sim, c = stack.sandbox.woocommerce, stack.container
    info = next(i for i in stack.shops.values() if i.platform == "woocommerce")
    first = sim.create_order(info.domain, [{"sku": "HOOD-M", "quantity": 2}])  # a variation, 0 in stock
    second = sim.create_order(info.domain, [{"sku": "HOOD-M", "quantity": 1}])
    stack.wait_for_capture()
    ids = [str(first["id"]), str(second["id"])]
    assert backorders(stack, info.id) == {ids[0]: ("open", 2, 0), ids[1]: ("open", 1, 0)}

    saved = sim.update_stock(info.domain, "HOOD-M", -1)  # two units received: -3 -> -1
    stack.wait_for_capture()

    assert [d.topic for d in sim.deliveries if d.resource_id == saved["id"]] == ["product.updated"]
    assert backorders(stack, info.id) == {ids[0]: ("allocated", 2, 2), ids[1]: ("open", 1, 0)}
    with c.uow() as uow:
        [allocated] = uow.backorders.list(info.id, ["allocated"])
        assert allocated.expected_date == datetime.now(UTC).date()


@pytest.mark.parametrize("store_first", [True, False], ids=["counted-in-first", "receipt-read-first"])
def test_a_delivered_case_counted_into_shopify_and_received_on_the_purchase_order_is_allocated_once(
        seeded_stack, store_first) -> None:
    """The demo's case: 12 units waiting, a purchase order of 12 placed at the supplier, a case of 6
    delivered. The merchant counts it into Shopify (inventory_levels/update) and the connector reads
    the supplier's delivery (the purchase-order receipt), in either order: 6 units set aside, not 12."""
    stack = seeded_stack(load_seed())
    sim, c = stack.sandbox.shopify, stack.container
    info = next(i for i in stack.shops.values() if i.platform == "shopify")
    url = stack.sandbox.supplier_url
    supplier_id = add_supplier(c.uow(), c.box, info.id, {
        "name": "mill", "kind": "http_json", "settings": {"url": url + "/api/all", "auth": {"type": "bearer"}},
        "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
    poll_supplier(supplier_id)
    set_terms(c.uow(), supplier_id, {"channel": "api", "url": url + "/api/purchase-orders", "currency": "USD",
                                     "min_order_quantity": 6, "case_pack": 6}, shop_id=info.id)
    set_unit_cost(c.uow(), supplier_id, "SOCKS-M", shop_id=info.id, dropship=False, unit_cost=Decimal("4.00"))
    set_setting(c.uow(), info.id, "purchasing.mode", "auto")
    ids = [str(sim.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 3}])["id"]) for _ in range(4)]
    stack.wait_for_capture()
    [po_id] = work.run_shop(c, info.id).proposed  # placed at the supplier over HTTP
    with c.uow() as uow:
        po = uow.session.get(PurchaseOrder, po_id)
        assert po is not None and po.status == "placed" and po.total_units == 12
        reference = po.supplier_reference
    stack.sandbox.supplier.purchase_orders.deliver(reference, {"SOCKS-M": 6})

    def count_in() -> None:
        set_inventory(sim, info.domain, "SOCKS-M", delta=6)  # the merchant counts the case in: -12 -> -6
        stack.wait_for_capture()

    if store_first:
        count_in()
        assert work.poll_receipts(c, info.id) == {po_id: {"SOCKS-M": 6}}
    else:
        assert work.poll_receipts(c, info.id) == {po_id: {"SOCKS-M": 6}}
        count_in()

    state = backorders(stack, info.id)
    assert sorted(state[order] for order in ids) == [("allocated", 3, 3), ("allocated", 3, 3), ("open", 3, 0),
                                                     ("open", 3, 0)]
    with c.uow() as uow:
        given = [(a.quantity, a.source) for a in uow.repo(RestockRepository).allocations_of(info.id)]
    assert sum(quantity for quantity, _ in given) == 6
    assert {source for _, source in given} == {"store_stock" if store_first else "purchase_order"}
