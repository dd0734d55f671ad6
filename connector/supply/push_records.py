"""Finished supplier pushes (table ``supplier_pushes``), deleted by the hourly retention job
(connector/privacy/retention.py) a bounded batch at a time, like the store webhooks' inbox.

A row is needed while it waits or runs (pending, processing) and, once finished, while its event id
must still be refused as a duplicate. A push older than five minutes is refused on its signed
``sent_at`` anyway (connector/supply/push.py), so keeping finished rows for
``retention.webhook_events_days`` (the store inbox's horizon) is ample; pending and processing rows are
never deleted, however old.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.db.repositories import BATCH_ROWS, MAX_BATCHES, delete_in_batches
from connector.supply.models import SupplierPush

FINISHED_PUSH_STATUSES = ("done", "failed")


def prune_finished_pushes(engine: Engine, before: datetime, *, batch_rows: int | None = None,
                          max_batches: int | None = None) -> tuple[int, bool]:
    """Delete pushes finished before ``before``: (rows deleted, more left)."""
    ids = (select(SupplierPush.id)
           .where(SupplierPush.status.in_(FINISHED_PUSH_STATUSES), SupplierPush.processed_at < before)
           .order_by(SupplierPush.id))
    return delete_in_batches(engine, SupplierPush, ids, batch_rows or BATCH_ROWS, max_batches or MAX_BATCHES)
