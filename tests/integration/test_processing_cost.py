"""What issue 17's processing-cost cuts rely on, on SQLite and PostgreSQL: the claim that returns the
work item, single-statement units of work, the re-entrant shop lock; and RQ's timeout and job
isolation kept by the connector's worker (adapters/queue/rq_queue.py ConnectorWorker) on a real Redis."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue
from rq.job import JobStatus
from sqlalchemy import text

from adapters.queue.rq_queue import ConnectorWorker
from connector.db.inbox import store_event
from connector.db.uow import ShopLocks


def test_the_claim_returns_what_processing_needs_once_and_again_after_the_lease(uow, shop_id):
    stored = store_event(uow, shop_id, "orders/create", "k", {}, b'{"id": 1}')
    lease = datetime.now(UTC) - timedelta(minutes=5)
    with uow.single():
        work = uow.events.claim_work(stored.event_id, lease)
        uow.commit()
    assert work is not None
    assert work[:4] == (shop_id, "shopify", "active", "orders/create")
    assert bytes(work[4]) == b'{"id": 1}' and work[5] == 1
    with uow.single():
        assert uow.events.claim_work(stored.event_id, lease) is None  # being processed
    with uow.single():
        again = uow.events.claim_work(stored.event_id, datetime.now(UTC) + timedelta(seconds=1))
        uow.commit()
    assert again is not None and again[5] == 2  # the lease ran out: taken over, a second attempt


def test_a_single_statement_unit_commits_on_its_own_only_on_postgresql(uow, engine, shop_id):
    with uow.single():
        uow.session.execute(text("UPDATE shops SET status = 'paused' WHERE id = :id"), {"id": shop_id})
        # left without commit(): on PostgreSQL the statement has committed already (autocommit)
    with engine.connect() as connection:
        status = connection.execute(text("SELECT status FROM shops WHERE id = :id"), {"id": shop_id}).scalar_one()
    assert status == ("paused" if engine.dialect.name == "postgresql" else "active")
    with uow:  # the next unit of work is an ordinary transaction again
        uow.session.execute(text("UPDATE shops SET status = 'gone' WHERE id = :id"), {"id": shop_id})
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM shops WHERE id = :id"),
                                  {"id": shop_id}).scalar_one() != "gone"


def test_the_shop_lock_is_reentrant_in_a_thread_and_keeps_other_threads_out(engine):
    locks = ShopLocks()
    entered = threading.Event()
    order: list[str] = []

    def other() -> None:
        with locks.hold(engine, 7):
            order.append("other")
            entered.set()

    with locks.hold(engine, 7):
        with locks.hold(engine, 7):  # the same thread again: no deadlock
            order.append("inner")
            thread = threading.Thread(target=other)
            thread.start()
            assert not entered.wait(0.3)  # the other thread waits for the outer hold
        assert not entered.wait(0.3)  # still held after the inner hold ended
        order.append("outer")
    assert entered.wait(10)
    thread.join()
    assert order == ["inner", "outer", "other"]


def test_the_connectors_worker_still_stops_a_job_past_its_timeout_and_runs_the_next(spare_redis):
    redis = Redis.from_url(spare_redis)
    queue = Queue("cost-test", connection=redis)
    slow = queue.enqueue(time.sleep, 5, job_timeout=1)
    quick = queue.enqueue(len, "four", result_ttl=60)
    started = time.monotonic()
    ConnectorWorker([queue], connection=redis).work(burst=True)
    assert time.monotonic() - started < 4  # the death penalty cut the sleep short
    assert slow.get_status(refresh=True) == JobStatus.FAILED
    assert "JobTimeoutException" in (slow.latest_result().exc_string or "")
    assert quick.get_status(refresh=True) == JobStatus.FINISHED and quick.return_value() == 4


def test_the_connectors_worker_sends_a_plain_heartbeat_at_most_every_few_seconds(spare_redis):
    redis = Redis.from_url(spare_redis)
    worker = ConnectorWorker([Queue("cost-test", connection=redis)], connection=redis)
    worker.register_birth()
    try:
        worker.heartbeat()
        assert redis.hget(worker.key, "last_heartbeat") is not None
        assert redis.ttl(worker.key) > 400  # worker_ttl + 60
        redis.hdel(worker.key, "last_heartbeat")
        worker.heartbeat()  # within HEARTBEAT_SECONDS: not sent
        assert redis.hget(worker.key, "last_heartbeat") is None
        worker.heartbeat(30)  # an explicit timeout always goes out
        assert redis.hget(worker.key, "last_heartbeat") is not None and redis.ttl(worker.key) <= 30
        redis.hdel(worker.key, "last_heartbeat")
        worker._last_beat -= ConnectorWorker.HEARTBEAT_SECONDS
        worker.heartbeat()  # due again
        assert redis.hget(worker.key, "last_heartbeat") is not None
    finally:
        worker.register_death()
