"""The supplier inbox's storage (``supplier_pushes``): store a push once, claim it, record its outcome.

Reached with ``uow.repo(PushRepository)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connector.db.repositories import Repository
from connector.supply.models import Supplier, SupplierPush

KEEP_DAYS = 7
"""Finished pushes are kept this long (for the merchant's questions), then deleted."""


class PushRepository(Repository):
    def supplier_by_token(self, token: str) -> Supplier | None:
        return self.session.scalar(select(Supplier).where(Supplier.push_token == token))

    def store(self, shop_id: int, supplier_id: int, event_id: str, kind: str, body: bytes,
              now: datetime) -> tuple[int, bool]:
        """Insert the push unless its event id is known; (push id, whether it is new)."""
        values = {"shop_id": shop_id, "supplier_id": supplier_id, "event_id": event_id, "kind": kind, "body": body,
                  "status": "pending", "attempts": 0, "received_at": now}
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(SupplierPush).values(values).on_conflict_do_nothing(
            index_elements=["supplier_id", "event_id"]).returning(SupplierPush.id)
        created = self.session.execute(statement).scalar()
        if created is not None:
            return int(created), True
        found = self.session.scalar(select(SupplierPush.id).where(SupplierPush.supplier_id == supplier_id,
                                                                  SupplierPush.event_id == event_id))
        assert found is not None
        return int(found), False

    def claim(self, push_id: int, now: datetime, stuck_before: datetime) -> SupplierPush | None:
        """Take a pending push (or one whose worker died) for processing; None when done or taken."""
        result = cast(CursorResult[Any], self.session.execute(
            update(SupplierPush).where(
                SupplierPush.id == push_id,
                (SupplierPush.status == "pending")
                | ((SupplierPush.status == "processing") & (SupplierPush.processed_at < stuck_before)))
            .values(status="processing", attempts=SupplierPush.attempts + 1, processed_at=now)))
        if not result.rowcount:
            return None
        return self.session.get(SupplierPush, push_id, populate_existing=True)

    def finish(self, push_id: int, status: str, error: str | None, now: datetime) -> None:
        self.session.execute(update(SupplierPush).where(SupplierPush.id == push_id).values(
            status=status, error=error[:2000] if error else None, processed_at=now))

    def prune(self, supplier_id: int, now: datetime) -> int:
        result = cast(CursorResult[Any], self.session.execute(delete(SupplierPush).where(
            SupplierPush.supplier_id == supplier_id, SupplierPush.status.in_(("done", "failed")),
            SupplierPush.received_at < now - timedelta(days=KEEP_DAYS))))
        return int(result.rowcount or 0)
