"""The demo's restock story (sandbox/demo_restock.py) against the simulators on Shopify's real 2026-04
schema, on SQLite and PostgreSQL: the outcomes it tells are asserted where they live (the supplier's
purchase-order desk, the connector's tables, the simulated gateway and stores), not in the printed text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from connector.db.models import Backorder, Order, OrderLine
from connector.payments.models import OrderPayment
from connector.purchasing.models import PurchaseOrder
from connector.restock.models import Allocation
from sandbox import demo_restock
from sandbox.runner import load_seed
from sandbox.shopify_sim import ext_charges

pytestmark = pytest.mark.slow


def backorders(stack, shop_id: int, sku: str) -> dict[str, Backorder]:
    """Store order id -> its backorder of ``sku``."""
    with stack.container.uow() as uow:
        rows = uow.session.execute(
            select(Order.platform_order_id, Backorder).join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == OrderLine.order_id).where(Backorder.shop_id == shop_id, Backorder.sku == sku))
        found = {str(order_id): backorder for order_id, backorder in rows}
        uow.session.expunge_all()
        return found


def allocations(stack, shop_id: int) -> dict[str, dict[str, int]]:
    """Arrival reference -> {store order id: units set aside}."""
    with stack.container.uow() as uow:
        rows = uow.session.execute(
            select(Allocation.reference, Order.platform_order_id, Allocation.quantity, Allocation.source)
            .join(Backorder, Backorder.id == Allocation.backorder_id)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id).join(Order, Order.id == OrderLine.order_id)
            .where(Allocation.shop_id == shop_id))
        given: dict[str, dict[str, int]] = {}
        for reference, order_id, quantity, source in rows:
            assert source == "purchase_order", "the store's count of the received case allocated it a second time"
            given.setdefault(reference, {})[str(order_id)] = quantity
        return given


def test_the_restock_story_orders_once_at_the_minimum_allocates_fcfs_captures_what_shipped_and_closes(
        seeded_stack) -> None:
    stack = seeded_stack(load_seed(), shopify_restore_rate=1000.0)
    told: list[str] = []
    story = demo_restock.run(stack, told.append)
    sim = stack.sandbox.shopify
    domain = next(d for d, i in stack.shops.items() if i.id == story.shop_id)
    a, b, c, d, e = (str(story.orders[label]["id"]) for label in "ABCDE")

    # 1. below the minimum nothing was ordered; at it, one order of the minimum rounded up to the case pack
    assert any("4 waiting, supplier minimum 10" in reason for reason in story.waiting_reasons)
    assert len(story.desk.posts) == 1, "the supplier was called once although the send ran twice"
    [supplier_order] = story.desk.orders.values()
    assert [(line["sku"], line["quantity"], line["delivered"]) for line in supplier_order["lines"]] == [
        ("SOCKS-L", 12, 12)]
    with stack.container.uow() as uow:
        [po] = uow.session.scalars(select(PurchaseOrder).where(PurchaseOrder.shop_id == story.shop_id))
        assert (po.id, po.total_units, po.trigger, po.status) == (story.po_id, 12, "min_order_quantity", "received")
        assert po.supplier_reference == supplier_order["id"]
        po_id = po.id
        assert po.expected_date is not None
        assert story.eta_after_order == f"{po.expected_date} (source purchase_order)"  # the SKU's in-stock date

    # 2. first come, first served: the VIP order first, then by order time; the second case fills the rest,
    #    its spare pair going to the pre-order placed after the purchase order
    first, second = (allocations(stack, story.shop_id)[ref] for ref in (f"po:{po_id}:1", f"po:{po_id}:2"))
    assert first == {d: 3, a: 2, b: 1}
    assert second == {b: 1, c: 3, e: 1}

    # 3. the authorised order was captured for what shipped, part by part, and nothing before it shipped
    assert story.captured_before_shipping == 0
    captures = [(str(x["order"]), x["kind"], x["amount"]) for x in ext_charges.charges(sim, domain)["captures"]]
    assert captures == [(a, "capture", "12.00"), (a, "capture", "12.00"), (e, "mandate", "12.00")]
    with stack.container.uow() as uow:
        payments = {str(order_id): payment for order_id, payment in uow.session.execute(
            select(Order.platform_order_id, OrderPayment).join(Order, Order.id == OrderPayment.order_id)
            .where(Order.platform_order_id.in_([a, e])))}
        assert (payments[a].route, payments[a].state, payments[a].amount_captured) == (
            "authorization", "captured", Decimal("24.00"))
        # the pre-order under the selling plan: Shopify charged the balance at fulfillment, the connector recorded it
        assert (payments[e].route, payments[e].trigger, payments[e].state) == ("mandate", "on_fulfillment", "charged")

    # 4. every backorder closed by the shipment of its allocated units, the store mark off
    closed = backorders(stack, story.shop_id, demo_restock.SKU)
    assert set(closed) == {a, b, c, d, e}
    for order_id, backorder in closed.items():
        assert (backorder.status, backorder.fulfilled_via, backorder.quantity_shipped) == (
            "fulfilled", "allocation", backorder.quantity_backordered), order_id
        # closed at the store's shipment time, which Shopify gives in whole seconds: within the second the
        # connector captured the order it may read a fraction earlier (time to fill clamps that at zero)
        assert backorder.closed_at is not None and backorder.closed_at >= backorder.created_at.replace(microsecond=0)
        tags = sim.order(domain, order_id)["tag_list"]
        assert "backorder" not in tags, order_id
    assert sorted(sim.order(domain, d)["tag_list"]) == ["VIP", "wholesale"]  # the merchant's own tags stay

    # WooCommerce: stock saved in the admin set the units aside; completing the order closed it and its mark
    woo = stack.sandbox.woocommerce
    woo_domain = next(dom for dom, i in stack.shops.items() if i.id == story.woo_shop_id)
    [(woo_id, backorder)] = backorders(stack, story.woo_shop_id, demo_restock.WOO_SKU).items()
    assert woo_id == str(story.woo_order["id"])
    assert (backorder.status, backorder.fulfilled_via, backorder.quantity_backordered) == (
        "fulfilled", "allocation", 2)
    assert backorder.closed_at is not None
    meta = {m["key"]: m["value"] for m in woo.order(woo_domain, int(woo_id))["meta_data"]}
    assert meta.get("_backorder_lines") in (None, "", "[]")

    # 5. the closing table names every backorder of the story with how it was filled
    table = "\n".join(told)
    assert "Backorders of this story at the end" in table
    for order in story.orders.values():
        assert order["name"] in table
