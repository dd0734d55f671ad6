"""Consolation discount codes: at most one per order, created in the store once.

The code row (unique per order, idempotency key) is committed before the store call. If the
process dies after the store created the code but before the row says so, the rerun sends the
same code again and the adapter treats "already exists" as success, so the store never gets two.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, TransientError
from connector.notify.models import DiscountCode
from connector.notify.repository import NotifyRepository
from connector.notify.settings import ShopNotifySettings

if TYPE_CHECKING:
    from connector.notify.evaluate import Notifier

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GIVE_UP_AFTER = timedelta(days=1)
"""A code the store keeps refusing transiently for this long is dropped (the apology goes without)."""


def new_code() -> str:
    return "SORRY-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def reserve_code(uow: UnitOfWork, shop_id: int, backorder: Backorder, shop: ShopNotifySettings) -> DiscountCode:
    order = backorder.line.order
    row = DiscountCode(shop_id=shop_id, order_id=order.id, backorder_id=backorder.id,
                       idempotency_key=f"consolation-{shop_id}-{order.id}", code=new_code(),
                       kind=shop.consolation_type, amount=shop.consolation_amount, status="reserved")
    notes = uow.repo(NotifyRepository)
    notes.add(row)
    notes.flush()
    log.info("consolation code reserved", extra={"shop_id": shop_id, "order_id": order.id})
    return row


def create_reserved_codes(notifier: Notifier, shop_id: int, shop: ShopNotifySettings) -> int:
    """Create every reserved code in the store; return how many were created now."""
    with notifier.uow() as uow:
        pending = [(c.id, c.code, c.kind, float(c.amount) if c.amount is not None else None, c.idempotency_key,
                    c.created_at, o.customer_email, o.name, o.platform_order_id)
                   for c, o in uow.repo(NotifyRepository).reserved_codes(shop_id)]
    created = 0
    for code_id, code, kind, amount, key, reserved_at, email, order_name, order_id in pending:
        status, platform_id, error = "created", None, None
        try:
            if not email:
                raise ConnectorError("the order has no customer email to restrict the code to")
            platform_id = notifier.order_admin(shop_id).create_discount(
                code, kind=kind, amount=amount, customer_email=email, title=f"Backorder apology {order_name}",
                ends_at=utcnow() + timedelta(days=shop.consolation_valid_days), idempotency_key=key,
                order_id=order_id)
        except TransientError as exc:
            if utcnow() - reserved_at < GIVE_UP_AFTER:
                log.warning("consolation code not created yet", extra={"shop_id": shop_id, "error": str(exc)})
                continue
            status, error = "failed", str(exc)
        except ConnectorError as exc:
            status, error = "failed", str(exc)
        uow = notifier.uow()
        with uow:
            row = uow.repo(NotifyRepository).code(code_id)
            assert row is not None
            row.status, row.platform_id, row.error = status, platform_id, error
            uow.commit()
        created += status == "created"
        log.info("consolation code %s", status, extra={"shop_id": shop_id, "code_id": code_id, "error": error})
    return created
