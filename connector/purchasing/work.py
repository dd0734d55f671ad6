"""The bodies of the purchasing jobs over the ports the container gives (jobs/purchasing.py is the thin,
queueable shim; ``connector purchase-orders`` runs these directly). Each takes ids and is safe to
run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.errors import ConfigError, SupplierError
from connector.dropship import alerts
from connector.ports import Mailer, PurchaseOrderSupplier, SlackChannel
from connector.purchasing import place, propose, receive
from connector.purchasing.ports import PurchaseOrderReceiptFeed
from connector.purchasing.repository import PurchasingRepository

log = logging.getLogger(__name__)

class PurchasingPorts(Protocol):
    """What the purchasing jobs need from the container (connector/bootstrap.py Container)."""

    settings: Any

    @property
    def box(self) -> CredentialBox: ...

    def uow(self) -> UnitOfWork: ...

    def mailer(self) -> Mailer | None: ...

    def slack_webhook(self, url: str, timeout: float) -> SlackChannel: ...

    def purchase_order_supplier(self, supplier_id: int) -> PurchaseOrderSupplier: ...

    def purchase_order_receipt_feed(self, supplier_id: int) -> PurchaseOrderReceiptFeed | None: ...


def deliver_alerts(c: PurchasingPorts, shop_id: int) -> int:
    """Send the shop's undelivered merchant alerts (purchase orders share drop-ship's alert channel)."""
    return alerts.deliver_alerts(c.uow, c.mailer(), c.settings.smtp_from, shop_id, slack=c.slack_webhook,
                                 box=c.box if c.settings.secret_key else None)


@dataclass
class RunReport:
    proposed: list[int] = field(default_factory=list)
    sent: dict[int, str] = field(default_factory=dict)
    received: dict[int, dict[str, int]] = field(default_factory=dict)
    """Units recorded now per order and SKU, from the suppliers' API answers and receipt feeds."""


def propose_orders(c: PurchasingPorts, shop_id: int) -> propose.ProposeReport:
    report = propose.propose_orders(c.uow(), shop_id)
    if len(report.proposed) > len(report.approved):
        deliver_alerts(c, shop_id)
    return report


def send_order(c: PurchasingPorts, po_id: int, *, resend: bool = False,
               retry: Callable[[int, float], None] | None = None) -> str:
    """Send one approved order; ``retry(po_id, delay)`` schedules the next try when the supplier is down."""
    with c.uow() as uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        if po is None:
            return "missing"
        supplier_id, shop_id = po.supplier_id, po.shop_id
    result = place.send_order(c.uow(), c.purchase_order_supplier(supplier_id), po_id, resend=resend)
    if result.retry_in is not None and retry is not None:
        retry(po_id, result.retry_in)
    if result.status in ("failed", "uncertain"):
        deliver_alerts(c, shop_id)
    return result.status


def poll_receipts(c: PurchasingPorts, shop_id: int) -> dict[int, dict[str, int]]:
    """Ask each supplier with an API about its placed orders; record deliveries (and allocate them)."""
    with c.uow() as uow:
        orders = [(po.id, po.supplier_id) for po in uow.repo(PurchasingRepository).orders(
            shop_id, receive.RECEIVABLE) if po.channel == "api"]
    received: dict[int, dict[str, int]] = {}
    for po_id, supplier_id in orders:
        try:
            report = receive.sync_from_supplier(c.uow(), c.purchase_order_supplier(supplier_id), po_id)
        except SupplierError as exc:  # one supplier down never stops the others
            log.warning("purchase order status not read", extra={"purchase_order_id": po_id, "error": str(exc)})
            continue
        if report.received:
            received[po_id] = report.received
    return received


def poll_feed_receipts(c: PurchasingPorts, shop_id: int) -> dict[int, dict[str, int]]:
    """Read the receipt feed of each supplier that has one and placed orders of the shop; record what
    its rows say shipped (and allocate it)."""
    with c.uow() as uow:
        supplier_ids = sorted({po.supplier_id for po in uow.repo(PurchasingRepository).orders(
            shop_id, receive.RECEIVABLE)})
    received: dict[int, dict[str, int]] = {}
    for supplier_id in supplier_ids:
        try:
            feed = c.purchase_order_receipt_feed(supplier_id)
            if feed is None:
                continue
            rows = feed.receipts()
        except (SupplierError, ConfigError) as exc:  # one supplier's feed never stops the others
            log.warning("purchase order receipt feed not read", extra={"supplier_id": supplier_id, "error": str(exc)})
            continue
        for po_id, report in receive.receive_from_feed(c.uow(), supplier_id, rows).items():
            received[po_id] = report.received
    return received


def run_shop(c: PurchasingPorts, shop_id: int, retry: Callable[[int, float], None] | None = None) -> RunReport:
    """Propose what is due, send what is approved, read deliveries: the scheduled job's body."""
    report = RunReport(propose_orders(c, shop_id).proposed)
    for po_id in place.due_orders(c.uow(), shop_id):
        report.sent[po_id] = send_order(c, po_id, retry=retry)
    report.received = poll_receipts(c, shop_id)
    for po_id, units in poll_feed_receipts(c, shop_id).items():
        report.received.setdefault(po_id, {}).update(units)
    return report
