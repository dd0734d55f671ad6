"""A supplier polled by the clock every 10 seconds (issue 17 item 3), SQLite and PostgreSQL: the job-run
ledger keeps the newest poll that found nothing changed, not one row per tick; a poll that changed
something and a failed poll stay on the Jobs page's record; other suppliers' polls are left alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connector.db import job_runs
from connector.db.models_jobs import JobRun
from connector.merchant.job_runs import JobRunRepository
from connector.supply.models import StoreSku
from connector.supply.suppliers import add_supplier
from jobs import supply
from tests.support.webapp import WebApp, make_webapp


@pytest.fixture
def web(database_url: str) -> Any:
    made = make_webapp(database_url)
    with made.container.uow() as uow:
        uow.session.add(StoreSku(shop_id=made.shop_id, sku="SKU-1", product_id="1", variant_id="11", available=0))
        uow.commit()
    yield made
    made.container.close()


def feed_supplier(web: WebApp, tmp_path: Path, name: str) -> tuple[int, Path]:
    feed = tmp_path / f"{name}.csv"
    feed.write_text("sku,quantity,restock_date\nSKU-1,0,2030-01-10\n")
    supplier_id = add_supplier(web.container.uow(), web.container.box, web.shop_id, {
        "name": name, "kind": "feed", "settings": {"source": str(feed), "schedule": {"interval_seconds": 10}}},
        clients=web.container.supplier_client)
    return supplier_id, feed


def tick(web: WebApp, supplier_id: int) -> Any:
    """What the clock does for the supplier's schedule, then the worker running the recorded poll."""
    run_id = supply.enqueue_scheduled_poll(web.container, supplier_id, web.shop_id)
    assert run_id is not None
    return job_runs.execute(web.container.engine, run_id, lambda: supply.poll_supplier(supplier_id),
                            lease=timedelta(seconds=30), retry_in=lambda _n: None)


def polls(web: WebApp) -> list[tuple[list[Any], str, Any]]:
    with web.container.uow() as uow:
        return [(run.args, run.status, run.result) for run in uow.session.scalars(
            select(JobRun).where(JobRun.job == supply.POLL_SUPPLIER).order_by(JobRun.id))]


def test_unchanged_scheduled_polls_keep_one_run_and_changes_and_failures_stay(web: WebApp, tmp_path: Path) -> None:
    supplier_id, feed = feed_supplier(web, tmp_path, "acme")
    other_id, _ = feed_supplier(web, tmp_path, "bolt")
    assert tick(web, supplier_id) == "ok"
    assert tick(web, other_id) == "ok"
    for _ in range(5):
        assert tick(web, supplier_id) == "unchanged"
        assert tick(web, other_id) == "unchanged"
    assert polls(web) == [([supplier_id], "done", "ok"), ([other_id], "done", "ok"),
                          ([supplier_id], "done", "unchanged"), ([other_id], "done", "unchanged")]
    feed.write_text("sku,quantity,restock_date\nSKU-1,0,2030-02-01\n")
    assert tick(web, supplier_id) == "ok"  # the unchanged poll before it goes when the next tick comes
    assert tick(web, supplier_id) == "unchanged"
    feed.unlink()
    assert tick(web, supplier_id) == "failed"  # the supplier's failure: on the page, with the alert
    feed.write_text("sku,quantity,restock_date\nSKU-1,0,2030-02-01\n")
    assert tick(web, supplier_id) == "ok"  # read again in full after the failure
    assert tick(web, supplier_id) == "unchanged"
    mine = [result for args, status, result in polls(web) if args == [supplier_id]]
    assert mine == ["ok", "ok", "failed", "ok", "unchanged"]
    with web.container.uow() as uow:  # the Jobs page still finds the schedule's newest run
        last = uow.repo(JobRunRepository).last_scheduled(web.shop_id, supply.POLL_SUPPLIER, [supplier_id])
        assert last is not None and last.trigger == job_runs.SCHEDULE


def test_a_scheduled_run_that_raised_is_never_replaced(web: WebApp) -> None:
    c = web.container

    def ask() -> int | None:
        return job_runs.enqueue_run(c.engine, c.queue, supply.POLL_SUPPLIER, [7], shop_id=web.shop_id,
                                    coalesce=True, trigger=job_runs.SCHEDULE, quiet_result="unchanged")

    def broken() -> str:
        raise RuntimeError("the worker broke")

    first = ask()
    assert first is not None and ask() is None  # a tick while it waits joins it
    with pytest.raises(RuntimeError):
        job_runs.execute(c.engine, first, broken, lease=timedelta(seconds=30), retry_in=lambda _n: None)
    second = ask()
    assert second is not None
    job_runs.execute(c.engine, second, lambda: "unchanged", lease=timedelta(seconds=30), retry_in=lambda _n: None)
    third = ask()
    assert third is not None
    assert [(status, result) for _, status, result in polls(web)] == [("failed", None), ("pending", None)]
