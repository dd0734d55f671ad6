"""Authorisations that lapse while goods still wait: act by the merchant's ``payments.expiry_policy``
(``capture_now``: capture what is left before it lapses; ``alert``: tell the merchant the amount at risk)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError
from connector.dropship.place import alert
from connector.payments.charges import collect
from connector.payments.repository import PaymentsRepository
from connector.payments.rows import Outcome, order_ref, sync
from connector.ports import StorePayments

log = logging.getLogger(__name__)


def watch_expiry(uow: UnitOfWork, store: StorePayments, shop_id: int, *, platform: str, policy: str,
                 lead_hours: float, now: datetime | None = None) -> list[Outcome]:
    """Learn the expiry of authorised orders with waiting goods, then act on those about to lapse."""
    now = now or utcnow()
    with uow:
        unknown = uow.repo(PaymentsRepository).authorised_orders_waiting(shop_id)
    for order_id in unknown:
        try:
            ref = order_ref(uow, order_id)
            sync(uow, ref, store.facts(ref.platform_order_id), platform)
        except ConnectorError as exc:
            log.warning("payment not read", extra={"order_id": order_id, "error": str(exc)})
    with uow:
        due = uow.repo(PaymentsRepository).expiring(shop_id, now + timedelta(hours=lead_hours))
    done = []
    for order_id in due:
        with uow:
            repo = uow.repo(PaymentsRepository)
            row = repo.payment_of(order_id)
            waiting = [b for b in repo.backorders_of(order_id) if b.status in ("open", "allocated")]
            assert row is not None
            at_risk, currency, expires, state = row.amount_due, row.currency, row.authorization_expires_at, row.state
        if not waiting or expires is None:
            continue
        ref = order_ref(uow, order_id)
        if policy == "capture_now":
            outcome = collect(uow, store, order_id, platform=platform, manual=True)
        else:
            alert(uow, shop_id, "payment_expiring", f"payment-expiring-{order_id}-{expires}",
                  f"Order {ref.name}: the authorisation of {at_risk} {currency} lapses at {expires:%Y-%m-%d %H:%M} "
                  f"UTC while {len(waiting)} backordered line(s) still wait; capture it now "
                  f"(connector payments capture) or it is lost.")
            outcome = Outcome(order_id, state, "merchant alerted", at_risk)
        with uow:
            found = uow.repo(PaymentsRepository).payment_of(order_id)
            assert found is not None
            found.expiry_handled_at = now
            uow.commit()
        done.append(outcome)
    return done
