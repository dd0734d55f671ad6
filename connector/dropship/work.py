"""The bodies of the drop-ship jobs, over the ports the container gives (jobs/dropship.py and
jobs/dropship_service.py are the thin, queueable shims; ``connector dropship`` runs these directly).

Each takes ids and is safe to run twice (see connector/dropship/place.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.dropship import alerts, fulfillment, fulfillment_service, place, routing
from connector.dropship.holds import release_settled_holds
from connector.dropship.repository import DropshipRepository
from connector.ports import DropshipSupplier, Mailer, SlackChannel, StoreFulfillment
from connector.shop_settings import get_setting


class DropshipPorts(Protocol):
    """What the drop-ship jobs need from the container (connector/bootstrap.py Container)."""

    settings: Any

    @property
    def box(self) -> CredentialBox: ...

    def uow(self) -> UnitOfWork: ...

    def mailer(self) -> Mailer | None: ...

    def slack_webhook(self, url: str, timeout: float) -> SlackChannel: ...

    def store_fulfillment(self, shop_id: int) -> StoreFulfillment: ...

    def dropship_supplier(self, supplier_id: int) -> DropshipSupplier: ...

    def fulfillment_service(self, shop_id: int) -> fulfillment_service.FulfillmentServicePort: ...


def deliver_alerts(c: DropshipPorts, shop_id: int) -> int:
    """Send the shop's undelivered drop-ship alerts by its alert email and Slack webhook."""
    return alerts.deliver_alerts(c.uow, c.mailer(), c.settings.smtp_from, shop_id, slack=c.slack_webhook,
                                 box=c.box if c.settings.secret_key else None)


def route(c: DropshipPorts, store: StoreFulfillment, shop_id: int) -> tuple[int, list[int]]:
    """Decide every open backorder of the shop; returns how many lines were routed to drop-ship and
    the drop-ship orders due for placing. Holds of lines that no longer wait are released first."""
    uow = c.uow()
    with uow.shop_lock(shop_id):  # one router per shop: a line is never routed twice at once
        release_settled_holds(uow, store, shop_id)
        report = routing.route_shop(uow, store, shop_id)
    return len(report.routed), place.due_orders(c.uow(), shop_id)


def place_order(c: DropshipPorts, order_id: int,
                retry: Callable[[int, float], None] | None = None) -> str:
    """Place one drop-ship order; ``retry(order_id, delay)`` schedules the next try when the supplier
    is down. A refusal or a final failure is delivered to the merchant at once."""
    with c.uow() as uow:
        row = uow.repo(DropshipRepository).order(order_id)
        if row is None:
            return "missing"
        supplier_id = row.supplier_id
        shop_id = row.shop_id
    result = place.place_order(c.uow(), c.dropship_supplier(supplier_id), order_id)
    if result.retry_in is not None and retry is not None:  # supplier down: this order waits, the others go on
        retry(order_id, result.retry_in)  # (status 'retry' is listed by the next routing too)
    if result.status in ("rejected", "failed"):
        deliver_alerts(c, shop_id)
    return result.status


def poll_shipments(c: DropshipPorts, store: StoreFulfillment, shop_id: int,
                   marks_changed: Callable[[], None] | None = None) -> int:
    """Record new parcels from every supplier with placed orders and push them to the store;
    ``marks_changed()`` is called when a recorded shipment changed what the store mark should say."""
    with c.uow() as uow:
        supplier_ids = uow.repo(DropshipRepository).supplier_ids_with(shop_id, "placed")
    report = fulfillment.ShipmentReport()
    fulfillment.record_shipments(c.uow(), {sid: c.dropship_supplier(sid) for sid in supplier_ids}, shop_id, report)
    notify = bool(get_setting(c.uow(), shop_id, "dropship.notify_customer"))
    fulfillment.push_fulfillments(c.uow(), store, shop_id, notify_customer=notify, report=report)
    if report.shipments and marks_changed is not None:  # the mark follows what still waits (off when nothing)
        marks_changed()
    deliver_alerts(c, shop_id)
    return report.pushed


def answer_requests(c: DropshipPorts, shop_id: int) -> int:
    """Answer every pending fulfillment-service request; returns how many were answered."""
    report = fulfillment_service.process_requests(c.uow(), c.fulfillment_service(shop_id), shop_id)
    if report.rejected:
        deliver_alerts(c, shop_id)
    return len(report.accepted) + len(report.rejected) + len(report.cancellations_accepted) + \
        len(report.cancellations_rejected)


def enable_service(c: DropshipPorts, shop_id: int) -> str:
    """Register the shop's fulfillment service; returns its location id."""
    return fulfillment_service.enable(c.uow(), c.fulfillment_service(shop_id), shop_id, c.settings.app_url or "")
