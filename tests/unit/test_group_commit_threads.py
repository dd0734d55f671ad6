"""The inbox's group commit under many threads, without a database: every webhook gets its own answer once,
batches form while a write is under way, a leader's successor is one of the waiting threads, and an
interrupted write (a BaseException) still answers everyone waiting and lets the next batch go on."""

from __future__ import annotations

import itertools
import random
import threading
import time

from connector.db.inbox import Incoming, Stored
from connector.domain.errors import StorageUnavailable
from webhooks.inbox_writer import Answer, GroupCommit

THREADS = 24
EACH = 60


def incoming(n: int) -> Incoming:
    return Incoming(1 + n % 5, "orders/create", f"orders/create:event:{n}", "{}", b"{}")


def test_many_threads_each_get_their_own_answer_once_and_writes_share_batches() -> None:
    ids = itertools.count(1)
    stored: dict[str, int] = {}
    batches: list[int] = []
    scheduled: list[tuple[int, int]] = []
    writing = threading.Lock()

    def write(batch: list[Incoming]) -> list[Answer]:
        assert writing.acquire(blocking=False), "two batches written at once"
        try:
            time.sleep(random.uniform(0, 0.002))  # a commit's round trip
            batches.append(len(batch))
            answers: list[Answer] = []
            for item in batch:
                assert item.dedupe_key not in stored, "a webhook written twice"
                stored[item.dedupe_key] = next(ids)
                answers.append(Stored(stored[item.dedupe_key], created=True))
            return answers
        finally:
            writing.release()

    group = GroupCommit(write, scheduled.extend)
    answers: dict[str, Answer] = {}

    def client(first: int) -> None:
        for n in range(first, first + EACH):
            item = incoming(n)
            answer = group.submit(item)
            assert item.dedupe_key not in answers
            answers[item.dedupe_key] = answer

    threads = [threading.Thread(target=client, args=(t * EACH,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread never got its answer"

    assert len(answers) == THREADS * EACH == len(stored) == sum(batches) == len(scheduled)
    assert all(isinstance(a, Stored) and a.event_id == stored[key] for key, a in answers.items())
    assert max(batches) > 1  # threads that came during a write shared the next one


def test_an_interrupted_write_answers_everyone_waiting_and_the_next_batch_goes_on() -> None:
    entered, release = threading.Event(), threading.Event()
    calls = itertools.count()

    def write(batch: list[Incoming]) -> list[Answer]:
        if next(calls) == 0:
            entered.set()
            release.wait(5)
            raise KeyboardInterrupt  # not an Exception: _run does not catch it
        return [Stored(100 + n, created=True) for n, _ in enumerate(batch)]

    group = GroupCommit(write, lambda stored: None)
    outcome: dict[int, object] = {}

    def submit(n: int) -> None:
        try:
            outcome[n] = group.submit(incoming(n))
        except KeyboardInterrupt:
            outcome[n] = "interrupted"

    leader = threading.Thread(target=submit, args=(0,))
    leader.start()
    assert entered.wait(5)
    waiting = [threading.Thread(target=submit, args=(n,)) for n in (1, 2, 3)]
    for thread in waiting:
        thread.start()
    time.sleep(0.05)  # they queue behind the write under way
    release.set()
    for thread in [leader, *waiting]:
        thread.join(timeout=10)
        assert not thread.is_alive()

    assert outcome[0] == "interrupted"
    # the three that waited were not in the interrupted batch: the next leader (one of them) stored them
    assert all(isinstance(outcome[n], Stored) for n in (1, 2, 3))
    late = group.submit(incoming(4))  # and the write is free again
    assert isinstance(late, Stored) and not isinstance(late, StorageUnavailable)
