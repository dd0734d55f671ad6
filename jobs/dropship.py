"""Drop-ship jobs: route a shop's backorders, place one drop-ship order, poll shipments and push
tracking to the store. Each takes ids and is safe to run twice (see connector/dropship/place.py)."""

from __future__ import annotations

import logging
from typing import Any

from connector.dropship import fulfillment as fulfillment_service
from connector.dropship import place as dropship_service
from connector.dropship import routing as routing_service
from connector.dropship.holds import release_settled_holds
from connector.dropship.repository import DropshipRepository
from connector.job_refs import job_ref
from connector.ports import DropshipSupplier, StoreFulfillment
from connector.shop_settings import get_setting
from jobs import runtime

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 10
"""How often every active shop is routed and its drop-ship shipments polled."""


def store_for(shop_id: int) -> StoreFulfillment:
    """The StoreFulfillment port of a shop (built by the container)."""
    return runtime.container().store_fulfillment(shop_id)


def _supplier(supplier_id: int) -> DropshipSupplier:
    return runtime.container().dropship_supplier(supplier_id)


def deliver_alerts(shop_id: int) -> int:
    """Send the shop's undelivered drop-ship alerts by its alert email and Slack webhook."""
    from connector.dropship.alerts import deliver_alerts as deliver

    c = runtime.container()
    return deliver(c.uow, c.mailer(), c.settings.smtp_from, shop_id, slack=c.slack_webhook,
                   box=c.box if c.settings.secret_key else None)


def route_dropship(shop_id: int) -> int:
    """Decide every open backorder of the shop and queue the drop-ship orders; returns how many.
    Holds of lines that no longer wait (allocated from restock) are released first."""
    c = runtime.container()
    uow = c.uow()
    store = store_for(shop_id)
    with uow.shop_lock(shop_id):  # one router per shop: a line is never routed twice at once
        release_settled_holds(uow, store, shop_id)
        report = routing_service.route_shop(uow, store, shop_id)
    for order_id in dropship_service.due_orders(c.uow(), shop_id):  # not recorded (job_runs): the order row is
        runtime.enqueue(c, place_dropship_order, order_id)  # the ledger, and the next routing lists it again
    return len(report.routed)


def place_dropship_order(order_id: int) -> str:
    c = runtime.container()
    with c.uow() as uow:
        row = uow.repo(DropshipRepository).order(order_id)
        if row is None:
            return "missing"
        supplier_id = row.supplier_id
        shop_id = row.shop_id
    result = dropship_service.place_order(c.uow(), _supplier(supplier_id), order_id)
    if result.retry_in is not None:  # supplier down: this order waits, the others go on (status 'retry' is
        runtime.enqueue(c, place_dropship_order, order_id, delay_seconds=result.retry_in)  # listed next routing too)
    if result.status in ("rejected", "failed"):
        deliver_alerts(shop_id)
    return result.status


def poll_shipments(shop_id: int) -> int:
    """Record new parcels from every supplier with placed orders and push them to the store."""
    c = runtime.container()
    with c.uow() as uow:
        supplier_ids = uow.repo(DropshipRepository).supplier_ids_with(shop_id, "placed")
    report = fulfillment_service.ShipmentReport()
    fulfillment_service.record_shipments(c.uow(), {sid: _supplier(sid) for sid in supplier_ids}, shop_id, report)
    notify = bool(get_setting(c.uow(), shop_id, "dropship.notify_customer"))
    fulfillment_service.push_fulfillments(c.uow(), store_for(shop_id), shop_id, notify_customer=notify,
                                          report=report)
    deliver_alerts(shop_id)
    return report.pushed


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
