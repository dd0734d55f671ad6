"""Bring tracking back: read each placed drop-ship order's shipments from the supplier, record every
parcel once, push it to the store as a fulfillment with carrier, number and URL, and close the
backorder (``fulfilled`` by ``dropship``, ``closed_at`` = when the last unit shipped) once every unit
has shipped.

Each parcel is also a shipment of its backorder (connector/shipping/closing.py ``record_shipment``,
reference ``dropship:<drop-ship order id>:<supplier shipment id>``), recorded with the parcel, before
the store hears of it: the store's own fulfillment webhook for that parcel then finds those units
already shipped and cannot claim them for the merchant. Recording sets the order's ``needs_mark``, so
the store mark comes off once no waiting backorder is left (the poll writes marks after it).

Each parcel is a row (unique per supplier shipment id) stored before the store is called; the
store adapter finds an existing fulfillment for the same tracking number instead of making a
second one, so a crash between the store call and the commit never fulfils twice. The store
refusing (4xx) or being down is retried with backoff; after ``MAX_ATTEMPTS`` the merchant is
alerted. The line's Shopify hold, if any, is released (that hold only) before it is fulfilled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connector.db.models import Backorder, Order
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, SupplierError
from connector.domain.routing import Tracking
from connector.dropship.holds import release_holds
from connector.dropship.models import DropshipFulfillment
from connector.dropship.place import alert, backoff_seconds
from connector.dropship.repository import DropshipRepository
from connector.ports import DropshipSupplier, StoreFulfillment
from connector.shipping.closing import WAITING, record_shipment
from connector.shipping.models import VIA_DROPSHIP
from connector.shipping.repository import ShippingRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class ShipmentReport:
    new_parcels: int = 0
    pushed: int = 0
    fulfilled_backorders: list[int] = field(default_factory=list)
    shipments: int = 0
    """Backorder shipments recorded (each sets its order's ``needs_mark``)."""
    errors: list[str] = field(default_factory=list)


def _when(text: str | None) -> datetime:
    if text:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        except ValueError:
            pass
    return utcnow()


def record_shipments(uow: UnitOfWork, suppliers: dict[int, DropshipSupplier], shop_id: int,
                     report: ShipmentReport) -> None:
    """Ask each supplier about the shop's placed orders; store parcels not seen before."""
    with uow:
        rows = uow.repo(DropshipRepository).orders(shop_id, ("placed",))
        todo = [(r.id, r.supplier_id, r.supplier_reference) for r in rows]
    for order_id, supplier_id, reference in todo:
        supplier = suppliers.get(supplier_id)
        if supplier is None or reference is None:
            continue
        try:
            status = supplier.shipments(reference)
        except SupplierError as exc:  # this supplier is down: the others still go on
            report.errors.append(f"drop-ship order {order_id}: {exc}")
            continue
        for parcel in status.shipments:
            add_parcel(uow, order_id, parcel.shipment_id, parcel.quantity,
                       Tracking(parcel.carrier, parcel.tracking_number, parcel.tracking_url),
                       _when(parcel.shipped_at), report)


def add_parcel(uow: UnitOfWork, order_id: int, shipment_id: str, quantity: int, tracking: Tracking,
               shipped_at: datetime, report: ShipmentReport | None = None) -> bool:
    """Record one parcel of a drop-ship order once (also used for tracking a merchant enters)."""
    with uow:
        repo = uow.repo(DropshipRepository)
        order = repo.order(order_id)
        assert order is not None
        if repo.has_parcel(order_id, shipment_id):
            return False
        quantity = min(quantity, order.quantity - order.quantity_shipped)
        if quantity <= 0:
            return False
        parcel = repo.add(DropshipFulfillment(
            shop_id=order.shop_id, dropship_order_id=order_id, shipment_id=shipment_id, quantity=quantity,
            carrier=tracking.carrier, tracking_number=tracking.number, tracking_url=tracking.url,
            shipped_at=shipped_at))
        order.quantity_shipped += quantity
        if order.quantity_shipped >= order.quantity:
            order.status, order.shipped_at = "shipped", shipped_at
        backorder = uow.backorders.get(order.backorder_id)
        closed = _record(uow, backorder, parcel, report) if backorder is not None else False
        uow.commit()
    if report is not None:
        report.new_parcels += 1
        if closed and backorder is not None:
            report.fulfilled_backorders.append(backorder.id)
    return True


def parcel_reference(parcel: DropshipFulfillment) -> str:
    """The backorder shipment reference of a drop-ship parcel (unique as the parcel is)."""
    return f"dropship:{parcel.dropship_order_id}:{parcel.shipment_id}"


def _record(uow: UnitOfWork, backorder: Backorder, parcel: DropshipFulfillment,
            report: ShipmentReport | None) -> bool:
    """Record one parcel as a shipment of its backorder; True when that closed the backorder."""
    if backorder.status not in WAITING:
        return False
    recorded = record_shipment(uow, backorder.shop_id, backorder.line, backorder, parcel.quantity,
                               parcel.shipped_at or utcnow(), VIA_DROPSHIP, parcel_reference(parcel))
    if recorded and report is not None:
        report.shipments += 1
    return recorded and backorder.status == "fulfilled"


def push_fulfillments(uow: UnitOfWork, store: StoreFulfillment, shop_id: int, *, notify_customer: bool,
                      report: ShipmentReport) -> None:
    """Create the store fulfillment of every recorded parcel not yet in the store."""
    now = utcnow()
    with uow:
        rows = uow.repo(DropshipRepository).fulfillments(shop_id, ("pending", "sending"))
        due = [r.id for r in rows if r.next_attempt_at is None or r.next_attempt_at <= now]
    for fulfillment_id in due:
        _push_one(uow, store, fulfillment_id, notify_customer, report)
    _close_backorders(uow, shop_id, report)


def _push_one(uow: UnitOfWork, store: StoreFulfillment, fulfillment_id: int, notify_customer: bool,
              report: ShipmentReport) -> None:
    with uow:
        repo = uow.repo(DropshipRepository)
        row = repo.fulfillment(fulfillment_id)
        assert row is not None
        order = repo.order(row.dropship_order_id)
        assert order is not None
        backorder = uow.backorders.get(order.backorder_id)
        assert backorder is not None
        platform_order_id = backorder.line.order.platform_order_id
        line_id = backorder.line.platform_line_id
        holds = [(h.id, h.fulfillment_order_id, h.hold_id) for h in repo.holds_of(backorder.id)]
        if _still_waiting(repo, backorder):  # a split line: the held units still wait for restock
            holds = []
        complete = _order_complete_after(repo, uow.orders.by_id(backorder.line.order.id), row)
        row.status, row.attempts = "sending", row.attempts + 1
        tracking = Tracking(row.carrier, row.tracking_number, row.tracking_url)
        quantity, key, shop_id, attempts = row.quantity, f"dsf-{row.id}", row.shop_id, row.attempts
        uow.commit()
    try:
        release_holds(uow, store, holds, order.backorder_id)
        reference = store.fulfill(platform_order_id, line_id, quantity, tracking, notify_customer=notify_customer,
                                  order_complete=complete, dedupe_key=key)
    except ConnectorError as exc:
        with uow:
            row = uow.repo(DropshipRepository).fulfillment(fulfillment_id)
            assert row is not None
            row.last_error = str(exc)[:1000]
            if attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.next_attempt_at = utcnow() + timedelta(seconds=backoff_seconds(attempts))
            uow.commit()
        report.errors.append(f"fulfillment {fulfillment_id}: {exc}")
        if attempts >= MAX_ATTEMPTS:
            alert(uow, shop_id, "store_refused_fulfillment", f"fulfillment-failed-{fulfillment_id}",
                  f"The store refused the fulfillment of order {platform_order_id} line {line_id} "
                  f"(tracking {tracking.number}) after {attempts} attempts: {exc}. Please fulfil it by hand.")
        return
    with uow:
        row = uow.repo(DropshipRepository).fulfillment(fulfillment_id)
        assert row is not None
        row.status, row.store_reference, row.pushed_at, row.last_error = "done", reference, utcnow(), None
        uow.commit()
    report.pushed += 1
    log.info("fulfillment created in the store", extra={"shop_id": shop_id, "order_id": platform_order_id,
                                                        "tracking_number": tracking.number})


def _still_waiting(repo: DropshipRepository, backorder: Backorder) -> bool:
    """Whether some units of the line are not covered by a live drop-ship order (they wait, held)."""
    covered = sum(o.quantity for o in repo.orders_of(backorder.id, ("pending", "sending", "retry",
                                                                    "placed", "shipped")))
    return covered < backorder.quantity_backordered


def _order_complete_after(repo: DropshipRepository, order: Order | None, parcel: DropshipFulfillment) -> bool:
    """Whether every unit of every line of the order is shipped by drop-ship once this parcel is in."""
    assert order is not None
    for line in order.lines:
        backorder = line.backorder
        if backorder is None or backorder.quantity_backordered < line.quantity:
            return False  # units from the store's own stock: the merchant ships those
        shipped = 0
        for dropship in repo.orders_of(backorder.id):
            for done in repo.parcels_of(dropship.id):
                if done.status == "done" or done.id == parcel.id:
                    shipped += done.quantity
        if shipped < line.quantity:
            return False
    return True


def _close_backorders(uow: UnitOfWork, shop_id: int, report: ShipmentReport) -> None:
    """Every parcel of a waiting backorder is one of its shipments (recorded with the parcel; this
    catches parcels recorded before shipments were, in their shipping order): a backorder whose
    every unit shipped is ``fulfilled`` by ``dropship``, ``closed_at`` the last parcel's time."""
    with uow:
        repo = uow.repo(DropshipRepository)
        shipping = {o.backorder_id for o in repo.orders(shop_id, ("placed", "shipped"))}
        for backorder in uow.repo(ShippingRepository).waiting_backorders(shop_id, shipping):
            parcels = [f for o in repo.orders_of(backorder.id) for f in repo.parcels_of(o.id)]
            for parcel in sorted(parcels, key=lambda f: (f.shipped_at or utcnow(), f.id)):
                if _record(uow, backorder, parcel, report):
                    report.fulfilled_backorders.append(backorder.id)
        uow.commit()
