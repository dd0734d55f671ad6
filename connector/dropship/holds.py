"""Shopify fulfillment holds on waiting lines: release each one (by its own hold id, never every hold
on the fulfillment order) once its line no longer waits.

A line stops waiting when it is drop-shipped (connector/dropship/fulfillment.py releases the hold
right before the fulfillment) or when it is allocated from restock: capture's re-evaluation then
finds the line no longer short and the backorder leaves ``open`` (``withdrawn``), or it is closed
as ``fulfilled``. ``release_settled_holds`` runs with every routing pass (jobs.dropship.route_dropship)
and ``release_hold_of`` can be called by anything that allocates a line.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connector.db.models import Backorder
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError
from connector.dropship.models import FulfillmentHoldRecord
from connector.ports import StoreFulfillment

log = logging.getLogger(__name__)

SETTLED = ("withdrawn", "fulfilled")
"""Backorder states in which a line no longer waits for restock (allocated, or shipped)."""


def release_hold_of(uow: UnitOfWork, store: StoreFulfillment, backorder_id: int) -> int:
    """Release the holds the connector placed on one backorder's line; returns how many."""
    with uow:
        holds = [(h.id, h.fulfillment_order_id, h.hold_id) for h in uow.session.scalars(  # type: ignore[union-attr]
            select(FulfillmentHoldRecord).where(FulfillmentHoldRecord.backorder_id == backorder_id,
                                                FulfillmentHoldRecord.status == "held"))]
    released = 0
    for row_id, fulfillment_order_id, hold_id in holds:
        if hold_id:
            store.release_hold(fulfillment_order_id, hold_id)
        with uow:
            hold = uow.session.get(FulfillmentHoldRecord, row_id)  # type: ignore[union-attr]
            assert hold is not None
            hold.status, hold.released_at = "released", utcnow()
            uow.commit()
        released += 1
        log.info("fulfillment hold released", extra={"backorder_id": backorder_id, "hold_id": hold_id})
    return released


def release_settled_holds(uow: UnitOfWork, store: StoreFulfillment, shop_id: int) -> list[int]:
    """Release the holds of every line of the shop that no longer waits; returns those backorder ids."""
    with uow:
        ids = sorted(set(uow.session.scalars(  # type: ignore[union-attr]
            select(FulfillmentHoldRecord.backorder_id)
            .join(Backorder, Backorder.id == FulfillmentHoldRecord.backorder_id)
            .where(FulfillmentHoldRecord.shop_id == shop_id, FulfillmentHoldRecord.status == "held",
                   Backorder.status.in_(SETTLED)))))
    done = []
    for backorder_id in ids:
        try:
            if release_hold_of(uow, store, backorder_id):
                done.append(backorder_id)
        except ConnectorError as exc:  # retried on the next pass
            log.warning("hold not released", extra={"shop_id": shop_id, "backorder_id": backorder_id,
                                                    "error": str(exc)})
    return done
