"""A store answering ``Retry-After: 86400`` does not make a worker sleep a day (issue 11, item 2).

The transport sleeps on Retry-After only up to its cap (60 s by default) and raises
PlatformThrottled(retry_after=N) past it; the job machinery then reschedules the work N seconds
later: a recorded job run (connector/db/job_runs.py, both queues) and a webhook event
(connector/events.py). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from adapters.http import HttpRetry, HttpTransport
from adapters.queue.inline import InlineQueue
from adapters.woocommerce import WooCommerceClient
from connector.bootstrap import Container, bootstrap, ledger_executor
from connector.config import Settings
from connector.crypto import generate_key
from connector.db import job_runs as runs
from connector.db.models_jobs import JobRun
from connector.domain.clock import utcnow
from connector.domain.errors import PlatformThrottled
from connector.events import process_event
from connector.ports import RunRescheduled
from sandbox.serve import ServerHandle
from sandbox.woocommerce_sim import WooCommerceSimulator
from tests.support.builders import OrderBuilder
from tests.support.job_runs_support import EMAIL_EXPORT
from tests.support.webapp import make_webapp

STORE, KEY, SECRET = "https://woo.example", "ck_slow", "cs_slow"
DAY = 86400


@pytest.fixture
def sim() -> WooCommerceSimulator:
    return WooCommerceSimulator({"stores": [{"store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET,
                                             "webhook_secret": "w", "webhook_id": 7, "products": []}]})



@pytest.fixture
def client(server: ServerHandle, sleeps: list[float]) -> WooCommerceClient:
    transport = HttpTransport(timeout=5, retry=HttpRetry(max_attempts=3, base_delay=0.01, max_retry_after=60),
                              sleep=sleeps.append, name="woocommerce", session=requests.Session())
    return WooCommerceClient(STORE, KEY, SECRET, api_base=server.url, transport=transport)


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    c = bootstrap(Settings(database_url=database_url, secret_key=generate_key(), worker_threads=1,
                           log_level="WARNING", event_lease_seconds=5),
                  auto_upgrade=True)
    yield c
    c.close()


class RecordingQueue:
    def __init__(self) -> None:
        self.pushed: list[tuple[int, float]] = []

    def push_run(self, run_id: int, job: str, args: tuple[Any, ...], delay_seconds: float = 0.0) -> None:
        self.pushed.append((run_id, delay_seconds))


def run_row(c: Container, run_id: int) -> JobRun:
    with c.uow() as uow:
        assert uow.session is not None
        row = uow.session.get(JobRun, run_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def test_a_job_run_throttled_for_a_day_is_rescheduled_a_day_later_without_sleeping(
        container: Container, sim: WooCommerceSimulator, client: WooCommerceClient, sleeps: list[float]) -> None:
    run_id = runs.enqueue_run(container.engine, RecordingQueue(), EMAIL_EXPORT, [1])
    assert run_id is not None
    sim.inject_failures(1, status=429, retry_after=DAY)

    with pytest.raises(RunRescheduled) as raised:
        runs.execute(container.engine, run_id, lambda: client.get("orders"), lease=timedelta(seconds=5),
                     retry_in=lambda starts: 10.0)

    assert raised.value.delay == DAY and sleeps == []
    row = run_row(container, run_id)
    assert row.status == "pending" and row.attempts == 0  # a throttle is not the job's failure
    due_in = (row.due_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)).total_seconds()
    assert DAY - 60 < due_in <= DAY and "PlatformThrottled" in (row.last_error or "")


def test_the_embedded_queue_delivers_a_throttled_run_again_after_the_wait(
        container: Container, sim: WooCommerceSimulator, client: WooCommerceClient, sleeps: list[float],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.queue.inline as inline
    from jobs import runtime

    ran: list[str] = []

    def job(*args: Any) -> None:  # the job body: one call to a store that asks to wait a day
        ran.append("started")
        client.get("orders")

    monkeypatch.setattr(inline, "resolve_job", lambda name: job)
    queue = InlineQueue(threads=1, run_recorded=ledger_executor(container.engine, timedelta(seconds=5))).start()
    container.queue = queue
    runtime.bind(container)
    sim.inject_failures(1, status=429, retry_after=DAY)
    run_id = runs.enqueue_run(container.engine, queue, EMAIL_EXPORT, [1])
    assert run_id is not None
    deadline = time.monotonic() + 10
    while not queue._delayed and time.monotonic() < deadline:
        time.sleep(0.02)

    [(due, _, _, _, delayed_run)] = queue._delayed
    assert delayed_run == run_id and DAY - 60 < due - time.monotonic() <= DAY
    assert ran == ["started"] and sleeps == [] and queue.is_live(run_id)
    assert run_row(container, run_id).status == "pending"


def test_a_webhook_event_throttled_for_a_day_is_retried_a_day_later(database_url: str) -> None:
    web = make_webapp(database_url)
    try:
        snapshot = OrderBuilder("1").line("V1", 1).build()

        def throttled(payload: Any) -> Any:
            raise PlatformThrottled("woocommerce: GET /orders/1 answered 429 with Retry-After 86400s",
                                    retry_after=DAY)

        web.platform.parse_order = throttled
        response = web.post_shopify({"id": int(snapshot.order_id)}, topic="orders/create", event_id="e-1")
        event_id = response.json["event_id"]

        outcome = process_event(web.container.uow(), web.container.platform_for, event_id, max_attempts=3)

        assert outcome.status == "retry" and outcome.retry_in == DAY
    finally:
        web.container.close()


def test_on_rq_a_throttled_run_is_scheduled_a_day_later_not_retried_now(
        postgres_url: str, spare_redis: str, sim: WooCommerceSimulator, client: WooCommerceClient,
        sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.queue.rq_queue as rq_queue
    from adapters.queue.rq_queue import RQQueue, run_worker

    c = bootstrap(Settings(database_url=postgres_url, redis_url=spare_redis, secret_key=generate_key(),
                           log_level="WARNING", event_lease_seconds=5), queue=RQQueue(spare_redis), auto_upgrade=True)
    try:
        monkeypatch.setattr(rq_queue, "run_job", lambda job, *args: client.get("orders"))  # the job's one call
        sim.inject_failures(1, status=429, retry_after=DAY)
        run_id = runs.enqueue_run(c.engine, c.queue, EMAIL_EXPORT, [1])
        assert run_id is not None

        run_worker(spare_redis, burst=True)

        row = run_row(c, run_id)
        assert (row.status, row.attempts) == ("pending", 0) and sleeps == []
        registry = c.queue.queue.scheduled_job_registry
        [scheduled] = registry.get_job_ids()
        assert scheduled.startswith(f"jobrun-{run_id}-")
        due_in = registry.get_scheduled_time(scheduled).timestamp() - time.time()
        # a day away, not now; ten minutes of slack for a wall clock that a paused VM's resume may step forward
        assert DAY - 600 < due_in <= DAY
        assert not c.queue.queue.failed_job_registry.get_job_ids()  # not an RQ failure: no early retry
    finally:
        c.close()
