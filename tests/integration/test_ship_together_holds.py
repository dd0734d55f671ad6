"""The customer's ship choice (issue 16) respected by the fulfillment holds, end to end on the Shopify
simulator (SQLite and PostgreSQL): an order placed through the storefront with a backordered line
carrying its ship-by properties and the cart attribute 'Backorder shipping'. "together" holds the
whole order until no line waits; "ready_now" (and no choice) holds only the waiting line."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from connector.db.models import Backorder, Order, OrderLine
from connector.dropship.models import FulfillmentHoldRecord
from jobs.dropship import route_dropship
from sandbox.shopify_sim.ext_fulfillment import fulfillment_orders
from sandbox.stack import start_stack
from tests.support.dropship_support import add_dropship_supplier, enable, restock_in, shop, terms


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


def place(stack, choice: str | None):  # type: ignore[no-untyped-def]
    """SOCKS-M (none in stock, drop-ship margin too thin: it waits) with its ship-by properties, and a
    trail mug in stock, bought together."""
    sim = stack.sandbox
    info = shop(stack, "shopify")
    sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
    terms(stack, add_dropship_supplier(stack, info.id), "SOCKS-M", "999.00")
    enable(stack, info.id)
    attributes = [{"name": "Backorder shipping", "value": choice}] if choice else []
    order = sim.shopify.create_order(info.domain, [
        {"sku": "SOCKS-M", "quantity": 1, "properties": [{"name": "Ships by", "value": "December 15, 2026"},
                                                         {"name": "_backorder_ships_by", "value": "2026-12-15"}]},
        {"sku": "MUG-TRAIL", "quantity": 1}], note_attributes=attributes)
    stack.wait_for_capture()
    restock_in(stack, info.id)
    return info, int(order["id"])


def held_lines(stack, info, order_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """SKU -> status of the fulfillment order holding its units."""
    sim_shop = stack.sandbox.shopify.shop(info.domain)
    order = sim_shop.order(order_id)
    sku_of = {line.id: line.variant.sku for line in order.lines}
    return {sku_of[line_id]: fo.status for fo in fulfillment_orders(sim_shop, order_id)
            for line_id, _total, left in fo.items.values() if left}


def holds(stack, shop_id: int) -> list[tuple[bool, str]]:  # type: ignore[no-untyped-def]
    with stack.container.uow() as uow:
        return [(h.order_id is not None, h.status) for h in uow.session.scalars(
            select(FulfillmentHoldRecord).where(FulfillmentHoldRecord.shop_id == shop_id)
            .order_by(FulfillmentHoldRecord.id))]


def settle(stack, shop_id: int) -> None:
    with stack.container.uow() as uow:  # stock came in: re-evaluation finds the line not short
        uow.session.execute(update(Backorder).where(Backorder.shop_id == shop_id).values(status="withdrawn"))
        uow.commit()


def test_ship_together_holds_the_whole_order_until_no_line_waits(stack):
    info, order_id = place(stack, "together")
    with stack.container.uow() as uow:
        order = uow.session.scalar(select(Order).where(Order.shop_id == info.id))
        assert order.ship_choice == "together"
        socks = uow.session.scalar(select(OrderLine).where(OrderLine.sku == "SOCKS-M"))
        assert (socks.promised_on, socks.promised_source) == (date(2026, 12, 15), "line_property:_backorder_ships_by")
        assert socks.backorder.promised_date == date(2026, 12, 15)
    route_dropship(info.id)
    assert held_lines(stack, info, order_id) == {"SOCKS-M": "ON_HOLD", "MUG-TRAIL": "ON_HOLD"}
    assert holds(stack, info.id) == [(False, "held"), (True, "held")]
    route_dropship(info.id)  # held once, not again
    assert len(holds(stack, info.id)) == 2

    settle(stack, info.id)
    route_dropship(info.id)
    assert held_lines(stack, info, order_id) == {"SOCKS-M": "OPEN", "MUG-TRAIL": "OPEN"}
    assert holds(stack, info.id) == [(False, "released"), (True, "released")]


@pytest.mark.parametrize("choice", ["ready_now", None])
def test_ready_now_or_no_choice_holds_only_the_waiting_line(stack, choice):
    info, order_id = place(stack, choice)
    with stack.container.uow() as uow:
        assert uow.session.scalar(select(Order.ship_choice).where(Order.shop_id == info.id)) == choice
    route_dropship(info.id)
    assert held_lines(stack, info, order_id) == {"SOCKS-M": "ON_HOLD", "MUG-TRAIL": "OPEN"}
    assert holds(stack, info.id) == [(False, "held")]
