"""A batch of a shop's order events against the Shopify simulator (which validates every document
against the real 2026-04 Admin schema), on SQLite and PostgreSQL: the orders' promises read in one
``nodes`` query and their tags added by one aliased ``tagsAdd`` document, with each order's own answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from connector.db.inbox import store_event
from connector.db.models import Order
from connector.events import process_event
from sandbox.stack import LocalStack

SHOP = "batch-outdoors.myshopify.com"
SEED = {"shopify": {"api_secret": "batch-secret", "api_version": "2026-04", "shops": [{
    "domain": SHOP, "access_token": "shpat_batch",
    "products": [{"title": "Lamp", "variants": [{"sku": "LAMP", "price": "30.00", "inventory_quantity": 1,
                                                 "inventory_policy": "CONTINUE"}]}]}]}}


@pytest.fixture
def stack(seeded_stack):
    return seeded_stack(SEED)


def stored(stack: LocalStack, orders: list[dict]) -> list[int]:
    """The orders/create events, stored as the webhook endpoint stores them but not queued (so that
    the test's own call processes them)."""
    sim = stack.sandbox.shopify
    shop_id = stack.shops[SHOP].id
    return [store_event(stack.container.uow(), shop_id, "orders/create", f"create-{order['id']}", {},
                        json.dumps({k: v for k, v in sim.order(SHOP, order["id"]).items() if k != "tag_list"})
                        .encode()).event_id for order in orders]


def test_a_batch_reads_promises_at_once_and_tags_every_short_order(stack):
    sim = stack.sandbox.shopify
    sim.webhook_url = None  # placed silently: the events are stored by the test
    promised = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
    orders = [sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}], max_delivery_at=promised)
              for _ in range(4)]
    ids = stored(stack, orders)
    c = stack.container
    outcome = process_event(c.uow(), c.platform_for, ids[-1], max_attempts=3)
    assert outcome.status == "done" and outcome.done_with == 3
    by_time = sorted(orders, key=lambda o: (o["created_at"], o["id"]))
    short = {str(o["id"]) for o in by_time[1:]}  # one lamp in stock: the first placed is covered
    assert {str(o["id"]) for o in orders if "backorder" in sim.order(SHOP, o["id"])["tag_list"]} == short
    with c.uow() as uow:
        recorded = {o.platform_order_id: (o.promised_delivery_on, o.needs_mark, o.mark_error)
                    for o in uow.session.scalars(select(Order))}
    assert {order_id: value for order_id, value in recorded.items() if order_id in short} == {
        order_id: (promised.date(), False, None) for order_id in short}


def test_an_order_the_store_refuses_to_tag_is_recorded_alone_and_the_others_are_tagged(stack):
    sim = stack.sandbox.shopify
    sim.webhook_url = None
    orders = [sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 2}]) for _ in range(3)]
    ids = stored(stack, orders)
    gone = str(orders[1]["id"])
    sim.shop(SHOP).orders.pop(int(gone))  # deleted in the store after its webhook
    c = stack.container
    assert process_event(c.uow(), c.platform_for, ids[0], max_attempts=3).done_with == 2
    tagged = {str(o["id"]) for o in (orders[0], orders[2]) if "backorder" in sim.order(SHOP, o["id"])["tag_list"]}
    assert tagged == {str(orders[0]["id"]), str(orders[2]["id"])}
    with c.uow() as uow:
        errors = {o.platform_order_id: o.mark_error for o in uow.session.scalars(select(Order))}
    assert errors[gone] and not errors[str(orders[0]["id"])] and not errors[str(orders[2]["id"])]
