"""The embedded queue: worker threads in this process, with delayed jobs.

Jobs carry only references, and everything a job needs is in the database, so losing this
queue (a crash, a restart) loses no work: the sweeper queues unfinished events again.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from typing import Any

from adapters.queue.resolve import check_job, resolve_job

log = logging.getLogger(__name__)

_STOP = object()


class InlineQueue:
    def __init__(self, threads: int = 4) -> None:
        self._ready: queue.Queue[Any] = queue.Queue()
        self._delayed: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._size = threads

    def start(self) -> InlineQueue:
        for index in range(self._size):
            thread = threading.Thread(target=self._work, name=f"job-worker-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        timer = threading.Thread(target=self._release_delayed, name="job-timer", daemon=True)
        timer.start()
        self._threads.append(timer)
        return self

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        check_job(job)  # fail fast on a bad reference, in the caller
        if delay_seconds > 0:
            with self._cond:
                heapq.heappush(self._delayed, (time.monotonic() + delay_seconds, next(self._counter), job, args))
                self._cond.notify_all()
            return
        with self._cond:
            self._busy += 1
        self._ready.put((job, args))

    def _release_delayed(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                now = time.monotonic()
                while self._delayed and self._delayed[0][0] <= now:
                    _, _, job, args = heapq.heappop(self._delayed)
                    self._busy += 1
                    self._ready.put((job, args))
                wait = (self._delayed[0][0] - now) if self._delayed else 1.0
                self._cond.wait(timeout=min(wait, 1.0))

    def _work(self) -> None:
        while True:
            item = self._ready.get()
            if item is _STOP:
                return
            job, args = item
            try:
                resolve_job(job)(*args)
            except Exception:  # noqa: BLE001 - a failing job must not kill the worker
                log.exception("job failed", extra={"job": job, "job_args": args})
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no job is queued or running (delayed jobs not counted); True if idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(timeout=remaining)
        return True

    def depth(self) -> int:
        with self._cond:
            return self._busy + len(self._delayed)

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for _ in range(self._size):
            self._ready.put(_STOP)
        for thread in self._threads:
            thread.join(timeout=timeout)


class NoQueue:
    """For web processes that only store events: a separate worker or the sweeper picks them up."""

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        check_job(job)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return True

    def depth(self) -> int:
        return 0

    def stop(self, timeout: float = 10.0) -> None:
        return None
