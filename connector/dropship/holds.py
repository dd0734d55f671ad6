"""Shopify fulfillment holds on waiting lines: release each one (by its own hold id, never every hold
on the fulfillment order) once its line no longer waits.

A line stops waiting when it is drop-shipped (connector/dropship/fulfillment.py releases the hold
right before the fulfillment), when arriving stock is set aside for it (``allocated``, connector/restock:
jobs.restock.release_allocated_holds runs right after the allocation's commit), when re-evaluation finds
it not short after all (``withdrawn``), or when it is closed as ``fulfilled``. ``release_settled_holds``
also runs with every routing pass (jobs.dropship.route_dropship), which retries a release that failed.

A "ship together" order (the customer's choice at the cart, ``orders.ship_choice``; issue 16) also has
its other lines held (``fulfillment_holds.order_id``, placed by routing next to the waiting line's hold):
those are released once no line of the order waits any more, so the order ships in one go. Without a
choice, or "ready_now", only the waiting lines are held and the rest ships at once.
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
        repo = uow.repo(DropshipRepository)
        holds = [(h.id, h.fulfillment_order_id, h.hold_id) for h in repo.holds_of(backorder_id)]
        backorder = uow.backorders.get(backorder_id)
        order_id = backorder.line.order_id if backorder is not None else None
    released = release_holds(uow, store, holds, backorder_id)
    if order_id is not None:
        released += release_order_holds(uow, store, order_id)
    return released


def release_order_holds(uow: UnitOfWork, store: StoreFulfillment, order_id: int) -> int:
    """Release the whole-order holds of a "ship together" order once none of its lines waits."""
    with uow:
        repo = uow.repo(DropshipRepository)
        if repo.waits(order_id):
            return 0
        holds = [(h.id, h.fulfillment_order_id, h.hold_id, h.backorder_id) for h in repo.order_holds(order_id)]
    released = 0
    for row_id, fulfillment_order_id, hold_id, backorder_id in holds:
        released += release_holds(uow, store, [(row_id, fulfillment_order_id, hold_id)], backorder_id)
    return released


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
        orders = uow.repo(DropshipRepository).held_orders_done_waiting(shop_id)
    done = []
    for order_id in orders:  # "ship together" orders whose last waiting line settled
        try:
            release_order_holds(uow, store, order_id)
        except ConnectorError as exc:  # retried on the next pass
            log.warning("order hold not released", extra={"shop_id": shop_id, "order_id": order_id,
                                                          "error": str(exc)})
    for backorder_id in ids:
        try:
            if release_hold_of(uow, store, backorder_id):
                done.append(backorder_id)
        except ConnectorError as exc:  # retried on the next pass
            log.warning("hold not released", extra={"shop_id": shop_id, "backorder_id": backorder_id,
                                                    "error": str(exc)})
    return done
