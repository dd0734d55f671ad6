"""RQ on Redis: the production queue when REDIS_URL is set.

Jobs are the same dotted-name functions in jobs/ as on the embedded queue. RQ runs them through
``run_job`` (which resolves the name, so only jobs.* can run, and records duration, outcome and
error context); each job has a retry policy (``POLICIES``) for when it raises. Redis is only a
delivery mechanism: the database is the truth, and the sweeper queues again whatever was stored
but never finished (Redis flushed or restarted, a worker killed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from redis import Redis
from rq import Queue, Retry, SimpleWorker

from adapters.queue.resolve import check_job, resolve_job

log = logging.getLogger(__name__)

QUEUE_NAME = "connector"
RESULT_TTL = 300
FAILURE_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class RetryPolicy:
    """How often RQ runs a job again after it raised, and after how long; how long it may run."""

    retries: int = 3
    intervals: tuple[int, ...] = (10, 60, 300)
    timeout: int = 600

    def retry(self) -> Retry | None:
        return Retry(max=self.retries, interval=list(self.intervals)) if self.retries > 0 else None


DEFAULT_POLICY = RetryPolicy()
POLICIES: dict[str, RetryPolicy] = {
    # process_event records its own retries (status 'retry', backoff) and re-enqueues itself; RQ retries
    # only cover a crash before that bookkeeping (e.g. the database unreachable at claim time).
    "jobs.events.process_event": RetryPolicy(retries=5, intervals=(5, 30, 120, 600, 1800), timeout=300),
    # the sweeper runs every 30 seconds anyway
    "jobs.sweep.sweep": RetryPolicy(retries=0, timeout=120),
    "jobs.shops.reconcile": RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=1800),
    "jobs.shops.sync_marks": RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=900),
    "jobs.install.health_check": RetryPolicy(retries=1, intervals=(60,), timeout=300),
    "jobs.install.check_shop": RetryPolicy(retries=2, intervals=(60, 300), timeout=300),
    "jobs.install.refresh_token": RetryPolicy(retries=5, intervals=(5, 15, 60, 120, 300), timeout=120),
    "jobs.install.email_export": RetryPolicy(retries=5, intervals=(60, 300, 900, 3600, 7200), timeout=120),
}
"""Per job; anything not listed gets DEFAULT_POLICY."""


def policy_for(job: str) -> RetryPolicy:
    return POLICIES.get(job, DEFAULT_POLICY)


def run_job(job: str, *args: Any) -> Any:
    """What RQ executes: the named job, timed, with its name and ids attached to errors and logs."""
    from connector import metrics
    from connector.observability import job_scope

    function = resolve_job(job)
    started = time.monotonic()
    outcome = "error"
    try:
        with job_scope(job, args):
            result = function(*args)
        outcome = result if isinstance(result, str) and len(result) < 20 else "ok"
        return result
    finally:
        elapsed = time.monotonic() - started
        metrics.JOB_DURATION.labels(job=job, outcome=outcome).observe(elapsed)
        log.info("job finished", extra={"job": job, "job_args": list(args), "outcome": outcome,
                                        "seconds": round(elapsed, 4)})


def connect(redis_url: str) -> Redis:
    return Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=15)


class RQQueue:
    """The JobQueue seam on RQ (see connector/ports.JobQueue)."""

    def __init__(self, redis_url: str, name: str = QUEUE_NAME) -> None:
        self.redis_url = redis_url
        self.redis = connect(redis_url)
        self.queue = Queue(name, connection=self.redis)

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        check_job(job)  # fail fast on a bad reference, in the caller
        policy = policy_for(job)
        options: dict[str, Any] = {"retry": policy.retry(), "job_timeout": policy.timeout,
                                   "result_ttl": RESULT_TTL, "failure_ttl": FAILURE_TTL,
                                   "description": f"{job}{tuple(args)!r}"}
        if delay_seconds > 0:
            self.queue.enqueue_in(timedelta(seconds=delay_seconds), run_job, job, *args, **options)
        else:
            self.queue.enqueue(run_job, job, *args, **options)

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def depth(self) -> int:
        """Jobs waiting plus jobs scheduled for later (retries, spread per-shop work)."""
        return int(self.queue.count) + int(self.queue.scheduled_job_registry.count)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once nothing is waiting or running (delayed jobs not counted), else False at the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue.count == 0 and self.queue.started_job_registry.count == 0:
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        self.redis.close()


def run_worker(redis_url: str, *, burst: bool = False, name: str | None = None,
               queue_name: str = QUEUE_NAME, max_jobs: int | None = None) -> bool:
    """Work jobs in this process until stopped (or, with ``burst``, until the queue is empty).

    A SimpleWorker runs jobs in this process, so the container (engine pool, platform clients) is
    built once, not forked per job. It also runs RQ's scheduler for delayed jobs and retries.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    wait = 0.5
    while True:
        redis = connect(redis_url)
        try:
            worker = SimpleWorker([Queue(queue_name, connection=redis)], connection=redis, name=name)
            return bool(worker.work(burst=burst, with_scheduler=True, max_jobs=max_jobs,
                                    logging_level=logging.getLevelName(logging.getLogger().level)))
        except (RedisConnectionError, RedisTimeoutError) as exc:
            # Redis restarting or not up yet: RQ rides out short losses while it waits for jobs, but not
            # at start-up or during its own bookkeeping. Keep the process; build a fresh worker.
            log.warning("redis unreachable; worker restarts in %.1fs", wait, extra={"error": str(exc)})
            time.sleep(wait)
            wait = min(wait * 2, 10.0)
        finally:
            redis.close()
