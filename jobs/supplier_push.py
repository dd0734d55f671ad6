"""Process one supplier push (connector/supply/push.py): poll the supplier now, or store the pushed rows.

Either way the chain after it is a poll's: changed rows -> refresh_dates -> publish_dates (product
pages). The push is claimed first, so a second delivery of the job does nothing.
"""

from __future__ import annotations

import logging

from connector.domain.errors import TransientError
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from connector.shop_settings import get_setting
from connector.supply import push as push_service
from connector.supply.first_poll import CataloguePending
from jobs import runtime, supply

log = logging.getLogger(__name__)

WAIT_SECONDS = 60.0
"""How long a push waits for a poll of its supplier that is already running (it may have read the source
before the change; the push's own poll or rows follow it)."""


class SupplierBusy(TransientError):
    """Another poll of the supplier held it for longer than WAIT_SECONDS: the job runs again later."""


@retry_policy(RetryPolicy(retries=5, intervals=(10, 30, 60, 300, 900), timeout=900))
def process_supplier_push(push_id: int) -> str:
    c = runtime.container()
    push = push_service.claim(c.uow(), push_id)
    if push is None:
        return "skipped"
    try:
        if push.kind == "changed":
            status = supply.poll_supplier(push.supplier_id, wait_seconds=WAIT_SECONDS)
            error = None
        else:
            report = push_service.store_rows(c.uow(), c.box, push, clients=c.supplier_client,
                                             wait_seconds=WAIT_SECONDS, catalogue=c.catalog_for)
            status, error = report.status, report.error
            if status == "ok" and report.rows_changed:
                runtime.enqueue_run(c, supply.refresh_dates, push.shop_id, report.snapshot_id, shop_id=push.shop_id,
                                    coalesce=True)
            if status == "ok" and get_setting(c.uow(), push.shop_id, "restock.ship_from_supplier_stock"):
                from jobs.restock import allocate_supplier_stock

                runtime.enqueue_run(c, allocate_supplier_stock, push.supplier_id, report.snapshot_id,
                                    shop_id=push.shop_id)
    except BaseException:
        push_service.finish(c.uow(), push, "pending", "processing interrupted; taken again by the retry")
        raise
    if status == "busy":
        push_service.finish(c.uow(), push, "pending", "another poll of the supplier was running")
        raise SupplierBusy(f"supplier {push.supplier_id}: another poll still running after {WAIT_SECONDS:.0f}s")
    if status == "postponed" and push.kind == "rows":  # the shop's catalogue could not be read: rows kept
        push_service.finish(c.uow(), push, "pending", error)
        raise CataloguePending(f"supplier {push.supplier_id}: {error}")
    push_service.finish(c.uow(), push, "failed" if status == "failed" and push.kind == "rows" else "done", error)
    log.info("supplier push processed", extra={"push_id": push_id, "supplier_id": push.supplier_id,
                                               "kind": push.kind, "status": status})
    return status


PROCESS_SUPPLIER_PUSH = job_ref(process_supplier_push)
