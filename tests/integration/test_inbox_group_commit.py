"""Webhooks stored together (connector/db/inbox.py ``insert_events``, webhooks/inbox_writer.py ``GroupCommit``).

Real databases (SQLite and PostgreSQL); the group commit runs on real threads. What must hold: every webhook
is committed before its thread has an answer, once (a key given twice, in one batch or across batches, is
one event), each thread gets its own event, a bad event fails alone, its shop's processing is asked for
before any answer, and threads arriving together do share a statement.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from connector.crypto import CredentialBox, generate_key
from connector.db.inbox import Incoming, Stored, insert_events
from connector.db.uow import UnitOfWork
from connector.domain.errors import StorageUnavailable
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from jobs.events import PROCESS_EVENT, PROCESS_SHOP_EVENTS, schedule_all, shop_key
from tests.support.rq_container import rq_container
from webhooks.inbox_writer import GroupCommit


def _incoming(shop_id: int, key: str) -> Incoming:
    body = b'{"id": "%s"}' % key.encode()
    return Incoming(shop_id, "orders/create", key, '{"x-shopify-topic": "orders/create"}', body)


def _stored(engine) -> dict[tuple[int, str], int]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT shop_id, dedupe_key, id FROM webhook_events")).all()
    return {(int(shop), str(key)): int(event_id) for shop, key, event_id in rows}


def test_a_batch_stores_each_event_once_and_finds_what_was_stored_before(engine, uow, box, shop_id) -> None:
    other = add_shop(uow, box, Platform.SHOPIFY, "other.myshopify.com", ShopCredentials(access_token="t")).id
    [earlier] = insert_events(engine, [_incoming(shop_id, "old")])
    assert isinstance(earlier, Stored) and earlier.created

    answers = insert_events(engine, [_incoming(shop_id, "a"), _incoming(other, "a"), _incoming(shop_id, "old"),
                                     _incoming(shop_id, "b"), _incoming(shop_id, "a")])

    stored = _stored(engine)
    assert len(stored) == 4  # old, a and b of the shop, a of the other shop
    assert all(isinstance(answer, Stored) for answer in answers)
    ids = [answer.event_id for answer in answers if isinstance(answer, Stored)]
    assert ids == [stored[(shop_id, "a")], stored[(other, "a")], earlier.event_id, stored[(shop_id, "b")],
                   stored[(shop_id, "a")]]
    assert [answer.created for answer in answers if isinstance(answer, Stored)] == [True, True, False, True, False]
    with engine.connect() as connection:
        body, headers = connection.execute(text("SELECT body, headers FROM webhook_events WHERE id = :id"),
                                           {"id": ids[1]}).one()
    assert bytes(body) == b'{"id": "a"}' and headers == '{"x-shopify-topic": "orders/create"}'


def test_an_event_of_a_shop_removed_meanwhile_fails_alone(engine, shop_id) -> None:
    answers = insert_events(engine, [_incoming(shop_id, "good-1"), _incoming(shop_id + 999, "orphan"),
                                     _incoming(shop_id, "good-2")])

    assert isinstance(answers[0], Stored) and isinstance(answers[2], Stored)
    assert isinstance(answers[1], StorageUnavailable)
    assert set(_stored(engine)) == {(shop_id, "good-1"), (shop_id, "good-2")}


def test_threads_arriving_together_share_a_statement_and_each_gets_its_own_event(pg_engine) -> None:
    uow, box = UnitOfWork(pg_engine), CredentialBox(generate_key())
    shops = [add_shop(uow, box, Platform.SHOPIFY, f"s{n}.myshopify.com", ShopCredentials(access_token="t")).id
             for n in range(3)]
    batches: list[int] = []
    scheduled: list[tuple[int, int]] = []
    first_write = threading.Event()
    release = threading.Event()

    def write(batch: list[Incoming]) -> list[Stored | StorageUnavailable]:
        batches.append(len(batch))
        if len(batches) == 1:  # the first leader holds its write until the others wait behind it
            first_write.set()
            assert release.wait(10)
        return insert_events(pg_engine, batch)

    problems: list[str] = []

    def schedule(created: list[tuple[int, int]]) -> None:
        committed = set(_stored(pg_engine).values())
        problems.extend(f"event {event_id} asked for before its commit" for _, event_id in created
                        if event_id not in committed)
        scheduled.extend(created)

    writer = GroupCommit(write, schedule)
    answers: dict[str, Stored | StorageUnavailable] = {}

    def submit(shop: int, key: str) -> None:
        answer = writer.submit(_incoming(shop, key))
        if isinstance(answer, Stored) and not any(event_id == answer.event_id or shop_ == shop
                                                  for shop_, event_id in scheduled):
            problems.append(f"{key} answered before its shop's processing was asked for")
        answers[key] = answer

    leader = threading.Thread(target=submit, args=(shops[0], "lead"))
    leader.start()
    assert first_write.wait(10)
    followers = [threading.Thread(target=submit, args=(shops[n % 3], f"k{n}")) for n in range(12)]
    followers += [threading.Thread(target=submit, args=(shops[0], "k0"))]  # the same key twice in one batch
    for thread in followers:
        thread.start()
    deadline = time.monotonic() + 10
    while len(writer._waiting) < len(followers):  # every follower waits behind the held leader
        assert time.monotonic() < deadline, f"only {len(writer._waiting)} of {len(followers)} followers queued"
        threading.Event().wait(0.01)
    release.set()
    for thread in [leader, *followers]:
        thread.join(10)
        assert not thread.is_alive()

    assert problems == []
    stored = _stored(pg_engine)
    assert batches == [1, len(followers)]  # the twelve followers (and the repeated key) in one statement
    assert len(stored) == 13
    assert all(isinstance(answer, Stored) for answer in answers.values())
    assert {key: answer.event_id for key, answer in answers.items() if isinstance(answer, Stored)} == {
        key: stored[(shop, key)] for (shop, key) in stored}
    # every created event is handed on once, the repeated key not (jobs.events.schedule_all then asks once a shop)
    assert sorted(event_id for _, event_id in scheduled) == sorted(stored.values())


def test_a_failed_write_answers_every_waiting_thread_and_the_next_batch_goes_on(engine, shop_id) -> None:
    calls: list[int] = []

    def write(batch: list[Incoming]) -> list[Stored | StorageUnavailable]:
        calls.append(len(batch))
        if len(calls) == 1:
            raise RuntimeError("connection pool exhausted")
        return insert_events(engine, batch)

    def schedule(created: list[tuple[int, int]]) -> None:
        raise ConnectionError("Redis is down")  # the event stays committed: the sweeper queues it

    writer = GroupCommit(write, schedule)
    failed = writer.submit(_incoming(shop_id, "first"))
    assert isinstance(failed, StorageUnavailable) and "RuntimeError" in str(failed)
    stored = writer.submit(_incoming(shop_id, "second"))
    assert isinstance(stored, Stored) and stored.created
    assert set(_stored(engine)) == {(shop_id, "second")}


@pytest.mark.parametrize("count", [1, 2])
def test_in_process_queues_get_a_job_an_event(engine, shop_id, count: int) -> None:
    queue = InProcessQueue()
    writer = GroupCommit(lambda batch: insert_events(engine, batch), lambda created: schedule_all(queue, created))
    ids = [writer.submit(_incoming(shop_id, f"e{n}")) for n in range(count)]
    assert queue.calls == [(PROCESS_EVENT, (answer.event_id,)) for answer in ids if isinstance(answer, Stored)]


class InProcessQueue:
    """A queue without one-job-a-shop keys (as the in-process queue): it records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def enqueue(self, job: str, *args: object) -> None:
        self.calls.append((job, args))


