"""The sweeper on RQ tells a backlog from a loss: events still waiting behind the queue's head are not
queued a second time, an event whose job never reached Redis is, and after a FLUSHALL everything is.

Real PostgreSQL and a redis-server of the test's own; no worker runs, so the queue only grows.
"""

from __future__ import annotations

import time

import pytest
from redis import Redis

from connector.db.inbox import insert_event
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from jobs.events import PROCESS_EVENT
from jobs.sweep import sweep
from tests.support.rq_container import rq_container


@pytest.fixture
def container(postgres_url, spare_redis):  # type: ignore[no-untyped-def]
    with rq_container(postgres_url, spare_redis) as c:
        yield c


def _store(c, shop_id: int, n: int, *, enqueue: bool) -> int:  # type: ignore[no-untyped-def]
    stored = insert_event(c.engine, shop_id, "orders/create", f"key-{n}", {}, b'{"id": %d}' % n)
    if enqueue:
        c.queue.enqueue(PROCESS_EVENT, stored.event_id)
    return stored.event_id


def _waiting(c) -> int:  # type: ignore[no-untyped-def]
    return int(c.queue.queue.count)


def test_a_backlog_is_not_queued_again_but_a_lost_event_and_a_flushed_queue_are(container) -> None:
    c = container
    shop = add_shop(c.uow(), c.box, Platform.SHOPIFY, "sweep.myshopify.com", ShopCredentials(access_token="t"))
    lost = _store(c, shop.id, 0, enqueue=False)  # stored, then the process died before the enqueue
    time.sleep(1.2)
    backlog = [_store(c, shop.id, n, enqueue=True) for n in range(1, 6)]
    time.sleep(1.2)  # every event is now older than a zero grace period

    assert sweep(grace_seconds=0) == 1  # only the lost one: the rest wait behind the queue's head
    assert _waiting(c) == len(backlog) + 1
    head = c.queue.oldest_waiting_at()
    assert head is not None and head.tzinfo is not None

    Redis.from_url(c.settings.redis_url).flushall()  # Redis lost everything: nothing is waiting now
    assert c.queue.oldest_waiting_at() is None
    assert sweep(grace_seconds=0) == len(backlog) + 1
    queued = sorted(int(job.args[1]) for job in c.queue.queue.jobs)
    assert queued == sorted([lost, *backlog])
