"""Shopify fulfillment holds on waiting lines: release each one (by its own hold id, never every hold
on the fulfillment order) once its line no longer waits.

A line stops waiting when it is drop-shipped (connector/dropship/fulfillment.py releases the hold
right before the fulfillment), when arriving stock is set aside for it (``allocated``, connector/restock:
jobs.restock.release_allocated_holds runs right after the allocation's commit), when re-evaluation finds
it not short after all (``withdrawn``), or when it is closed as ``fulfilled``. ``release_settled_holds``
also runs with every routing pass (jobs.dropship.route_dropship), which retries a release that failed.
"""

from __future__ import annotations

import logging

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError
from connector.dropship.repository import DropshipRepository
from connector.ports import StoreFulfillment

log = logging.getLogger(__name__)

SETTLED = ("withdrawn", "fulfilled", "allocated")
"""Backorder states in which a line no longer waits for restock: not short after all, shipped, or
its units set aside from arriving stock (connector/restock; the release says "ready to ship")."""


def release_hold_of(uow: UnitOfWork, store: StoreFulfillment, backorder_id: int) -> int:
    """Release the holds the connector placed on one backorder's line; returns how many."""
    with uow:
        holds = [(h.id, h.fulfillment_order_id, h.hold_id) for h in uow.repo(DropshipRepository).holds_of(backorder_id)]
    return release_holds(uow, store, holds, backorder_id)


def release_holds(uow: UnitOfWork, store: StoreFulfillment, holds: list[tuple[int, str, str | None]],
                  backorder_id: int) -> int:
    """Release each (row id, fulfillment order id, hold id) in the store, then mark its row released;
    returns how many. A store error stops at that hold: the ones before it stay marked released."""
    released = 0
    for row_id, fulfillment_order_id, hold_id in holds:
        if hold_id:
            store.release_hold(fulfillment_order_id, hold_id)
        with uow:
            hold = uow.repo(DropshipRepository).hold(row_id)
            assert hold is not None
            hold.status, hold.released_at = "released", utcnow()
            uow.commit()
        released += 1
        log.info("fulfillment hold released", extra={"backorder_id": backorder_id, "hold_id": hold_id})
    return released


def release_settled_holds(uow: UnitOfWork, store: StoreFulfillment, shop_id: int) -> list[int]:
    """Release the holds of every line of the shop that no longer waits; returns those backorder ids."""
    with uow:
        ids = uow.repo(DropshipRepository).held_backorder_ids(shop_id, SETTLED)
    done = []
    for backorder_id in ids:
        try:
            if release_hold_of(uow, store, backorder_id):
                done.append(backorder_id)
        except ConnectorError as exc:  # retried on the next pass
            log.warning("hold not released", extra={"shop_id": shop_id, "backorder_id": backorder_id,
                                                    "error": str(exc)})
    return done
