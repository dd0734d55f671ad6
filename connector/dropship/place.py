"""Place a drop-ship order with its supplier exactly once, and alert the merchant when one fails.

The idempotency key is stored when the order row is created (connector/dropship/routing.py). Here:
mark ``sending`` and commit, then call the supplier with that key, then store the answer. A crash
between the call and the commit leaves ``sending``: the next run first asks the supplier for the
key (``find``) and records what it finds; only when the supplier never received it is the order
sent again, with the same key (which the supplier also deduplicates on).

Supplier refuses → the order is ``rejected``, the line goes back to waiting (a new routing
decision says why) and the merchant is alerted. Supplier down → ``retry`` with exponential
backoff (``next_attempt_at``), each order on its own job so later lines are not blocked; after
``MAX_ATTEMPTS`` the order is ``failed`` and the merchant alerted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import SupplierRejected, SupplierUnavailable
from connector.domain.routing import Address, DropshipRequest, SupplierOrderStatus
from connector.dropship.models import DropshipAlert, RoutingDecision
from connector.dropship.repository import DropshipRepository
from connector.ports import DropshipSupplier
from connector.shop_settings import get_setting
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0

def backoff_seconds(attempt: int) -> float:
    return min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * (2 ** max(0, attempt - 1)))


def alert(uow: UnitOfWork, shop_id: int, kind: str, dedupe_key: str, message: str) -> bool:
    """Record a merchant alert once per ``dedupe_key``; returns True when it is new. The jobs deliver it
    (``dropship_alerts.deliver_alerts``) by the shop's alert email and Slack webhook."""
    with uow:
        row = DropshipAlert(shop_id=shop_id, kind=kind, dedupe_key=dedupe_key, message=message)
        if not uow.repo(DropshipRepository).add_alert(row):
            return False
        uow.commit()
    log.warning("merchant alert: %s", message, extra={"shop_id": shop_id, "kind": kind})
    return True  # delivered by email / Slack: connector/dropship/alerts.py


@dataclass(frozen=True)
class PlaceResult:
    status: str
    retry_in: float | None = None


def place_order(uow: UnitOfWork, supplier: DropshipSupplier, order_id: int) -> PlaceResult:
    """Place one drop-ship order (idempotent: safe to run again at any point)."""
    with uow:
        row = uow.repo(DropshipRepository).order(order_id)
        if row is None:
            return PlaceResult("missing")
        if row.status not in ("pending", "sending", "retry"):
            return PlaceResult(row.status)
        key, was_sending = row.idempotency_key, row.status == "sending"
        request = DropshipRequest(row.reference, ((row.sku, row.quantity),), Address(**json.loads(row.ship_to)))
        shop_id = row.shop_id
    try:
        found = supplier.find(key) if was_sending and supplier.can_find else None
        if found is not None:
            log.info("drop-ship order found at the supplier after an interrupted call",
                     extra={"dropship_order_id": order_id, "supplier_reference": found.reference})
            return _placed(uow, order_id, found)
        with uow:
            row = uow.repo(DropshipRepository).order(order_id)
            assert row is not None
            row.status, row.attempts = "sending", row.attempts + 1
            uow.commit()
        answer = supplier.place(request, key)
    except SupplierRejected as exc:
        return _rejected(uow, order_id, shop_id, str(exc))
    except SupplierUnavailable as exc:
        return _retry(uow, order_id, shop_id, str(exc))
    return _placed(uow, order_id, answer)


def _placed(uow: UnitOfWork, order_id: int, answer: SupplierOrderStatus) -> PlaceResult:
    if answer.status in ("rejected", "cancelled"):
        with uow:
            row = uow.repo(DropshipRepository).order(order_id)
            assert row is not None
            shop_id = row.shop_id
        return _rejected(uow, order_id, shop_id, answer.reason or f"supplier {answer.status} the order")
    with uow:
        row = uow.repo(DropshipRepository).order(order_id)
        assert row is not None
        row.status, row.supplier_reference = "placed", answer.reference
        row.placed_at, row.last_error, row.next_attempt_at = utcnow(), None, None
        uow.commit()
    log.info("drop-ship order placed", extra={"dropship_order_id": order_id, "supplier_reference": answer.reference})
    return PlaceResult("placed")


