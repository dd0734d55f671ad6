"""Install records kept only for a while: Shopify OAuth states and WooCommerce pending connects.

Once expired or used (a replayed state or user_id is refused either way) they are deleted, a bounded
batch at a time (``delete_in_batches``): by the hourly retention job (connector/privacy/retention.py)
and by `connector shops purge-expired` (connector/install/health.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from connector.db.repositories import BATCH_ROWS, MAX_BATCHES, delete_in_batches
from connector.install.models import OAuthState, PendingConnect


def prune_install_records(engine: Engine, before: datetime, *, batch_rows: int | None = None,
                          max_batches: int | None = None) -> dict[str, tuple[int, bool]]:
    """Delete OAuth states and pending connects that expired or were used before ``before``:
    {table: (rows deleted, more left)}."""
    batch_rows, max_batches = batch_rows or BATCH_ROWS, max_batches or MAX_BATCHES
    found: dict[str, tuple[int, bool]] = {}
    for model in (OAuthState, PendingConnect):
        condition = or_(model.expires_at < before, model.used_at < before)
        ids = select(model.id).where(condition).order_by(model.id)
        found[model.__tablename__] = delete_in_batches(engine, model, ids, batch_rows, max_batches)
    return found
