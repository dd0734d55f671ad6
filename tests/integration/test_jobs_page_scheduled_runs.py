"""Scheduled runs on the Jobs page (issue 14 item 3), SQLite and PostgreSQL, a redis-server of the test's own and
a real RQ worker: the clock's shop-jobs tick (the declaration jobs/schedules.py builds) is recorded in the ledger
with trigger "schedule", run by the worker, and shown with its counts, who started it and the next scheduled run;
a tick while the last one waits joins it; a failing scheduled run waits for its retry on the same row, then fails
with its error in plain words beside the stored text; never two rows for one run."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.queue.rq_queue import RQQueue, run_worker
from connector.app import create_app
from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.db.models_jobs import JobRun
from connector.domain.clock import utcnow
from connector.domain.errors import PlatformUnavailable
from connector.domain.model import Platform, ShopCredentials
from connector.job_refs import POLICY_ATTRIBUTE, RetryPolicy
from connector.shops import add_shop
from jobs import shops as shop_jobs
from jobs.schedules import build_scheduler
from jobs.sweep import sweep
from tests.support.builders import T0, OrderBuilder
from tests.support.fakes import FakePlatform
from tests.support.merchant import API_KEY, app_path, session_token
from tests.support.webapp import SHOP, SHOPIFY_SECRET

RECONCILE = "jobs.shops.reconcile"
INTERVAL_MINUTES = 0.02
"""The shop-jobs interval of these tests: each shop's spread stays under a second."""


class DownStore(FakePlatform):
    """A store that does not answer when asked for its orders."""

    def orders_updated_since(self, since: Any) -> Iterator[Any]:
        raise PlatformUnavailable("orders query: 503 Service Unavailable")


class Deployment:
    def __init__(self, database_url: str, redis_url: str, platform: FakePlatform) -> None:
        settings = Settings(database_url=database_url, redis_url=redis_url, secret_key=generate_key(),
                            shopify_api_secret=SHOPIFY_SECRET, shopify_api_key=API_KEY, log_level="WARNING",
                            reconcile_interval_minutes=INTERVAL_MINUTES, allow_private_targets=True,
                            app_url="https://connector.example")
        self.container: Container = bootstrap(settings, queue=RQQueue(redis_url),
                                              platform_factory=lambda access: platform, auto_upgrade=True)
        self.shop_id = add_shop(self.container.uow(), self.container.box, Platform.SHOPIFY, SHOP,
                                ShopCredentials(access_token="t")).id
        self.client = create_app(container=self.container).test_client()

    def tick(self) -> None:
        """What the clock does when its shop-jobs schedule fires (the job build_scheduler declares)."""
        scheduler = build_scheduler(self.container)
        job = scheduler.get_job("shop-jobs")
        job.func(*job.args, **job.kwargs)

    def work(self) -> None:
        time.sleep(INTERVAL_MINUTES * 60 * 0.5 + 0.2)  # past every shop's spread
        run_worker(self.container.settings.redis_url or "", burst=True)

    def runs(self, job: str = RECONCILE) -> list[JobRun]:
        with self.container.uow() as uow:
            assert uow.session is not None
            rows = list(uow.session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))
            uow.session.expunge_all()
            return rows

    def page(self) -> str:
        answer = self.client.get(app_path("/app/jobs", SHOP, session_token(SHOP, SHOPIFY_SECRET)))
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    def section(self, name: str) -> str:
        html = self.page()
        part = html[html.index(f'id="job-{name}"'):]
        return part[:part.index("</section>")]


@pytest.fixture
def deploy(database_url: str, spare_redis: str) -> Iterator[Any]:
    made: list[Deployment] = []

    def make(platform: FakePlatform) -> Deployment:
        made.append(Deployment(database_url, spare_redis, platform))
        return made[-1]

    yield make
    for deployment in made:
        deployment.container.close()


def recent_order(order_id: str) -> Any:
    minutes = (utcnow() - T0).total_seconds() / 60 - 5
    return OrderBuilder(order_id, placed=minutes).line("MUG", 2).build()


