"""The merchant's side of purchase orders: list, show, approve, cancel."""

from __future__ import annotations

import json
from typing import Any

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import InvalidPayload
from connector.purchasing.models import PurchaseOrder
from connector.purchasing.repository import PurchasingRepository

CANCELLABLE = ("draft", "proposed", "approved")
"""Not yet sent: cancelling frees its backorders for the next proposal. A placed order is cancelled
with the supplier first (then here: no API call is made)."""


def _row(po: PurchaseOrder) -> dict[str, Any]:
    return {"id": po.id, "supplier_id": po.supplier_id, "status": po.status, "trigger": po.trigger,
            "units": po.total_units, "value": None if po.total_value is None else str(po.total_value),
            "currency": po.currency, "channel": po.channel, "expected_date": po.expected_date and
            po.expected_date.isoformat(), "supplier_reference": po.supplier_reference,
            "attempts": po.send_attempts, "last_error": po.last_error}


def list_orders(uow: UnitOfWork, shop_id: int, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    with uow:
        return [_row(po) for po in uow.repo(PurchasingRepository).orders(shop_id, statuses)]


def show_order(uow: UnitOfWork, shop_id: int, po_id: int) -> dict[str, Any]:
    with uow:
        repo = uow.repo(PurchasingRepository)
        po = _owned(repo, shop_id, po_id)
        links: dict[str, list[dict[str, int]]] = {}
        for sku, backorder_id, units in repo.links(po_id):
            links.setdefault(sku, []).append({"backorder_id": backorder_id, "units": units})
        return {**_row(po), "reasons": json.loads(po.reasons or "[]"), "approved_by": po.approved_by,
                "lines": [{"sku": line.sku, "supplier_sku": line.supplier_sku, "ordered": line.quantity,
                           "needed": line.quantity_needed, "received": line.quantity_received,
                           "unit_cost": None if line.unit_cost is None else str(line.unit_cost),
                           "backorders": links.get(line.sku, [])} for line in repo.lines(po_id)],
                "receipts": [{"number": r.receipt_no, "sku": r.sku, "units": r.quantity, "source": r.source,
                              "allocated": r.allocated_at is not None} for r in repo.receipts(po_id)]}


def approve(uow: UnitOfWork, shop_id: int, po_id: int, *, by: str) -> str:
    """Approve a proposed order for sending; returns its status (approving twice changes nothing)."""
    with uow:
        po = _owned(uow.repo(PurchasingRepository), shop_id, po_id)
        if po.status in ("draft", "proposed"):
            po.status, po.approved_by, po.approved_at = "approved", by[:100], utcnow()
            uow.commit()
        elif po.status in ("cancelled", "failed"):
            raise InvalidPayload(f"purchase order {po_id} is {po.status}; it cannot be approved")
        return po.status


def cancel(uow: UnitOfWork, shop_id: int, po_id: int) -> str:
    with uow:
        po = _owned(uow.repo(PurchasingRepository), shop_id, po_id)
        if po.status == "cancelled":
            return po.status
        if po.status not in CANCELLABLE:
            raise InvalidPayload(f"purchase order {po_id} is {po.status}: cancel it with the supplier; only an "
                                 "order not yet sent is cancelled here")
        po.status, po.cancelled_at = "cancelled", utcnow()
        uow.commit()
        return po.status


def _owned(repo: PurchasingRepository, shop_id: int, po_id: int) -> PurchaseOrder:
    po = repo.order(po_id)
    if po is None or po.shop_id != shop_id:
        raise InvalidPayload(f"the shop has no purchase order {po_id}")
    return po
