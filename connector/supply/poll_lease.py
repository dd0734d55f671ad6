"""One poll of a supplier at a time: a lease on the supplier's row.

A poll (scheduled, asked for by the supplier's push, or run by hand) and a pushed batch of rows both
claim ``suppliers.poll_lease_until`` with one conditional UPDATE (which also sets ``last_polled_at``),
so two never read and write one supplier's stock at once, across threads, processes and hosts, on
SQLite and PostgreSQL alike. The holder clears it when it ends (in the transaction that records the
outcome); a worker that died leaves a lease that runs out after POLL_LEASE_SECONDS.
"""

from __future__ import annotations

import time
from datetime import timedelta

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import InvalidPayload
from connector.supply.repository import SupplyRepository

POLL_LEASE_SECONDS = 900
"""The longest a poll may hold its supplier: past it, a poll whose worker died no longer blocks the next.
Longer than any poll takes (a million-row feed: a few minutes)."""
WAIT_STEP_SECONDS = 0.2


def claim(uow: UnitOfWork, supplier_id: int, *, wait_seconds: float = 0.0,
          lease_seconds: float = POLL_LEASE_SECONDS) -> int | None:
    """Take the supplier's lease (and set ``last_polled_at``); returns its shop id, or None when another
    poll still holds it after ``wait_seconds``. InvalidPayload for an unknown supplier."""
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        now = utcnow()
        with uow:
            repo = uow.repo(SupplyRepository)
            shop_id = repo.claim_poll(supplier_id, now, now + timedelta(seconds=lease_seconds))
            uow.commit()
        if shop_id is not None:
            return shop_id
        if not _exists(uow, supplier_id):
            raise InvalidPayload(f"no supplier with id {supplier_id}")
        if time.monotonic() >= deadline:
            return None
        time.sleep(WAIT_STEP_SECONDS)


def _exists(uow: UnitOfWork, supplier_id: int) -> bool:
    with uow:
        return uow.repo(SupplyRepository).supplier(supplier_id) is not None


def release_unchanged(uow: UnitOfWork, supplier_id: int) -> None:
    """End a poll that found nothing changed: the lease goes, the supplier counts as read now (one row
    written, nothing else)."""
    with uow:
        uow.repo(SupplyRepository).end_unchanged_poll(supplier_id, utcnow())
        uow.commit()


def release(uow: UnitOfWork, supplier_id: int) -> None:
    with uow:
        uow.repo(SupplyRepository).release_poll(supplier_id)
        uow.commit()
