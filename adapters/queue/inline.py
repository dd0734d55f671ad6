"""The embedded queue: worker threads in this process, with delayed jobs.

Jobs carry only references, and everything a job needs is in the database, so losing this
queue (a crash, a restart) loses no work: the sweeper queues unfinished events and recorded job
runs (the job-run ledger, connector/db/job_runs.py) again. Recorded runs follow the same retry
policies as on RQ, and run inside the ledger's claim through the ``RunExecutor`` bootstrap gives.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from typing import Any

from connector.job_refs import check_job, policy_for, resolve_job
from connector.ports import RunExecutor, RunRescheduled

log = logging.getLogger(__name__)

_STOP = object()


class InlineQueue:
    """The JobQueue seam on worker threads in this process (see connector/ports.JobQueue)."""

    def __init__(self, threads: int = 4, run_recorded: RunExecutor | None = None) -> None:
        self.run_recorded = run_recorded
        """Runs a recorded run inside its ledger claim; bootstrap binds it when not given here."""
        self._ready: queue.Queue[Any] = queue.Queue()
        self._delayed: list[tuple[float, int, str, tuple[Any, ...], int | None]] = []
        self._runs: set[int] = set()
        """Recorded runs this queue holds (waiting, delayed or running): ``is_live`` for the sweeper."""
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
        self._put(job, args, delay_seconds, None)

    def push_run(self, run_id: int, job: str, args: tuple[Any, ...], delay_seconds: float = 0.0) -> None:
        """Deliver a recorded run; the worker claims it and marks it running, done or failed."""
        check_job(job)
        with self._cond:
            self._runs.add(run_id)
        self._put(job, tuple(args), delay_seconds, run_id)

    def is_live(self, run_id: int) -> bool:
        with self._cond:
            return run_id in self._runs

    def _put(self, job: str, args: tuple[Any, ...], delay_seconds: float, run_id: int | None) -> None:
        if delay_seconds > 0:
            with self._cond:
                heapq.heappush(self._delayed, (time.monotonic() + delay_seconds, next(self._counter), job, args,
                                               run_id))
                self._cond.notify_all()
            return
        with self._cond:
            self._busy += 1
        self._ready.put((job, args, run_id))

    def _release_delayed(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                now = time.monotonic()
                while self._delayed and self._delayed[0][0] <= now:
                    _, _, job, args, run_id = heapq.heappop(self._delayed)
                    self._busy += 1
                    self._ready.put((job, args, run_id))
                wait = (self._delayed[0][0] - now) if self._delayed else 1.0
                self._cond.wait(timeout=min(wait, 1.0))

    def _work(self) -> None:
        while True:
            item = self._ready.get()
            if item is _STOP:
                return
            job, args, run_id = item
            retry: list[float] = []
            try:
                if run_id is None:
                    resolve_job(job)(*args)
                else:
                    self._run_recorded(run_id, job, args, retry)
            except RunRescheduled as exc:  # throttled: delivered again after the store's wait, no worker sleeps
                retry.append(exc.delay)
                log.info("job rescheduled", extra={"job": job, "run_id": run_id, "retry_in": exc.delay})
            except Exception:  # noqa: BLE001 - a failing job must not kill the worker
                log.exception("job failed", extra={"job": job, "job_args": args, "run_id": run_id})
            finally:
                with self._cond:
                    self._busy -= 1
                    if run_id is not None:
                        self._runs.discard(run_id)
                    self._cond.notify_all()
            if run_id is not None and retry and not self._stopping:
                self.push_run(run_id, job, args, delay_seconds=retry[0])

    def _run_recorded(self, run_id: int, job: str, args: tuple[Any, ...], retry: list[float]) -> None:
        if self.run_recorded is None:
            raise RuntimeError("no run executor bound to this queue (connector.bootstrap binds one)")
        policy = policy_for(job)

        def retry_in(starts: int) -> float | None:
            delay = policy.retry_in(starts)
            if delay is not None:
                retry.append(delay)
            return delay

        self.run_recorded(run_id, lambda: resolve_job(job)(*args), retry_in)

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

    def push_run(self, run_id: int, job: str, args: tuple[Any, ...], delay_seconds: float = 0.0) -> None:
        check_job(job)  # recorded: a worker process's sweeper queues it

    def is_live(self, run_id: int) -> bool:
        return False

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return True

    def depth(self) -> int:
        return 0

    def stop(self, timeout: float = 10.0) -> None:
        return None
