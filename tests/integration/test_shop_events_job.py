"""One queued job a shop, not a job an event (issue 17 item 2): on RQ a webhook's event is taken by the
shop's job already waiting in the queue, if there is one; the job frees its key before it reads the shop's
pending events, so an event stored after that read queues the next job, and it processes them all.
Real PostgreSQL and a redis-server of the test's own; the worker runs in this process."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from adapters.queue.inline import InlineQueue
from adapters.queue.rq_queue import ConnectorWorker
from connector.db.inbox import insert_event
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from jobs import events as event_jobs
from jobs.events import PROCESS_EVENT, PROCESS_SHOP_EVENTS, schedule, shop_key
from jobs.sweep import sweep
from tests.support.rq_container import rq_container

TOPIC = "shop/update"  # stored and finished as "ignored": no store is called


@pytest.fixture
def container(postgres_url, spare_redis):  # type: ignore[no-untyped-def]
    with rq_container(postgres_url, spare_redis) as c:
        yield c


def _shop(c, name: str) -> int:  # type: ignore[no-untyped-def]
    return add_shop(c.uow(), c.box, Platform.SHOPIFY, f"{name}.myshopify.com",
                    ShopCredentials(access_token="t")).id


def _store(c, shop_id: int, n: int) -> int:  # type: ignore[no-untyped-def]
    """What the webhook endpoint does: the inbox commit, then ``schedule``."""
    stored = insert_event(c.engine, shop_id, TOPIC, f"key-{shop_id}-{n}", {}, b'{"id": %d}' % n)
    schedule(c.queue, shop_id, stored.event_id)
    return stored.event_id


def _statuses(c) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with c.uow() as uow:
        return {shop: status for shop, status in uow.events.count_by_status().items()}


def _work(c) -> None:  # type: ignore[no-untyped-def]
    redis = Redis.from_url(c.settings.redis_url)
    assert ConnectorWorker([c.queue.queue], connection=redis).work(burst=True)
    redis.close()


def test_one_job_waits_per_shop_and_it_processes_every_event_of_its_shop(container) -> None:
    c = container
    shops = [_shop(c, "one"), _shop(c, "two")]
    stored = [_store(c, shop, n) for n in range(30) for shop in shops]

    jobs = c.queue.queue.jobs
    assert sorted(job.args for job in jobs) == sorted((PROCESS_SHOP_EVENTS, shop) for shop in shops)
    assert all(job.result_ttl == 0 for job in jobs)

    _work(c)

    assert _statuses(c) == {"ignored": len(stored)}
    assert c.queue.queue.count == 0 and c.queue.queue.failed_job_registry.count == 0
    # the keys were freed when the jobs started: the next event of a shop queues a job again
    _store(c, shops[0], 99)
    assert [job.args for job in c.queue.queue.jobs] == [(PROCESS_SHOP_EVENTS, shops[0])]


def test_an_event_stored_while_the_shops_job_runs_is_processed(container, monkeypatch) -> None:
    """The key is freed before the job reads: an event stored while it runs either queues a new job (the
    key was free) or is read by the running job's next round; either way it is processed once."""
    c = container
    shop = _shop(c, "race")
    first = _store(c, shop, 0)
    late: list[int] = []
    original = event_jobs._process_event

    def process_then_store(event_id: int, **kwargs: bool) -> str:
        outcome = original(event_id, **kwargs)
        if len(late) < 3:  # a webhook arrives while the job is working
            late.append(_store(c, shop, 100 + len(late)))
        return outcome

    monkeypatch.setattr(event_jobs, "_process_event", process_then_store)
    _work(c)

    assert len(late) == 3 and first not in late
    assert _statuses(c) == {"ignored": 4}
    assert c.queue.queue.count == 0


def test_a_failed_enqueue_frees_the_key_and_the_next_event_queues_the_job(container, monkeypatch) -> None:
    c = container
    shop = _shop(c, "fail")
    calls = []

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        raise ConnectionError("redis went away")

    monkeypatch.setattr(c.queue, "enqueue", broken)
    with pytest.raises(ConnectionError):
        c.queue.enqueue_once(shop_key(shop), PROCESS_SHOP_EVENTS, shop)
    monkeypatch.undo()

    assert calls and c.queue.queue.count == 0
    assert c.queue.enqueue_once(shop_key(shop), PROCESS_SHOP_EVENTS, shop) is True
    assert c.queue.enqueue_once(shop_key(shop), PROCESS_SHOP_EVENTS, shop) is False
    assert c.queue.queue.count == 1


