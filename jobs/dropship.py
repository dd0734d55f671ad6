"""Drop-ship jobs: route a shop's backorders, place one drop-ship order, poll shipments and push
tracking to the store. Each takes ids and is safe to run twice (see connector/dropship/place.py)."""

from __future__ import annotations

import logging
from typing import Any

from connector.dropship import work
from connector.job_refs import job_ref
from connector.ports import StoreFulfillment
from connector.shop_settings import get_setting
from jobs import runtime
from jobs.shops import sync_marks

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 10
"""How often every active shop is routed and its drop-ship shipments polled."""


def store_for(shop_id: int) -> StoreFulfillment:
    """The StoreFulfillment port of a shop (built by the container)."""
    return runtime.container().store_fulfillment(shop_id)


def deliver_alerts(shop_id: int) -> int:
    """Send the shop's undelivered drop-ship alerts by its alert email and Slack webhook."""
    return work.deliver_alerts(runtime.container(), shop_id)


def route_dropship(shop_id: int) -> int:
    """Decide every open backorder of the shop and queue the drop-ship orders; returns how many.
    Holds of lines that no longer wait (allocated from restock) are released first."""
    c = runtime.container()
    routed, due = work.route(c, store_for(shop_id), shop_id)
    for order_id in due:  # not recorded (job_runs): the order row is the ledger, and the next routing lists it again
        runtime.enqueue(c, place_dropship_order, order_id)
    return routed


def place_dropship_order(order_id: int) -> str:
    c = runtime.container()
    return work.place_order(c, order_id, retry=lambda order, delay: runtime.enqueue(
        c, place_dropship_order, order, delay_seconds=delay))


def poll_shipments(shop_id: int) -> int:
    """Record new parcels from every supplier with placed orders and push them to the store; when
    backorders shipped, their orders' store marks are written by a mark sync queued at once."""
    c = runtime.container()
    return work.poll_shipments(c, store_for(shop_id), shop_id,
                               marks_changed=lambda: runtime.enqueue(c, sync_marks, shop_id))


def enqueue_dropship_jobs(container: Any) -> int:
    """Queue routing and shipment polling for every active shop with drop-shipping switched on,
    spread over half the interval (jobs/schedules.py runs this every INTERVAL_MINUTES)."""
    from jobs.schedules import spread_seconds

    window = INTERVAL_MINUTES * 60 * 0.5
    with container.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    enabled = [s for s in shop_ids if get_setting(container.uow(), s, "dropship.enabled")]
    for shop_id in enabled:
        delay = spread_seconds(shop_id, window)
        runtime.enqueue(container, route_dropship, shop_id, delay_seconds=delay)
        runtime.enqueue(container, poll_shipments, shop_id, delay_seconds=delay)
    return len(enabled)


ROUTE = job_ref(route_dropship)
PLACE = job_ref(place_dropship_order)
POLL = job_ref(poll_shipments)
