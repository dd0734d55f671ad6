"""Shopify fulfillment-service mode (per shop, ``dropship.fulfillment_service``).

``enable`` registers the connector as a fulfillment service (``fulfillmentServiceCreate``, callback
``<app_url>/shopify``) and keeps the service's location as the shop's drop-ship location. Shopify
then pings ``/shopify/fulfillment_order_notification``; the endpoint stores the ping and queues
``jobs.dropship_service.process_requests``, which runs ``process_requests`` here:

- fulfillment requests: accepted when every line's SKU is drop-shipped by an active supplier with
  enough stock (the routing's supplier offers); otherwise rejected (INVENTORY_OUT_OF_STOCK, with a
  message per line) and the merchant is alerted;
- cancellation requests: accepted when nothing for the order has gone to a supplier yet (pending
  drop-ship orders are cancelled); rejected when a supplier already has the order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConfigError, ConnectorError
from connector.dropship import routing
from connector.dropship.models import FulfillmentServiceNotification
from connector.dropship.place import alert
from connector.dropship.repository import DropshipRepository
from connector.shop_settings import ShopSettingSpec, all_settings, set_setting

log = logging.getLogger(__name__)

SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("dropship.fulfillment_service_location_id", None,
                    "Shopify: the fulfillment service's location (set by `connector dropship service enable`)",
                    lambda v: v is None or (isinstance(v, str) and v.startswith("gid://shopify/Location/"))),
    ShopSettingSpec("dropship.fulfillment_service_id", None,
                    "Shopify: the fulfillment service's id (set by `connector dropship service enable`)",
                    lambda v: v is None or (isinstance(v, str)
                                            and v.startswith("gid://shopify/FulfillmentService/"))),
)

SERVICE_NAME = "Backorder drop-ship"
AT_SUPPLIER = ("sending", "placed", "shipped")
"""Drop-ship order states in which the supplier has (or may have) the order: no cancellation."""


class AssignedLine(Protocol):
    fulfillment_order_line_item_id: str
    line_id: str
    sku: str | None
    quantity: int


class Assigned(Protocol):
    id: str
    order_id: str
    lines: Any
    more_lines: bool


class FulfillmentServicePort(Protocol):
    """adapters/shopify/fulfillment_service.py"""

    def create(self, name: str, callback_url: str | None) -> tuple[str, str]: ...

    def assigned(self, status: str, location_id: str) -> list[Any]: ...

    def accept(self, fulfillment_order_id: str, message: str) -> None: ...

    def reject(self, fulfillment_order_id: str, reason: str, message: str,
               line_messages: dict[str, str] | None = None) -> None: ...

    def accept_cancellation(self, fulfillment_order_id: str, message: str) -> None: ...

    def reject_cancellation(self, fulfillment_order_id: str, message: str) -> None: ...


def enable(uow: UnitOfWork, service: FulfillmentServicePort, shop_id: int, app_url: str) -> str:
    """Register the fulfillment service once; returns its location id."""
    values = all_settings(uow, shop_id)
    if values["dropship.fulfillment_service_location_id"]:
        set_setting(uow, shop_id, "dropship.fulfillment_service", True)
        return str(values["dropship.fulfillment_service_location_id"])
    if not app_url.startswith(("https://", "http://")):
        raise ConfigError("app_url", "fulfillment-service mode needs the connector's public URL (app_url)")
    service_id, location_id = service.create(SERVICE_NAME, app_url.rstrip("/") + "/shopify")
    set_setting(uow, shop_id, "dropship.fulfillment_service_id", service_id)
    set_setting(uow, shop_id, "dropship.fulfillment_service_location_id", location_id)
    set_setting(uow, shop_id, "dropship.fulfillment_service", True)
    log.info("fulfillment service registered", extra={"shop_id": shop_id, "location_id": location_id})
    return location_id


def record_notification(uow: UnitOfWork, shop_id: int, kind: str) -> int:
    with uow:
        row = uow.repo(DropshipRepository).add(FulfillmentServiceNotification(shop_id=shop_id, kind=kind[:40]),
                                               flush=True)
        uow.commit()
        return row.id


@dataclass
class RequestReport:
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    cancellations_accepted: list[str] = field(default_factory=list)
    cancellations_rejected: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def process_requests(uow: UnitOfWork, service: FulfillmentServicePort, shop_id: int) -> RequestReport:
    """Answer every pending fulfillment and cancellation request assigned to the shop's service."""
    values = all_settings(uow, shop_id)
    location = values["dropship.fulfillment_service_location_id"]
    report = RequestReport()
    started = utcnow()
    if not values["dropship.fulfillment_service"] or not location:
        log.info("fulfillment-service mode is off", extra={"shop_id": shop_id})
        return report
    for fo in service.assigned("FULFILLMENT_REQUESTED", location):
        try:
            _answer_request(uow, service, shop_id, fo, report)
        except ConnectorError as exc:  # one refused answer does not stop the others; the next ping retries
            report.errors.append(f"{fo.id}: {exc}")
    for fo in service.assigned("CANCELLATION_REQUESTED", location):
        try:
            _answer_cancellation(uow, service, shop_id, fo, report)
        except ConnectorError as exc:
            report.errors.append(f"{fo.id}: {exc}")
    with uow:
        uow.repo(DropshipRepository).mark_notifications_processed(shop_id, started)
        uow.commit()
    log.info("fulfillment requests answered", extra={"shop_id": shop_id, "accepted": report.accepted,
                                                     "rejected": report.rejected, "errors": report.errors})
    return report


