"""Many changed dates at once go to the store as one bulk operation (a BulkDateWriter: Shopify's
``bulkOperationRunMutation``), each step recorded before the next so that a crash never runs the
same mutation twice:

1. a ``bulk_publishes`` row lists the dates, in file order (one open row per shop: one at a time);
2. the file is staged (safe to repeat), its path recorded;
3. ``run_asked_at`` is committed, then the run is asked for, then its operation id is recorded;
4. the operation is polled (or a ``bulk_operations/finish`` webhook wakes the job sooner); once it is
   finished its result file is read: lines that set their dates are published, lines with errors are
   recorded on their SKUs (``publish_error``) like any refused batch, lines it never reached stay
   pending for the next run; the row is closed.

After a crash between 3's commit and the recorded id, the store's bulk mutations created since
``run_asked_at`` (less CLOCK_SKEW) that no row knows are ours; when there is none, the run never
happened and is asked for again.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from connector.db.uow import UnitOfWork
from connector.domain.bulk import BulkBusy, BulkOperation
from connector.domain.clock import utcnow
from connector.domain.errors import PermanentError
from connector.domain.supply import PageDate
from connector.supply.bulk_repository import BulkPublishRepository, OpenBulk
from connector.supply.ports import BulkDateWriter
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(minutes=5)
"""How far the store's clock may be behind ours when looking for a run whose answer was lost."""
POLL_FIRST = 0.1
POLL_MAX = 5.0
"""Seconds between status reads while waiting: doubling from POLL_FIRST up to POLL_MAX."""


@dataclass
class BulkProgress:
    written: int = 0
    failed: int = 0
    operations: int = 0
    """Bulk operations started by this call."""
    waiting: str | None = None
    """The operation still running when the call returned (its id; "busy" when the store ran another)."""
    handled: set[str] = field(default_factory=set)
    """SKUs this call sent in bulk (finished or still running): not to be written again by this run."""


def advance(uow: UnitOfWork, writer: BulkDateWriter, shop_id: int, pending: Sequence[PageDate], threshold: int,
            *, wait_seconds: float = 0.0, sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic) -> BulkProgress:
    """Finish the shop's open bulk publish once the store has; start the next while more than
    ``threshold`` new dates are pending; wait up to ``wait_seconds`` for the running one."""
    progress = BulkProgress()
    deadline = clock() + max(0.0, wait_seconds)
    delay = POLL_FIRST
    while True:
        with uow:
            row = uow.repo(BulkPublishRepository).open_of(shop_id)
        if row is None:
            todo = [d for d in pending if d.day is not None and d.variant_id and d.sku not in progress.handled]
            if len(todo) <= threshold:
                return progress
            row = _start(uow, writer, shop_id, todo[:writer.bulk_max_dates])
            if row is None:  # another publisher of this shop opened one first: follow it
                continue
            progress.operations += 1
        progress.handled.update(sku for sku, _ in row.dates)
        busy = False
        try:
            operation = _operation_of(uow, writer, shop_id, row, progress)
            if operation is None:  # refused for good: the row is closed, its SKUs carry the error
                continue
            if operation.finished:
                _finish(uow, writer, shop_id, row, operation, progress)
                delay = POLL_FIRST
                continue
        except BulkBusy as exc:
            log.info("bulk publish waits: the store runs another bulk mutation",
                     extra={"shop_id": shop_id, "bulk_id": row.id, "detail": str(exc)[:300]})
            operation, busy = None, True
        except PermanentError as exc:  # the operation or its results cannot be read: its dates stay pending
            _close_unread(uow, shop_id, row, str(exc))
            continue
        if clock() >= deadline:
            progress.waiting = "busy" if busy or operation is None else operation.id
            return progress
        sleep(max(0.0, min(delay, deadline - clock())))
        delay = min(delay * 2, POLL_MAX)


def _start(uow: UnitOfWork, writer: BulkDateWriter, shop_id: int, dates: Sequence[PageDate]) -> OpenBulk | None:
    try:
        with uow:
            row = uow.repo(BulkPublishRepository).start(shop_id, [(d.sku, d.day) for d in dates if d.day],
                                                        writer.bulk_line_size)
            uow.commit()
    except IntegrityError:
        return None
    log.info("bulk publish started", extra={"shop_id": shop_id, "bulk_id": row.id, "dates": len(dates)})
    return row


def _page_dates(row: OpenBulk, variants: dict[str, tuple[str, str | None]]) -> list[PageDate]:
    return [PageDate(sku, *variants.get(sku, ("", None)), date.fromisoformat(day)) for sku, day in row.dates]


