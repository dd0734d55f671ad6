"""Send an approved purchase order to its supplier exactly once.

The idempotency key is stored when the order is proposed. Here: mark ``sending`` (and, for e-mail,
store the Message-ID in ``dispatch_ref``) and commit, then call the supplier with that key, then
store the answer. A crash between the call and the commit leaves ``sending``:

- HTTP API: the next run asks the supplier for the key (``find``) and records what it finds; only
  when the supplier never received it is the order sent again, with the same key (which the
  supplier also deduplicates on).
- E-mail: nobody can be asked. The order stays ``sending`` with the reason, the merchant is alerted
  once, and nothing is resent: ``connector purchase-orders mark-sent`` records it as placed (the
  supplier has it) and ``resend`` sends it again with the same Message-ID.

Refused -> ``failed`` (its backorders are free for the next proposal) and the merchant is alerted.
Supplier down -> stays ``approved`` with a backoff (``next_attempt_at``); after ``MAX_ATTEMPTS``
``failed`` and alerted. Placed -> the expected date is the supplier's, else today + its lead time,
and the SKUs' in-stock dates are recomputed (connector/supply/dates.py reads placed orders).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import SupplierRejected, SupplierSendUncertain, SupplierUnavailable
from connector.domain.purchasing import (
    PurchaseOrderAnswer,
    PurchaseOrderLineRequest,
    PurchaseOrderRequest,
    purchase_message_id,
)
from connector.dropship.place import alert, backoff_seconds
from connector.ports import PurchaseOrderSupplier
from connector.purchasing import alerts as po_alerts
from connector.purchasing.repository import PurchasingRepository
from connector.shop_settings import get_setting
from connector.supply import dates

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SENDABLE = ("approved", "sending")


@dataclass(frozen=True)
class SendResult:
    status: str
    retry_in: float | None = None


def reference(po_id: int) -> str:
    """The reference the supplier sees."""
    return f"PO-{po_id}"


def send_order(uow: UnitOfWork, supplier: PurchaseOrderSupplier, po_id: int, *, resend: bool = False) -> SendResult:
    """Send one approved purchase order (idempotent: safe to run again at any point). ``resend``: the
    merchant asks to send an e-mail order left uncertain again (same Message-ID)."""
    now = utcnow()
    with uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        if po is None:
            return SendResult("missing")
        if po.status not in SENDABLE:
            return SendResult(po.status)
        if po.status == "approved" and po.next_attempt_at is not None and po.next_attempt_at > now and not resend:
            return SendResult("waiting", (po.next_attempt_at - now).total_seconds())
        key, was_sending, shop_id = po.idempotency_key, po.status == "sending", po.shop_id
        repo = uow.repo(PurchasingRepository)
        titles = repo.titles(po_id)
        supplier_row = repo.supplier(po.supplier_id)
        lead_time = supplier_row.lead_time_days if supplier_row is not None else None
        today = now.date()
        request = PurchaseOrderRequest(reference(po_id), tuple(
            PurchaseOrderLineRequest(line.sku, line.supplier_sku or line.sku, line.quantity,
                                     None if line.unit_cost is None else line.unit_cost, titles.get(line.sku, ""))
            for line in repo.lines(po_id)), po.currency, ordered_on=today,
            expected_date=None if lead_time is None else today + timedelta(days=lead_time))
        shop = uow.shops.get(shop_id)
        domain = shop.domain if shop is not None else ""
    request = replace(request, buyer=str(get_setting(uow, shop_id, "notify.sender_name") or domain))
    try:
        if was_sending and supplier.can_find:
            found = supplier.find(key)
            if found is not None:
                log.info("purchase order found at the supplier after an interrupted call",
                         extra={"purchase_order_id": po_id, "supplier_reference": found.reference})
                return _placed(uow, po_id, found)
        elif was_sending and not resend:
            return _uncertain(uow, po_id, shop_id, "the sender stopped during the e-mail to the supplier; "
                                                   "not resent to avoid a duplicate order")
        with uow:
            po = uow.repo(PurchasingRepository).order(po_id)
            assert po is not None
            po.status, po.send_attempts, po.sent_at = "sending", po.send_attempts + 1, utcnow()
            if not supplier.can_find:
                po.dispatch_ref = purchase_message_id(key)
            uow.commit()
        answer = supplier.send(request, key)
    except SupplierRejected as exc:
        return _failed(uow, po_id, shop_id, f"the supplier refused purchase order {po_id}: {exc}")
    except SupplierSendUncertain as exc:
        return _uncertain(uow, po_id, shop_id, str(exc))
    except SupplierUnavailable as exc:
        return _retry(uow, po_id, shop_id, str(exc))
    return _placed(uow, po_id, answer)


def _placed(uow: UnitOfWork, po_id: int, answer: PurchaseOrderAnswer) -> SendResult:
    if answer.status in ("rejected", "cancelled"):
        with uow:
            po = uow.repo(PurchasingRepository).order(po_id)
            assert po is not None
            shop_id = po.shop_id
        return _failed(uow, po_id, shop_id, f"the supplier {answer.status} purchase order {po_id}: "
                                            f"{answer.reason or 'no reason given'}")
    with uow:
        repo = uow.repo(PurchasingRepository)
        po = repo.order(po_id)
        assert po is not None
        supplier = repo.supplier(po.supplier_id)
        lead_time = supplier.lead_time_days if supplier is not None else None
        po.status, po.supplier_reference = "placed", answer.reference
        po.placed_at, po.last_error, po.next_attempt_at = utcnow(), None, None
        po.expected_date, po.expected_date_source = expected_date(answer, lead_time, utcnow().date())
        shop_id = po.shop_id
        uow.commit()
    log.info("purchase order placed", extra={"purchase_order_id": po_id, "supplier_reference": answer.reference})
    dates.refresh_dates(uow, shop_id)  # the order's date is now a source of its SKUs' in-stock dates
    return SendResult("placed")


def expected_date(answer: PurchaseOrderAnswer, lead_time_days: int | None,
                  today: date) -> tuple[date | None, str | None]:
    """The supplier's date when it gave one, else today + its lead time, else unknown."""
    if answer.expected_date is not None:
        return answer.expected_date, "supplier"
    if lead_time_days is not None:
        return today + timedelta(days=lead_time_days), "lead_time"
    return None, None


