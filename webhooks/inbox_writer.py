"""Webhooks that arrive together share one inbox commit (group commit, leader and followers).

Each request thread of a web process hands its webhook to the process's ``GroupCommit`` and waits. The
first to arrive while no write is under way becomes the leader: it takes every webhook waiting, stores them
in one statement (``connector.db.inbox.insert_events``: one round trip and one commit for all), queues the
processing of the shops that got new events (on RQ one key check a shop, all in one round trip), and hands
each waiting thread its own answer. Threads that arrive meanwhile wait for the next leader, which is one of
them. No thread answers before its event is committed and its shop's job queued, as with one insert a
request; one thread alone pays one uncontended lock more. In a burst a process's threads
(``gunicorn_conf.threads``) share commits instead of each waiting for its own (bench/burst.py;
bench/README.md "Burst"; docs/decisions/inbox-group-commit.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from connector.db.inbox import Incoming, Stored
from connector.domain.errors import StorageUnavailable

log = logging.getLogger(__name__)

Answer = Stored | StorageUnavailable
Write = Callable[[list[Incoming]], list[Answer]]
Schedule = Callable[[list[tuple[int, int]]], None]


class GroupCommit:
    """Stores webhooks for the threads of one process, a batch at a time (see the module's docstring)."""

    def __init__(self, write: Write, schedule: Schedule) -> None:
        """``write`` stores a batch (an answer an event, in order); ``schedule`` queues the processing of the
        ``(shop_id, event_id)`` a batch created (``jobs.events.schedule_all``: on RQ one key check a shop)."""
        self._write = write
        self._schedule = schedule
        self._lock = threading.Condition()
        self._waiting: list[_Slot] = []
        self._writing = False

    def submit(self, item: Incoming) -> Answer:
        """Store ``item`` (with whatever else waits) and queue its shop's processing; its answer."""
        slot = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            while self._writing and slot.answer is None:
                self._lock.wait()
            if slot.answer is not None:  # a leader stored it
                return slot.answer
            batch, self._waiting = self._waiting, []  # lead: this slot and every one waiting
            self._writing = True
        try:
            self._run(batch)
        finally:
            with self._lock:
                for waiting in batch:  # only if _run was interrupted (BaseException): none waits forever
                    if waiting.answer is None:
                        waiting.answer = StorageUnavailable("cannot store event: interrupted")
                self._writing = False
                self._lock.notify_all()
        assert slot.answer is not None
        return slot.answer

    def _run(self, batch: list[_Slot]) -> None:
        try:
            answers = self._write([slot.item for slot in batch])
        except Exception as exc:  # noqa: BLE001 - every waiting thread gets an answer, whatever went wrong
            log.exception("storing a batch of webhooks failed")
            answers = [StorageUnavailable(f"cannot store event: {type(exc).__name__}") for _ in batch]
        created = [(slot.item.shop_id, answer.event_id) for slot, answer in zip(batch, answers, strict=True)
                   if isinstance(answer, Stored) and answer.created]
        if created:
            try:
                self._schedule(created)
            except Exception:  # noqa: BLE001 - the events are committed; the sweeper will queue them
                log.exception("enqueue failed; the sweeper will pick the events up",
                              extra={"event_ids": [event_id for _, event_id in created]})
        for slot, answer in zip(batch, answers, strict=True):
            slot.answer = answer


class _Slot:
    __slots__ = ("item", "answer")

    def __init__(self, item: Incoming) -> None:
        self.item = item
        self.answer: Answer | None = None