def _operation_of(uow: UnitOfWork, writer: BulkDateWriter, shop_id: int, row: OpenBulk,
                  progress: BulkProgress) -> BulkOperation | None:
    """The row's operation now, starting it when it certainly never ran; None when it could not be
    started for good (the row is then closed)."""
    repo_step = _stepper(uow, shop_id, row.id)
    if row.operation_id:
        return writer.bulk_operation(row.operation_id)
    if row.run_asked_at is not None:  # a run was asked for and its answer lost: find it before any new one
        with uow:
            known = uow.repo(BulkPublishRepository).operation_ids(shop_id)
        for candidate in writer.bulk_operations_since(row.run_asked_at - CLOCK_SKEW):
            if candidate.id not in known:
                repo_step(operation_id=candidate.id, operation_status=candidate.status, status="running")
                log.warning("bulk publish found its operation after a lost answer",
                            extra={"shop_id": shop_id, "bulk_id": row.id, "operation": candidate.id})
                return candidate
        repo_step(run_asked_at=None)  # it never ran
    try:
        path = row.staged_path
        if not path:
            with uow:
                variants = {sku: (product or "", variant) for sku, _, _, _, product, variant, _, _
                            in uow.repo(SupplyRepository).page_states(shop_id)}
            path = writer.bulk_stage([d for d in _page_dates(row, variants) if d.variant_id])
            repo_step(staged_path=path)
        repo_step(run_asked_at=utcnow())
        try:
            operation = writer.bulk_run(path, f"publish-dates-{shop_id}-{row.id}")
        except BulkBusy:
            repo_step(run_asked_at=None)  # refused: nothing started
            raise
    except PermanentError as exc:
        _close_refused(uow, shop_id, row, str(exc), progress)
        return None
    repo_step(operation_id=operation.id, operation_status=operation.status, status="running")
    log.info("bulk operation running", extra={"shop_id": shop_id, "bulk_id": row.id, "operation": operation.id})
    return operation


def _stepper(uow: UnitOfWork, shop_id: int, bulk_id: int) -> Callable[..., None]:
    def step(**values: object) -> None:
        with uow:
            uow.repo(BulkPublishRepository).set_step(shop_id, bulk_id, **values)
            uow.commit()
    return step


def _close_refused(uow: UnitOfWork, shop_id: int, row: OpenBulk, message: str, progress: BulkProgress) -> None:
    skus = [sku for sku, _ in row.dates]
    with uow:
        uow.repo(SupplyRepository).record_publish_error(shop_id, skus, message)
        uow.repo(BulkPublishRepository).close(shop_id, row.id, "failed", operation_status=None, written=0,
                                              failed=len(skus), error=message, at=utcnow())
        uow.commit()
    progress.failed += len(skus)
    log.error("bulk publish refused", extra={"shop_id": shop_id, "bulk_id": row.id, "skus": len(skus),
                                             "error": message[:500]})


def _close_unread(uow: UnitOfWork, shop_id: int, row: OpenBulk, message: str) -> None:
    with uow:
        uow.repo(BulkPublishRepository).close(shop_id, row.id, "failed", operation_status=None, written=0, failed=0,
                                              error=f"not read: {message}", at=utcnow())
        uow.commit()
    log.error("bulk publish not read; its dates go out again", extra={"shop_id": shop_id, "bulk_id": row.id,
                                                                       "error": message[:500]})


def _finish(uow: UnitOfWork, writer: BulkDateWriter, shop_id: int, row: OpenBulk, operation: BulkOperation,
            progress: BulkProgress) -> None:
    url = operation.url if operation.status == "COMPLETED" else operation.partial_url
    results = writer.bulk_results(url) if url else []
    size = row.line_size
    published: dict[str, date | None] = {}
    errors: dict[str, list[str]] = defaultdict(list)
    for result in results:
        lines = row.dates[result.line * size:(result.line + 1) * size]
        if result.ok:
            published.update((sku, date.fromisoformat(day)) for sku, day in lines)
        else:
            message = f"bulk line {result.line + 1}: " + "; ".join(result.errors)
            errors[message[:2000]].extend(sku for sku, _ in lines)
    failed = sum(len(skus) for skus in errors.values())
    problem = None if operation.status == "COMPLETED" else \
        f"bulk operation {operation.status.lower()}" + (f": {operation.error_code}" if operation.error_code else "")
    with uow:
        supply = uow.repo(SupplyRepository)
        supply.mark_published(shop_id, published, utcnow())
        for message, skus in errors.items():
            supply.record_publish_error(shop_id, skus, message)
        uow.repo(BulkPublishRepository).close(
            shop_id, row.id, "done" if problem is None else "failed", operation_status=operation.status,
            written=len(published), failed=failed, error=problem, at=utcnow())
        uow.commit()
    progress.written += len(published)
    progress.failed += failed
    log.info("bulk publish finished", extra={
        "shop_id": shop_id, "bulk_id": row.id, "operation": operation.id, "status": operation.status,
        "written": len(published), "failed": failed, "not_reached": len(row.dates) - len(published) - failed})