def _failed(uow: UnitOfWork, po_id: int, shop_id: int, reason: str) -> SendResult:
    with uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        assert po is not None
        po.status, po.last_error, po.next_attempt_at = "failed", reason[:1000], None
        uow.commit()
        supplier, domain = po_alerts.names(uow, po_id)
    alert(uow, shop_id, po_alerts.FAILED, f"po-failed-{po_id}",
          po_alerts.failed_message(po_id, supplier, domain, reason))
    return SendResult("failed")


def _uncertain(uow: UnitOfWork, po_id: int, shop_id: int, reason: str) -> SendResult:
    with uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        assert po is not None
        po.last_error = reason[:1000]
        dispatch = po.dispatch_ref
        uow.commit()
        supplier, domain = po_alerts.names(uow, po_id)
    alert(uow, shop_id, po_alerts.UNCERTAIN, f"po-uncertain-{po_id}",
          po_alerts.uncertain_message(po_id, supplier, domain, reason, dispatch))
    return SendResult("uncertain")


def _retry(uow: UnitOfWork, po_id: int, shop_id: int, error: str) -> SendResult:
    with uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        assert po is not None
        po.last_error = error[:1000]
        if po.send_attempts >= MAX_ATTEMPTS:
            uow.commit()
            return _failed(uow, po_id, shop_id, f"purchase order {po_id} could not reach the supplier after "
                                                f"{MAX_ATTEMPTS} attempts: {error}")
        # back to approved: the supplier certainly has no order (5xx, refused connection); an ambiguous
        # timeout was already resent by the transport with the same key, which the supplier honours
        po.status = "approved"
        delay = backoff_seconds(po.send_attempts)
        po.next_attempt_at = utcnow() + timedelta(seconds=delay)
        uow.commit()
    log.warning("supplier unavailable, purchase order retried later",
                extra={"purchase_order_id": po_id, "retry_in": delay, "error": error})
    return SendResult("retry", delay)


def mark_sent(uow: UnitOfWork, po_id: int, *, supplier_reference: str | None = None) -> SendResult:
    """The merchant confirms an e-mail order left uncertain reached the supplier."""
    with uow:
        po = uow.repo(PurchasingRepository).order(po_id)
        if po is None:
            return SendResult("missing")
        if po.status != "sending":
            return SendResult(po.status)
        ref = supplier_reference or po.dispatch_ref or reference(po_id)
    return _placed(uow, po_id, PurchaseOrderAnswer(ref, "sent"))


def due_orders(uow: UnitOfWork, shop_id: int) -> list[int]:
    """Approved orders whose backoff has passed, and orders left ``sending`` by an API call."""
    now = utcnow()
    with uow:
        rows = uow.repo(PurchasingRepository).orders(shop_id, SENDABLE)
        return [r.id for r in rows
                if (r.status == "approved" and (r.next_attempt_at is None or r.next_attempt_at <= now))
                or (r.status == "sending" and r.channel == "api")]
