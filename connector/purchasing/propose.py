"""Propose purchase orders: open backorders waiting for restock, summed per supplier SKU, batched to
the supplier's minimum (connector/domain/purchasing.py).

Units a backorder still waits for = units short - allocated - shipped - covered by a live drop-ship
order - covered by an active purchase order. Each SKU goes to the cheapest active supplier with
purchasing terms that lists it (``supplier_stock`` row, or a per-SKU entry in its terms). Under the
shop lock, a new order's lines are linked to the backorders they cover, oldest first, with exactly
the units each still waits for: no backorder is covered twice. A supplier with an order still
``proposed`` gets no second one until that one is approved or cancelled.

``purchasing.mode``: ``approval`` (default) leaves the order ``proposed`` and alerts the merchant;
``auto`` approves it at once (``approved_by = 'auto'``) for the job to send, except an order the
batching wait pushed out under the supplier's minimum value, which waits for the merchant.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import InvalidPayload
from connector.domain.purchasing import Proposal, PurchasingTerms, SkuDemand, propose
from connector.dropship.place import alert
from connector.purchasing import alerts as po_alerts
from connector.purchasing.models import PurchaseOrder, PurchaseOrderBackorder, PurchaseOrderLine
from connector.purchasing.repository import PurchasingRepository
from connector.purchasing.terms import terms_of
from connector.shop_settings import ShopSettingSpec, get_setting

log = logging.getLogger(__name__)

MODES = ("approval", "auto")

SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("purchasing.mode", "approval", "purchase orders proposed for backorders: 'approval' (the "
                    "merchant approves each: `connector purchase-orders approve`) or 'auto' (sent at once)",
                    lambda v: v in MODES),
    ShopSettingSpec("purchasing.max_batch_wait_days", 3, "days the oldest waiting backorder of a SKU may wait "
                    "for the supplier's minimum before its SKU is ordered anyway: a whole number, 0 or more",
                    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
)


@dataclass
class ProposeReport:
    shop_id: int
    proposed: list[int] = field(default_factory=list)
    approved: list[int] = field(default_factory=list)
    """Of those, approved at once (mode auto): to be sent."""
    waiting: dict[str, list[str]] = field(default_factory=dict)
    """Supplier name -> why nothing was proposed to it."""


@dataclass(frozen=True)
class _Waiting:
    backorder_id: int
    sku: str
    created_at: datetime
    units: int


def propose_orders(uow: UnitOfWork, shop_id: int, *, now: datetime | None = None) -> ProposeReport:
    """Propose (or, in auto mode, approve) the purchase orders due now for the shop."""
    now = now or utcnow()
    mode = str(get_setting(uow, shop_id, "purchasing.mode"))
    max_wait = int(get_setting(uow, shop_id, "purchasing.max_batch_wait_days"))
    report = ProposeReport(shop_id)
    with uow.shop_lock(shop_id), uow:
        repo = uow.repo(PurchasingRepository)
        terms: dict[int, PurchasingTerms] = {}
        names: dict[int, str] = {}
        for supplier in repo.suppliers(shop_id):
            try:
                found = terms_of(supplier)
            except InvalidPayload as exc:
                log.warning("supplier skipped: bad purchasing terms", extra={"shop_id": shop_id, "error": str(exc)})
                continue
            if found is not None:
                terms[supplier.id], names[supplier.id] = found, supplier.name
        if not terms:
            return report
        waiting = _waiting(repo, shop_id)
        costs = repo.unit_costs(shop_id, terms)
        by_supplier: dict[int, list[_Waiting]] = defaultdict(list)
        for item in waiting:
            supplier_id = _supplier_for(item.sku, terms, costs)
            if supplier_id is not None:
                by_supplier[supplier_id].append(item)
        pending = repo.awaiting_approval(shop_id)
        for supplier_id, items in sorted(by_supplier.items()):
            if supplier_id in pending:
                report.waiting[names[supplier_id]] = [f"purchase order {pending[supplier_id]} waits for approval"]
                continue
            proposal = propose(_demands(supplier_id, items, costs), terms[supplier_id], now=now,
                               max_wait_days=max_wait)
            if not proposal.propose:
                report.waiting[names[supplier_id]] = [r.text for r in proposal.reasons if not r.passed]
                continue
            auto = mode == "auto" and not proposal.below_min_value
            po = _create(repo, shop_id, supplier_id, terms[supplier_id], proposal, items, auto=auto, now=now)
            report.proposed.append(po.id)
            if auto:
                report.approved.append(po.id)
        uow.commit()
    for po_id in report.proposed:
        if po_id not in report.approved:
            _alert_proposed(uow, shop_id, po_id)
    if report.proposed:
        log.info("purchase orders proposed", extra={"shop_id": shop_id, "proposed": report.proposed,
                                                    "approved": report.approved})
    return report


def _waiting(repo: PurchasingRepository, shop_id: int) -> list[_Waiting]:
    dropship = repo.dropship_units(shop_id)
    covered = repo.covered_units(shop_id)
    found = []
    for backorder_id, sku, created, short in repo.waiting_backorders(shop_id):
        units = short - dropship.get(backorder_id, 0) - covered.get(backorder_id, 0)
        if units > 0:
            found.append(_Waiting(backorder_id, sku, created, units))
    return found


def _supplier_for(sku: str, terms: dict[int, PurchasingTerms],
                  costs: dict[tuple[int, str], Decimal | None]) -> int | None:
    """The cheapest supplier with terms that lists the SKU (unknown cost last; then the lowest id)."""
    listed = [s for s in sorted(terms) if (s, sku) in costs or sku in terms[s].skus]
    if not listed:
        return None
    return min(listed, key=lambda s: (costs.get((s, sku)) is None, costs.get((s, sku)) or Decimal(0), s))


def _demands(supplier_id: int, items: list[_Waiting], costs: dict[tuple[int, str], Decimal | None]) -> list[SkuDemand]:
    per_sku: dict[str, list[_Waiting]] = defaultdict(list)
    for item in items:
        per_sku[item.sku].append(item)
    return [SkuDemand(sku, sum(i.units for i in group), costs.get((supplier_id, sku)),
                      min(i.created_at for i in group)) for sku, group in sorted(per_sku.items())]


def _create(repo: PurchasingRepository, shop_id: int, supplier_id: int, terms: PurchasingTerms,
            proposal: Proposal, items: list[_Waiting], *, auto: bool, now: datetime) -> PurchaseOrder:
    po = repo.add(PurchaseOrder(
        shop_id=shop_id, supplier_id=supplier_id, status="approved" if auto else "proposed",
        idempotency_key=f"po-{shop_id}-{uuid.uuid4().hex}", channel=terms.channel,
        total_units=proposal.total_units, total_value=proposal.total_value, currency=terms.currency,
        trigger=proposal.trigger, reasons=json.dumps([r.__dict__ for r in proposal.reasons]),
        approved_by="auto" if auto else None, approved_at=now if auto else None, created_at=now))
    for line in proposal.lines:
        row = repo.add(PurchaseOrderLine(shop_id=shop_id, purchase_order_id=po.id, sku=line.sku,
                                         supplier_sku=line.supplier_sku, quantity=line.quantity,
                                         quantity_needed=line.quantity_needed, unit_cost=line.unit_cost))
        for item in items:  # oldest first (waiting_backorders' order): each gets exactly the units it waits for
            if item.sku == line.sku:
                repo.add(PurchaseOrderBackorder(shop_id=shop_id, purchase_order_line_id=row.id,
                                                backorder_id=item.backorder_id, quantity=item.units))
    return po


def _alert_proposed(uow: UnitOfWork, shop_id: int, po_id: int) -> None:
    with uow:
        repo = uow.repo(PurchasingRepository)
        po = repo.order(po_id)
        assert po is not None
        supplier, domain = po_alerts.names(uow, po_id)
        lines = ", ".join(f"{line.quantity} x {line.sku}" for line in repo.lines(po_id))
        value = "" if po.total_value is None else f", worth {po.total_value} {po.currency or ''}".rstrip()
        reasons = [r["text"] for r in json.loads(po.reasons or "[]") if r["passed"] or r["code"] == "below_min_value"]
        text = po_alerts.proposed_message(po_id, supplier, domain,
                                          f"{lines}{value}; proposed by {po.trigger}: {'; '.join(reasons)}")
    alert(uow, shop_id, po_alerts.PROPOSED, f"po-proposed-{po_id}", text)