def test_on_rq_a_batch_asks_once_a_shop_in_one_round_trip(postgres_url, spare_redis) -> None:
    with rq_container(postgres_url, spare_redis) as c:
        shops = [add_shop(c.uow(), c.box, Platform.SHOPIFY, f"q{n}.myshopify.com",
                          ShopCredentials(access_token="t")).id for n in range(3)]
        c.queue.enqueue_once(shop_key(shops[2]), PROCESS_SHOP_EVENTS, shops[2])  # its job already waits
        before = c.queue.queue.count
        commands = c.queue.redis.info("commandstats")

        schedule_all(c.queue, [(shops[0], 1), (shops[1], 2), (shops[0], 3), (shops[2], 4), (shops[1], 5)])

        assert c.queue.queue.count == before + 2  # the two shops without a job, once each
        waiting = sorted(job.args[1:] for job in c.queue.queue.jobs)
        assert waiting == sorted([(shops[0],), (shops[1],), (shops[2],)])
        assert all(c.queue.holds(shop_key(shop)) for shop in shops)
        after = c.queue.redis.info("commandstats")
        sets = after["cmdstat_set"]["calls"] - commands.get("cmdstat_set", {"calls": 0})["calls"]
        assert sets == 3  # one key check a shop, not an event


def test_on_rq_a_failed_enqueue_frees_its_key_and_the_other_shops_still_get_their_job(
        postgres_url, spare_redis, monkeypatch) -> None:
    with rq_container(postgres_url, spare_redis) as c:
        real = c.queue.enqueue

        def enqueue(job: str, *args: object, **kwargs: object) -> None:
            if args == (2,):
                raise ConnectionError("lost Redis mid-enqueue")
            real(job, *args, **kwargs)

        monkeypatch.setattr(c.queue, "enqueue", enqueue)
        with pytest.raises(ConnectionError):
            schedule_all(c.queue, [(1, 10), (2, 20), (3, 30)])
        assert sorted(job.args[1:] for job in c.queue.queue.jobs) == [(1,), (3,)]
        assert not c.queue.holds(shop_key(2))  # freed: the next webhook (or the sweeper) queues it
        assert c.queue.holds(shop_key(1)) and c.queue.holds(shop_key(3))