def _answer_request(uow: UnitOfWork, service: FulfillmentServicePort, shop_id: int, fo: Assigned,
                    report: RequestReport) -> None:
    problems: dict[str, str] = {}
    suppliers: set[str] = set()
    if fo.more_lines:  # not every line was read: never accept what was not checked
        message = "more line items than the connector checks in one request"
        service.reject(fo.id, "ORDER_TOO_LARGE", message)
        report.rejected.append(fo.id)
        alert(uow, shop_id, "fulfillment_request_rejected", f"fs-rejected-{fo.id}",
              f"A fulfillment request for order {fo.order_id} was rejected: {message}.")
        return
    with uow:
        for line in fo.lines:
            if line.quantity <= 0:
                continue
            offers = [o for o in routing._offers(uow, shop_id, line.sku)
                      if o.dropship and (o.available is None or o.available >= line.quantity)]
            if not offers:
                problems[line.fulfillment_order_line_item_id] = (
                    f"no supplier drop-ships {line.quantity} x {line.sku or 'this item (no SKU)'}")
            else:
                cheapest = min(offers, key=lambda o: (o.unit_cost is None, o.unit_cost or 0, o.supplier_id))
                suppliers.add(cheapest.supplier_name)
    if problems:
        message = "; ".join(problems.values())
        service.reject(fo.id, "INVENTORY_OUT_OF_STOCK", message, problems)
        report.rejected.append(fo.id)
        alert(uow, shop_id, "fulfillment_request_rejected", f"fs-rejected-{fo.id}",
              f"A fulfillment request for order {fo.order_id} was rejected: {message}.")
        return
    service.accept(fo.id, f"Drop-shipped by {', '.join(sorted(suppliers))}")
    report.accepted.append(fo.id)


def _answer_cancellation(uow: UnitOfWork, service: FulfillmentServicePort, shop_id: int, fo: Assigned,
                         report: RequestReport) -> None:
    line_ids = [line.line_id for line in fo.lines]
    with uow:
        rows = uow.repo(DropshipRepository).orders_for_lines(shop_id, fo.order_id, line_ids)
        at_supplier = [r.reference for r in rows if r.status in AT_SUPPLIER]
        if not at_supplier:
            for row in rows:
                if row.status in ("pending", "retry"):
                    row.status, row.last_error = "cancelled", "cancelled by the merchant's cancellation request"
            uow.commit()
    if at_supplier:
        service.reject_cancellation(fo.id, f"Already sent to the supplier ({', '.join(at_supplier)})")
        report.cancellations_rejected.append(fo.id)
        return
    service.accept_cancellation(fo.id, "Cancelled before it reached a supplier")
    report.cancellations_accepted.append(fo.id)
