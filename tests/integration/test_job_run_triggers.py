"""Who started a run (job_runs.trigger) and what the Jobs page says about it, SQLite and PostgreSQL: run now,
the command line, a follow-up asked for inside a run, a store event; processing one webhook event records no run
of its own; a supplier's cron schedule gives its exact next poll; errors in plain words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.db import job_runs
from connector.db.models_jobs import JobRun
from connector.merchant.run_words import plain_error, started_by
from jobs import merchant, runtime, supply
from jobs.events import PROCESS_EVENT
from jobs.merchant_schedules import planned
from tests.support.webapp import WebApp, make_webapp


@pytest.fixture
def web(database_url: str) -> Any:
    made = make_webapp(database_url)
    yield made
    made.container.close()


def rows(web: WebApp) -> list[JobRun]:
    with web.container.uow() as uow:
        assert uow.session is not None
        found = list(uow.session.scalars(select(JobRun).order_by(JobRun.id)))
        uow.session.expunge_all()
        return found


def test_run_now_the_cli_a_follow_up_and_a_store_event_each_say_who_started_the_run(web: WebApp):
    c = web.container
    (now_id,) = merchant.run_now(c, web.shop_id, "sync-marks")
    (cli_id,) = merchant.run_now(c, web.shop_id, "reconcile", trigger=job_runs.CLI)

    def poll_that_asks_for_a_refresh() -> None:
        runtime.enqueue_run(c, supply.refresh_dates, web.shop_id, shop_id=web.shop_id)
        runtime.enqueue(c, supply.sync_catalog, web.shop_id)  # a listed job through the plain path: recorded too

    job_runs.execute(c.engine, now_id, poll_that_asks_for_a_refresh, lease=timedelta(seconds=30),
                     retry_in=lambda _n: None)
    with job_runs.started_by(job_runs.WEBHOOK):
        runtime.enqueue_run(c, supply.publish_dates, web.shop_id, shop_id=web.shop_id)
    runtime.enqueue(c, supply.sync_catalog, web.store_id)  # outside any run: the clock
    triggers = {(r.job, r.shop_id): r.trigger for r in rows(web)}
    assert triggers == {
        ("jobs.shops.sync_marks", web.shop_id): "run now",
        ("jobs.shops.reconcile", web.shop_id): "cli",
        ("jobs.supply.refresh_dates", web.shop_id): "after jobs.shops.sync_marks",
        ("jobs.supply.sync_catalog", web.shop_id): "after jobs.shops.sync_marks",
        ("jobs.supply.publish_dates", web.shop_id): "webhook",
        ("jobs.supply.sync_catalog", web.store_id): "schedule",
    }
    assert job_runs.current_trigger() is None  # nothing leaks out of a run or a block
    labels = {kind.refs[0]: kind.label for kind in merchant.Launcher(c).kinds("shopify")}
    assert started_by("after jobs.shops.sync_marks", labels) == "After mark orders in the store"
    assert started_by(None, labels) == "The connector, after a change"
    assert cli_id != now_id


def test_a_follow_up_never_joins_a_scheduled_run_waiting_for_its_spread(web: WebApp):
    c = web.container
    runtime.enqueue(c, supply.sync_catalog, web.shop_id, delay_seconds=600)  # the clock's, spread 10 minutes
    runtime.enqueue(c, supply.sync_catalog, web.shop_id, delay_seconds=600)  # the next tick joins it
    with job_runs.started_by(f"{job_runs.AFTER}jobs.supply.poll_supplier"):
        runtime.enqueue(c, supply.sync_catalog, web.shop_id)  # a follow-up: a run of its own, due now
    found = [(r.trigger, r.due_at > r.enqueued_at + timedelta(seconds=500)) for r in rows(web)]
    assert found == [("schedule", True), ("after jobs.supply.poll_supplier", False)]


def test_processing_a_webhook_event_is_not_a_listed_job_and_writes_no_run(web: WebApp):
    assert PROCESS_EVENT not in merchant.LISTED
    runtime.enqueue(web.container, PROCESS_EVENT, 12345)
    assert rows(web) == [] and web.queue.jobs[-1][0] == PROCESS_EVENT


def test_a_bad_trigger_is_refused_with_its_value(web: WebApp):
    with pytest.raises(ValueError, match="trigger"):
        merchant.run_now(web.container, web.shop_id, "reconcile", trigger="")
    with pytest.raises(ValueError, match="trigger"):
        with job_runs.started_by("x" * 201):
            pass


def supplier(web: WebApp, shop_id: int, name: str, tmp_path: Any, **schedule: Any) -> int:
    from connector.supply.suppliers import add_supplier

    feed = tmp_path / f"{name}.csv"
    feed.write_text("sku,qty\nA,1\n")
    settings: dict[str, Any] = {"source": str(feed), "mapping": {"quantity": "qty"}}
    if schedule:
        settings["schedule"] = schedule
    return add_supplier(web.container.uow(), web.container.box, shop_id, {"name": name, "kind": "feed",
                                                                         "settings": settings},
                        clients=web.container.supplier_client)


def test_a_suppliers_cron_schedule_gives_its_exact_next_poll_and_one_without_says_so(web: WebApp, tmp_path):
    supplier(web, web.shop_id, "Acme", tmp_path, cron="30 4 * * *")
    supplier(web, web.shop_id, "Bolt", tmp_path)
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    plans = {plan.subject: plan for plan in planned(web.container, web.shop_id, "shopify", now)["poll-suppliers"]}
    assert plans["Acme"].exact and plans["Acme"].next_at == datetime(2026, 12, 4, 4, 30, tzinfo=UTC)
    assert plans["Bolt"].next_at is None and "polled when you ask" in plans["Bolt"].schedule
    plans_all = planned(web.container, web.shop_id, "shopify", now)
    assert "drop-shipping is off" in plans_all["route-dropship"][0].schedule
    assert set(plans_all) == {kind.name for kind in merchant.Launcher(web.container).kinds("shopify")}


def test_a_scheduled_poll_is_recorded_for_the_suppliers_shop(web: WebApp, tmp_path):
    from apscheduler.schedulers.background import BackgroundScheduler

    supplier_id = supplier(web, web.store_id, "Acme", tmp_path, interval_minutes=60)
    scheduler = BackgroundScheduler(timezone="UTC")
    assert supply.sync_supplier_schedules(scheduler, web.container) == 1
    job = scheduler.get_job(f"supplier-{supplier_id}")
    job.func(*job.args, **job.kwargs)  # what the clock does when it fires
    (run,) = rows(web)
    assert (run.job, run.args, run.shop_id, run.trigger) == (supply.POLL_SUPPLIER, [supplier_id], web.store_id,
                                                             "schedule")


@pytest.mark.parametrize(("stored", "words"), [
    ("PlatformAuthError: 401 Unauthorized", "refused the connector's access"),
    ("SupplierFeedInvalid: row 3: bad quantity", "could not read"),
    ("HostKeyChanged: key differs", "different host key"),
    ("DeliveryUnavailable: connection refused", "mail server could not be reached"),
    ("PermanentError: nope", "trying again will not help"),
    ("JobTimeoutException: Task exceeded maximum timeout value (600 seconds)", "ran out of time"),
    ("KeyError: 'x'", "Something went wrong inside the connector"),
    ("RuntimeError: boom [given up: started 7 times without finishing]", "started 7 times and never finished"),
])
def test_errors_are_said_in_plain_words(stored: str, words: str):
    assert words in (plain_error(stored) or "")
    assert plain_error(None) is None
