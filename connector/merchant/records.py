"""Spent nonces of signed app links and requests (table ``app_links``), deleted by the hourly retention job
(connector/privacy/retention.py) a bounded batch at a time, like the install records.

A row is only needed while its link or request could still be accepted: until ``expires_at`` (set when
the nonce is recorded to cover the whole window in which its signature is accepted). Past that a replay
fails on its expiry anyway, so a row that expired before the retention grace is deleted, used or not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.db.repositories import BATCH_ROWS, MAX_BATCHES, delete_in_batches
from connector.merchant.models import AppLink


def prune_spent_links(engine: Engine, before: datetime, *, batch_rows: int | None = None,
                      max_batches: int | None = None) -> tuple[int, bool]:
    """Delete app link nonces that expired before ``before``: (rows deleted, more left)."""
    ids = select(AppLink.id).where(AppLink.expires_at < before).order_by(AppLink.id)
    return delete_in_batches(engine, AppLink, ids, batch_rows or BATCH_ROWS, max_batches or MAX_BATCHES)