def test_the_sweeper_leaves_a_held_shop_alone_and_queues_the_events_of_a_lost_job(container) -> None:
    c = container
    waiting_shop, lost_shop = _shop(c, "waiting"), _shop(c, "lost")
    redis = Redis.from_url(c.settings.redis_url)
    # the lost shop's key is set but its job never reached the queue (the web process died in between)
    redis.set(c.queue._once_key(shop_key(lost_shop)), b"1", ex=120)
    lost = [_store(c, lost_shop, n) for n in range(3)]
    time.sleep(1.2)
    backlog = [_store(c, waiting_shop, n) for n in range(5)]
    time.sleep(1.2)  # every event is older than a zero grace period

    assert sweep(grace_seconds=0) == 0  # both shops held: one by its waiting job, one until its key expires
    redis.delete(c.queue._once_key(shop_key(lost_shop)))  # the key's life (ONCE_TTL) is over
    assert sweep(grace_seconds=0) == len(lost)  # the waiting shop's events are behind the queue's head
    queued = sorted(job.args for job in c.queue.queue.jobs)
    assert queued == sorted([(PROCESS_SHOP_EVENTS, waiting_shop), *((PROCESS_EVENT, e) for e in lost)])

    _work(c)
    assert _statuses(c) == {"ignored": len(lost) + len(backlog)}
    redis.close()


def test_a_shops_job_takes_one_round_and_queues_its_successor_behind_the_others(container, monkeypatch) -> None:
    c = container
    first, other = _shop(c, "big"), _shop(c, "other")
    for n in range(3 * event_jobs.events.BATCH):
        insert_event(c.engine, first, "orders/create", f"big-{n}", {}, b"not json")  # fails alone, no store
    _store(c, first, 0)  # queues the big shop's job, which runs here
    c.queue.queue.empty()
    rounds: list[int] = []
    monkeypatch.setattr(event_jobs, "_process_event", lambda event_id, **_: rounds.append(event_id) or "failed")

    assert event_jobs.process_shop_events(first) == "failed"
    assert len(rounds) == 1  # one round (one batch of the shop's pending events), not the whole backlog

    monkeypatch.undo()
    assert [job.args for job in c.queue.queue.jobs] == [(PROCESS_SHOP_EVENTS, first)]  # its successor
    assert c.queue.holds(shop_key(first))
    _store(c, first, 1)  # the key is held: no second job
    _store(c, other, 0)  # another shop's job queues behind it
    assert [job.args for job in c.queue.queue.jobs] == [(PROCESS_SHOP_EVENTS, first), (PROCESS_SHOP_EVENTS, other)]

    _work(c)
    assert _statuses(c) == {"failed": 3 * event_jobs.events.BATCH, "ignored": 3}
    assert not c.queue.holds(shop_key(first)) and not c.queue.holds(shop_key(other))


def test_a_round_the_stores_budget_cannot_cover_waits_off_the_worker_and_runs_once_it_can(container) -> None:
    """A shop whose Shopify budget (as this process last read it) is short of its round's cost is not worked
    now: its job goes back, delayed until the bucket has refilled, and the worker takes other shops' jobs
    instead of sleeping in the client's wait for budget."""
    from adapters.shopify.batched import PROMISE_POINTS
    from adapters.shopify.bulk import MARKS_BULK_POINTS
    from adapters.shopify.client import ThrottleStatus

    c = container
    shop = _shop(c, "throttled")
    stored = [_store(c, shop, n) for n in range(30)]
    c.queue.queue.empty()
    client = c.platform_for(shop).client
    client.throttle_status = ThrottleStatus(1000.0, 0.0, 100.0, read_at=client.clock())  # an empty bucket

    assert event_jobs.process_shop_events(shop) == "waiting for the store's budget"

    assert _statuses(c) == {"pending": len(stored)}  # nothing claimed
    scheduled = c.queue.queue.scheduled_job_registry
    [job_id] = scheduled.get_job_ids()
    waits = scheduled.get_scheduled_time(job_id).timestamp() - time.time()
    points = 30 * PROMISE_POINTS + MARKS_BULK_POINTS  # 30 promises, their tags in one bulk mutation: 185 points
    # RQ keeps a scheduled time in whole seconds, truncated (ScheduledJobRegistry.schedule): up to a second
    # earlier than asked, less the moments since it was scheduled
    assert points / 100.0 - 1.5 < waits <= points / 100.0 + 1
    assert c.queue.holds(shop_key(shop))  # the shop's job still waits: webhooks queue no other
    _store(c, shop, 99)
    assert c.queue.queue.count == 0

    client.throttle_status = ThrottleStatus(1000.0, 1000.0, 100.0, read_at=client.clock())  # refilled
    assert event_jobs.process_shop_events(shop) == "ignored"  # a round (of this topic: its one event) ran
    assert _statuses(c) == {"ignored": 1, "pending": len(stored)}
    assert [job.args for job in c.queue.queue.jobs] == [(PROCESS_SHOP_EVENTS, shop)]  # and its successor, now