def _rejected(uow: UnitOfWork, order_id: int, shop_id: int, reason: str) -> PlaceResult:
    with uow:
        row = uow.repo(DropshipRepository).order(order_id)
        assert row is not None
        row.status, row.last_error = "rejected", reason[:1000]
        backorder = uow.backorders.get(row.backorder_id)
        assert backorder is not None
        reasons = json.dumps([{"code": "supplier_rejected", "text": f"supplier refused: {reason}", "passed": False}])
        uow.repo(DropshipRepository).add(RoutingDecision(
            shop_id=shop_id, backorder_id=row.backorder_id, action="wait", supplier_id=row.supplier_id,
            quantity_dropship=0, quantity_wait=row.quantity, reasons=reasons,
            summary=f"wait: supplier refused the drop-ship order ({reason})"))
        label = f"{row.reference} ({row.quantity} x {row.sku})"
        uow.commit()
    alert(uow, shop_id, "supplier_rejected", f"dropship-rejected-{order_id}",
          f"The supplier refused drop-ship order {label}: {reason}. The line waits for restock again.")
    return PlaceResult("rejected")


def _retry(uow: UnitOfWork, order_id: int, shop_id: int, error: str) -> PlaceResult:
    with uow:
        row = uow.repo(DropshipRepository).order(order_id)
        assert row is not None
        row.last_error = error[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            label = row.reference
            uow.commit()
            alert(uow, shop_id, "supplier_unavailable", f"dropship-failed-{order_id}",
                  f"Drop-ship order {label} could not reach the supplier after {MAX_ATTEMPTS} attempts: {error}")
            return PlaceResult("failed")
        # "retry", not "sending": the supplier certainly has no order (it answered 5xx or never connected).
        # A timeout after the request was sent stays ambiguous; the same key makes the resend safe.
        row.status = "retry"
        delay = backoff_seconds(row.attempts)
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        uow.commit()
    log.warning("supplier unavailable, drop-ship order retried later",
                extra={"dropship_order_id": order_id, "retry_in": delay, "error": error})
    return PlaceResult("retry", delay)


def due_orders(uow: UnitOfWork, shop_id: int) -> list[int]:
    """Orders to (re)place now: pending, interrupted, or retries whose backoff has passed."""
    now = utcnow()
    with uow:
        rows = uow.repo(DropshipRepository).orders(shop_id, ("pending", "sending", "retry"))
        return [r.id for r in rows if r.status != "retry" or r.next_attempt_at is None or r.next_attempt_at <= now]


def list_orders(uow: UnitOfWork, shop_id: int) -> list[dict[str, Any]]:
    with uow:
        rows = uow.repo(DropshipRepository).orders(shop_id)
        return [{"id": r.id, "reference": r.reference, "sku": r.sku, "quantity": r.quantity,
                 "shipped": r.quantity_shipped, "status": r.status, "supplier_reference": r.supplier_reference,
                 "attempts": r.attempts, "last_error": r.last_error} for r in rows]


@dataclass(frozen=True)
class SupplierDropshipSettings:
    """What building a supplier's DropshipSupplier adapter needs (connector/bootstrap.py does that)."""

    name: str
    settings: dict[str, Any]
    secret: Any
    shop_id: int | None = None


@dataclass(frozen=True)
class ShopIdentity:
    """Who a purchase sheet comes from: the shop's name, and where the supplier's replies go."""

    name: str
    """notify.sender_name, else the shop's domain."""
    reply_to: str | None
    """The merchant's support address (notify.support_email), else the shop's contact e-mail as read
    from the store, else the alert address (alerts.email); None when the shop has none of them."""


def shop_identity(uow: UnitOfWork, shop_id: int) -> ShopIdentity:
    """The name and reply address a supplier sees on the shop's drop-ship purchase sheets."""
    with uow:
        shop = uow.shops.get(shop_id)
        domain, contact = (shop.domain, shop.contact_email) if shop is not None else ("", None)
    name = str(get_setting(uow, shop_id, "notify.sender_name") or "").strip() or domain
    reply_to = (get_setting(uow, shop_id, "notify.support_email") or contact
                or get_setting(uow, shop_id, "alerts.email") or None)
    return ShopIdentity(name, reply_to)


def supplier_settings(uow: UnitOfWork, box: CredentialBox, supplier_id: int) -> SupplierDropshipSettings:
    """A supplier row's name, settings (with its ``dropship`` block) and unsealed secret."""
    with uow:
        supplier = uow.repo(SupplyRepository).supplier(supplier_id)
        assert supplier is not None
        settings = json.loads(supplier.settings or "{}")
        secret = box.open_json(supplier.secret) if supplier.secret else None
        return SupplierDropshipSettings(supplier.name, settings, secret, supplier.shop_id)