def test_a_scheduled_reconciliation_run_by_the_worker_shows_on_the_jobs_page_with_its_counts(deploy):
    store = FakePlatform(stock={"MUG": 0})
    store.orders = [recent_order("1001"), recent_order("1002")]
    d = deploy(store)
    d.tick()
    d.tick()  # the clock ticks again before a worker took the first: it joins the waiting run
    (waiting,) = d.runs()
    assert (waiting.trigger, waiting.status, waiting.shop_id) == ("schedule", "pending", d.shop_id)
    d.work()
    (run,) = d.runs()
    assert (run.status, run.attempts, run.result["seen"]) == ("done", 1, 2)
    section = d.section("reconcile")
    row = re.search(rf'<tr data-run="{run.id}" data-trigger="schedule">(.*?)</tr>', section, re.S)
    assert row is not None, section
    assert "Schedule" in row.group(1) and "seen: 2" in row.group(1) and " s</td>" in row.group(1)
    last = re.search(r"<dd data-last-run>(.*?)</dd>", section, re.S)
    assert last is not None and "schedule" in last.group(1) and "seen: 2" in last.group(1)
    nxt = re.search(r"<dd data-next-run>(.*?)</dd>", section, re.S)
    assert nxt is not None and "about" in nxt.group(1) and "every" in nxt.group(1)
    # the other jobs the tick asks for are listed with their scheduled runs too
    marks = d.section("sync-marks")
    assert 'data-trigger="schedule"' in marks
    d.tick()  # the first has run: the next tick is a run of its own
    assert [r.trigger for r in d.runs()] == ["schedule", "schedule"]


def test_a_failing_scheduled_run_retries_on_its_own_row_and_shows_its_error_in_plain_words(deploy, monkeypatch):
    monkeypatch.setattr(shop_jobs.reconcile, POLICY_ATTRIBUTE, RetryPolicy(retries=1, intervals=(1,), timeout=30))
    d = deploy(DownStore())
    d.tick()
    d.work()
    (first,) = d.runs()
    assert (first.status, first.attempts) == ("pending", 1) and "PlatformUnavailable" in (first.last_error or "")
    section = d.section("reconcile")
    assert "waiting to retry" in section and "The store did not answer" in section
    assert sweep(grace_seconds=0) == 0  # RQ holds the retry: the sweeper queues nothing twice
    time.sleep(1.5)
    run_worker(d.container.settings.redis_url or "", burst=True)
    (failed,) = d.runs()  # the retry ran on the same row
    assert (failed.id, failed.status, failed.attempts, failed.trigger) == (first.id, "failed", 2, "schedule")
    section = d.section("reconcile")
    row = re.search(rf'<tr data-run="{failed.id}" data-trigger="schedule">(.*?)</tr>', section, re.S)
    assert row is not None, section
    assert "The store did not answer (it may be down or slow)" in row.group(1)
    assert "PlatformUnavailable: orders query: 503 Service Unavailable" in row.group(1)  # the details, for support
    assert "2 tries" in row.group(1) and "badge-critical" in row.group(1)
    assert sweep(grace_seconds=0) == 0 and len(d.runs()) == 1


def test_the_next_run_is_estimated_from_the_last_scheduled_one(deploy):
    d = deploy(FakePlatform())
    section = d.section("reconcile")
    assert "the first scheduled run has not been recorded yet" in section
    d.tick()
    (run,) = d.runs()
    due = run.due_at
    section = d.section("reconcile")
    nxt = re.search(r'<dd data-next-run>about <time datetime="([^"]+)">', section)
    assert nxt is not None and nxt.group(1) == due.isoformat()  # the waiting run's own start
    d.work()
    section = d.section("reconcile")
    nxt = re.search(r'<dd data-next-run>about <time datetime="([^"]+)">', section)
    assert nxt is not None
    from datetime import datetime

    estimate = datetime.fromisoformat(nxt.group(1))
    every = timedelta(minutes=INTERVAL_MINUTES)
    assert estimate > utcnow() - timedelta(seconds=1) and (estimate - due) % every < timedelta(milliseconds=1)
