"""Receiving a purchase order, fully or in parts, and handing the units to allocation.

Three ways in: the supplier's API answer (``sync_from_supplier``: it reports units delivered so far;
what is new since the last receipt is recorded), a supplier feed whose rows name the order
(``receive_from_feed``: units shipped so far per order line, cumulative like the API answer, so a
feed read twice, or a delivery seen by both the API and the feed, is recorded once), or the merchant
(``record_receipt``, from ``connector purchase-orders receive``: units received now). Each SKU received becomes a
``purchase_order_receipts`` row (numbered per order) committed with the order's new received
quantities and status, under the shop lock. Then every receipt not yet allocated is passed to
``connector.restock.arrivals.units_arrived`` with reference ``po:<order id>:<receipt number>``
(idempotent per reference) and marked allocated; a crash in between is caught up by the next
receipt or poll of that order (``allocate_receipts``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import InvalidPayload
from connector.domain.purchasing import FeedReceipt
from connector.ports import PurchaseOrderSupplier
from connector.purchasing.models import PurchaseOrderReceipt
from connector.purchasing.place import reference
from connector.purchasing.repository import PurchasingRepository
from connector.restock.arrivals import units_arrived
from connector.supply import dates

log = logging.getLogger(__name__)

RECEIVABLE = ("placed", "partially_received")
SOURCES = ("supplier", "feed", "merchant")


@dataclass
class ReceiptReport:
    purchase_order_id: int
    status: str
    received: dict[str, int] = field(default_factory=dict)
    """Units recorded now per SKU."""
    allocated: dict[str, int] = field(default_factory=dict)
    """Units allocation set aside for waiting backorders, per SKU (receipts handed over now)."""


def record_receipt(uow: UnitOfWork, po_id: int, units: Mapping[str, int], *, source: str,
                   cumulative: bool = False) -> ReceiptReport:
    """Record ``units`` (per SKU) received now, then hand them to allocation. ``cumulative``: the units
    are totals delivered so far (a supplier's answer); only what exceeds the units recorded counts,
    worked out under the shop lock, so two polls at once record a delivery once."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    with uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        if po is None:
            raise InvalidPayload(f"no purchase order {po_id}")
        shop_id = po.shop_id
    with uow.shop_lock(shop_id), uow:
        repo = uow.repo(PurchasingRepository)
        po = repo.order(po_id)
        assert po is not None
        if po.status not in RECEIVABLE:
            raise InvalidPayload(f"purchase order {po_id} is {po.status}: only a placed order can be received")
        lines = {line.sku: line for line in repo.lines(po_id)}
        unknown = sorted(set(units) - set(lines))
        if unknown:
            raise InvalidPayload(f"purchase order {po_id} has no line for {', '.join(unknown)}")
        for sku, quantity in units.items():
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise InvalidPayload(f"units received of {sku} must be a whole number, got {quantity!r}")
        if cumulative:
            units = {sku: max(0, total - lines[sku].quantity_received) for sku, total in units.items()}
        report = ReceiptReport(po_id, po.status)
        now = utcnow()
        for sku, quantity in sorted(units.items()):
            if quantity == 0:
                continue
            po.receipts += 1
            repo.add(PurchaseOrderReceipt(shop_id=shop_id, purchase_order_id=po_id, receipt_no=po.receipts,
                                          sku=sku, quantity=quantity, source=source, received_at=now))
            lines[sku].quantity_received += quantity
            report.received[sku] = quantity
        if report.received:
            complete = all(line.quantity_received >= line.quantity for line in lines.values())
            po.status = "received" if complete else "partially_received"
            po.received_at = now if complete else po.received_at
        report.status = po.status
        uow.commit()
    if report.received:
        log.info("purchase order received", extra={"purchase_order_id": po_id, "received": report.received,
                                                   "status": report.status, "source": source})
    report.allocated = allocate_receipts(uow, po_id)
    if report.received:
        dates.refresh_dates(uow, shop_id)  # units still to come changed: so may the SKUs' dates
    return report


def allocate_receipts(uow: UnitOfWork, po_id: int) -> dict[str, int]:
    """Hand every receipt of the order not yet allocated to ``units_arrived``; units set aside per SKU."""
    with uow:
        pending = [(r.id, r.shop_id, r.sku, r.quantity, r.receipt_no)
                   for r in uow.repo(PurchasingRepository).receipts(po_id, unallocated=True)]
    allocated: dict[str, int] = {}
    for receipt_id, shop_id, sku, quantity, number in pending:
        result = units_arrived(uow, shop_id, sku, quantity, source="purchase_order",
                               reference=f"po:{po_id}:{number}")
        allocated[sku] = allocated.get(sku, 0) + result.units_allocated
        with uow:
            row = uow.repo(PurchasingRepository).receipt(receipt_id)
            assert row is not None
            row.allocated_at = utcnow()
            uow.commit()
    return allocated


def sync_from_supplier(uow: UnitOfWork, supplier: PurchaseOrderSupplier, po_id: int) -> ReceiptReport:
    """Ask the supplier about a placed order: record what it delivered since the last receipt and take
    a changed delivery date."""
    with uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        if po is None:
            raise InvalidPayload(f"no purchase order {po_id}")
        status, ref = po.status, po.supplier_reference
    if status not in RECEIVABLE or ref is None:
        return ReceiptReport(po_id, status, allocated=allocate_receipts(uow, po_id))
    answer = supplier.status(ref)
    with uow:
        repo = uow.repo(PurchasingRepository)
        po = repo.order(po_id)
        assert po is not None
        received = {line.sku: line.quantity_received for line in repo.lines(po_id)}
        if answer.expected_date is not None and answer.expected_date != po.expected_date:
            po.expected_date, po.expected_date_source = answer.expected_date, "supplier"
            shop_id = po.shop_id
            uow.commit()
            dates.refresh_dates(uow, shop_id)
    delivered = {sku: units for sku, units in answer.delivered.items() if sku in received}
    if not any(units > received[sku] for sku, units in delivered.items()):
        return ReceiptReport(po_id, status, allocated=allocate_receipts(uow, po_id))
    return record_receipt(uow, po_id, delivered, source="supplier", cumulative=True)


def receive_from_feed(uow: UnitOfWork, supplier_id: int, rows: Iterable[FeedReceipt]) -> dict[int, ReceiptReport]:
    """Record what a supplier's feed says it shipped for its placed orders. A row names an order by our
    reference (``PO-<id>``) or the supplier's order number, and a line by our SKU or the supplier's code;
    its quantity is the units shipped so far (the later row wins for the same order line). Rows naming
    no open order of this supplier, or no line of it, are logged and skipped. Returns the reports of the
    orders that received units now."""
    with uow:
        repo = uow.repo(PurchasingRepository)
        supplier = repo.supplier(supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id}")
        open_orders = [po for po in repo.orders(supplier.shop_id, RECEIVABLE) if po.supplier_id == supplier_id]
        by_reference: dict[str, int] = {}
        skus: dict[int, dict[str, str]] = {}
        for po in open_orders:
            by_reference[reference(po.id)] = po.id
            if po.supplier_reference:
                by_reference.setdefault(po.supplier_reference, po.id)
            skus[po.id] = {}
            for line in repo.lines(po.id):
                if line.supplier_sku:
                    skus[po.id][line.supplier_sku] = line.sku
                skus[po.id][line.sku] = line.sku
    shipped: dict[int, dict[str, int]] = {}
    for row in rows:
        po_id = by_reference.get(row.po_reference)
        sku = skus.get(po_id, {}).get(row.sku) if po_id is not None else None
        if po_id is None or sku is None:
            log.info("receipt feed row names no open purchase order line of this supplier",
                     extra={"supplier_id": supplier_id, "line": row.line, "po_reference": row.po_reference[:60]})
            continue
        shipped.setdefault(po_id, {})[sku] = row.quantity
    reports: dict[int, ReceiptReport] = {}
    for po_id, units in sorted(shipped.items()):
        try:
            report = record_receipt(uow, po_id, units, source="feed", cumulative=True)
        except InvalidPayload as exc:  # received in full or cancelled meanwhile
            log.info("receipt feed rows not recorded", extra={"purchase_order_id": po_id, "reason": str(exc)})
            continue
        if report.received:
            reports[po_id] = report
    return reports