def test_in_process_queues_keep_a_job_an_event() -> None:
    queue = InlineQueue(threads=1)
    jobs: list[tuple[str, tuple[object, ...]]] = []
    queue._put = lambda job, args, delay, run_id: jobs.append((job, args))  # type: ignore[method-assign]

    schedule(queue, 7, 42)

    assert jobs == [(PROCESS_EVENT, (42,))]


def test_a_batch_claim_takes_no_more_than_its_limit(container) -> None:
    """As ``IN (subquery LIMIT n FOR UPDATE SKIP LOCKED)`` PostgreSQL could run the subquery again for every
    row it updated, and a claim for 49 took all 150 pending events of the shop (a round of 150 orders)."""
    c = container
    shop = _shop(c, "limit")
    ids = [insert_event(c.engine, shop, "orders/create", f"limit-{n}", {}, b"{}").event_id for n in range(150)]
    with c.uow() as uow:
        claimed = uow.events.claim_pending(shop, {"orders/create"}, 49, ids[0])
        uow.commit()

    assert [row[0] for row in claimed] == ids[1:50]
    assert _statuses(c) == {"processing": 49, "pending": 101}


def test_the_last_round_of_a_shop_with_a_bulk_write_of_marks_running_queues_one_look_at_it(container) -> None:
    """A round with a successor leaves a running bulk write of the shop's marks to the successor's marks;
    the last round queues ``sync_marks`` to look at it again in a few seconds (connector/capture/marks.py)."""
    from sqlalchemy import select, text

    from connector.db.models_jobs import JobRun

    c = container
    shop = _shop(c, "bulk")
    with c.engine.begin() as conn:
        conn.execute(text("INSERT INTO orders (shop_id, platform_order_id, name, status, ordered_at, "
                          "platform_updated_at, needs_mark, captured_at, mark_operation, mark_line) VALUES "
                          "(:s, '1', '#1', 'open', now(), now(), false, now(), 'gid://shopify/BulkOperation/1', 0)"),
                     {"s": shop})
    _store(c, shop, 0)
    _store(c, shop, 1)

    def looks() -> list[str]:
        with c.uow() as uow:
            return [run.job for run in uow.session.scalars(select(JobRun).where(JobRun.shop_id == shop))]

    assert event_jobs.process_shop_events(shop) == "ignored" and looks() == []  # its successor is queued
    assert event_jobs.process_shop_events(shop) == "ignored" and looks() == ["jobs.shops.sync_marks"]


def test_rounds_with_a_successor_ask_for_a_later_dates_refresh_and_share_it(container, monkeypatch) -> None:
    """A round that leaves more than a batch pending asks for the shop's dates refresh ``DATES_DELAY_SECONDS``
    later, coalesced, so the rounds of a burst share it; the last round asks at once and joins it."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from connector.db.models_jobs import JobRun

    c = container
    shop = _shop(c, "burst")
    for n in range(event_jobs.events.BATCH + 1):
        insert_event(c.engine, shop, TOPIC, f"burst-{n}", {}, b"{}")
    delays: list[float] = []
    original = event_jobs._process_event

    def captured(event_id: int, **kwargs) -> str:  # type: ignore[no-untyped-def]
        delays.append(kwargs["dates_delay"])
        return original(event_id, **kwargs)

    monkeypatch.setattr(event_jobs, "_process_event", captured)
    event_jobs.process_shop_events(shop)  # 51 pending: a successor follows
    event_jobs.process_shop_events(shop)  # the last round
    assert delays == [event_jobs.DATES_DELAY_SECONDS, 0.0]

    # what the rounds ask for when they captured orders: one waiting refresh, due after the delay
    monkeypatch.setattr(event_jobs.events, "process_event",
                        lambda *a, **k: event_jobs.events.EventOutcome("done", shop_id=shop))
    asked = datetime.now(UTC)
    for delay in (event_jobs.DATES_DELAY_SECONDS, event_jobs.DATES_DELAY_SECONDS, 0.0):
        original(1, dates_delay=delay)
    with c.uow() as uow:
        runs = list(uow.session.execute(select(JobRun.status, JobRun.due_at).where(
            JobRun.shop_id == shop, JobRun.job == "jobs.supply.refresh_dates")))
    assert len(runs) == 1 and runs[0].status == "pending"
    waits = (runs[0].due_at.replace(tzinfo=UTC) - asked).total_seconds()
    assert event_jobs.DATES_DELAY_SECONDS - 1 <= waits <= event_jobs.DATES_DELAY_SECONDS + 5
