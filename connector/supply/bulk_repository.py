"""Storage of bulk publishes (connector/supply/bulk_models.py), reached as ``uow.repo(BulkPublishRepository)``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from connector.db.repositories import Repository
from connector.domain.clock import utcnow
from connector.supply.bulk_models import BulkPublish


@dataclass(frozen=True)
class OpenBulk:
    """An open bulk publish as read (a value: usable after its transaction ends)."""

    id: int
    dates: list[list[str]]
    line_size: int
    staged_path: str | None
    run_asked_at: datetime | None
    operation_id: str | None


def _value(row: BulkPublish) -> OpenBulk:
    return OpenBulk(row.id, list(row.dates), row.line_size, row.staged_path, row.run_asked_at, row.operation_id)


class BulkPublishRepository(Repository):

    def open_of(self, shop_id: int) -> OpenBulk | None:
        """The shop's bulk publish that is not finished (at most one)."""
        row = self.session.scalars(select(BulkPublish).where(BulkPublish.shop_id == shop_id,
                                                             BulkPublish.open.is_(True))).first()
        return _value(row) if row is not None else None

    def start(self, shop_id: int, dates: Sequence[tuple[str, date]], line_size: int) -> OpenBulk:
        """A new open bulk publish (flushed: a second open one of the shop fails the unique constraint)."""
        row = BulkPublish(shop_id=shop_id, status="staging", open=True, line_size=line_size, written=0, failed=0,
                          dates=[[sku, day.isoformat()] for sku, day in dates], created_at=utcnow())
        self.session.add(row)
        self.session.flush()
        return _value(row)

    def get(self, shop_id: int, bulk_id: int) -> BulkPublish:
        row = self.session.get(BulkPublish, bulk_id)
        if row is None or row.shop_id != shop_id:
            raise LookupError(f"no bulk publish {bulk_id} of shop {shop_id}")
        return row

    def set_step(self, shop_id: int, bulk_id: int, **values: object) -> None:
        self.session.execute(update(BulkPublish).where(BulkPublish.id == bulk_id, BulkPublish.shop_id == shop_id)
                             .values(**values))

    def close(self, shop_id: int, bulk_id: int, status: str, *, operation_status: str | None, written: int,
              failed: int, error: str | None, at: datetime) -> None:
        self.set_step(shop_id, bulk_id, status=status, open=None, operation_status=operation_status,
                      written=written, failed=failed, error=error[:2000] if error else None, finished_at=at)

    def operation_ids(self, shop_id: int) -> set[str]:
        """Every bulk operation id recorded for the shop (finished or not)."""
        return {i for i in self.session.scalars(select(BulkPublish.operation_id).where(
            BulkPublish.shop_id == shop_id, BulkPublish.operation_id.is_not(None))) if i}

    def recent(self, shop_id: int, limit: int = 20) -> Sequence[BulkPublish]:
        return self.session.scalars(select(BulkPublish).where(BulkPublish.shop_id == shop_id)
                                    .order_by(BulkPublish.id.desc()).limit(limit)).all()
