"""RQ on Redis: the production queue when REDIS_URL is set.

Jobs are the same dotted-name functions in jobs/ as on the embedded queue. RQ runs them through
``run_job`` (which resolves the name, so only jobs.* can run, and records duration, outcome and
error context); each job has a retry policy (declared on its function, connector/job_refs.py) for
when it raises. Recorded runs go through ``run_recorded`` inside the ledger's claim, by the
``RunExecutor`` bound in this process (``bind_executor``: bootstrap does it when it builds the
queue, so a worker binds it once at start). Redis is only a delivery mechanism: the database is
the truth, and the sweeper queues again whatever was stored but never finished (Redis flushed or
restarted, a worker killed).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from connector.job_refs import RetryPolicy, check_job, policy_for, resolve_job
from connector.ports import RunExecutor, RunRescheduled

__all__ = ["ConnectorWorker", "RQQueue", "bind_executor", "rq_retry", "run_job", "run_recorded", "run_worker"]

log = logging.getLogger(__name__)

QUEUE_NAME = "connector"
RESULT_TTL = 300
FAILURE_TTL = 7 * 24 * 3600
ONCE_TTL = 30
"""Seconds a key of ``RQQueue.enqueue_once`` holds at most: a job delivered under it and lost (its sender
killed between the two steps, its worker killed mid-round) holds back its shop's next job, and the sweeper,
no longer than this. A job still waiting when its key expires is harmless: a second job of the shop may
then be queued, and the events' claims keep the two apart. Shop rounds and queue waits take seconds; the
fault test (tests/integration/test_faults_workers.py) kills workers mid-round and waits 90 s in all."""
JOB_ID_PREFIX = "jobrun-"
"""RQ job id of a recorded run: ``jobrun-<run id>``, so the sweeper can ask Redis whether it is still there."""


_executor: RunExecutor | None = None
"""How this process runs a recorded run inside its ledger claim (``bind_executor``)."""


def bind_executor(executor: RunExecutor | None) -> None:
    """Bind the ledger's executor for the recorded runs this process works (once, at worker start)."""
    global _executor
    _executor = executor


def rq_retry(policy: RetryPolicy) -> Retry | None:
    """The RQ ``Retry`` for a job's policy (None without retries)."""
    return Retry(max=policy.retries, interval=list(policy.intervals)) if policy.retries > 0 else None


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


def run_recorded(run_id: int, job: str, *args: Any) -> Any:
    """What RQ executes for a recorded run: ``run_job`` inside the run's claim (connector/db/job_runs.py).
    A failure leaves the run pending while RQ still has retries for it, failed once they are spent."""
    from rq import get_current_job

    if _executor is None:
        raise RuntimeError("no run executor bound in this worker (connector.bootstrap binds one)")

    def retry_in(_starts: int) -> float | None:
        current = get_current_job()
        if current is None or not current.retries_left:
            return None
        return float(current.get_retry_interval())

    try:
        return _executor(run_id, lambda: run_job(job, *args), retry_in)
    except RunRescheduled as exc:
        # not an RQ failure (RQ would retry on its own schedule): deliver the run again after the wait
        # under a job id of its own (this job's id is still in use until it returns)
        current = get_current_job()
        queue = Queue(current.origin, connection=current.connection) if current is not None else None
        if queue is not None:
            policy = policy_for(job)
            queue.enqueue_in(timedelta(seconds=exc.delay), run_recorded, run_id, job, *args,
                             job_id=f"{JOB_ID_PREFIX}{run_id}-at{int(time.time() + exc.delay)}",
                             retry=rq_retry(policy), job_timeout=policy.timeout, result_ttl=RESULT_TTL,
                             failure_ttl=FAILURE_TTL, description=f"{job}{tuple(args)!r} (after Retry-After)")
        # without a queue the sweeper delivers it once due (the run row is pending, due after the wait)
        return RESCHEDULED


RESCHEDULED = "rescheduled"
"""What a recorded run returns to RQ when it was throttled and scheduled again (RunRescheduled)."""


def connect(redis_url: str) -> Redis:
    return Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=15)


class RQQueue:
    """The JobQueue seam on RQ (see connector/ports.JobQueue)."""

    def __init__(self, redis_url: str, name: str = QUEUE_NAME, run_recorded: RunExecutor | None = None) -> None:
        self._run_recorded: RunExecutor | None = None
        if run_recorded is not None:
            self.run_recorded = run_recorded
        self.redis_url = redis_url
        self.redis = connect(redis_url)
        self.queue = Queue(name, connection=self.redis)

    @property
    def run_recorded(self) -> RunExecutor | None:
        """The ledger's executor this queue was given; setting it binds it for this process's worker."""
        return self._run_recorded

    @run_recorded.setter
    def run_recorded(self, executor: RunExecutor | None) -> None:
        self._run_recorded = executor
        bind_executor(executor)

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        check_job(job)  # fail fast on a bad reference, in the caller
        # nothing reads the result of an unrecorded job (its outcome is in the database): RQ deletes it
        # on success instead of storing a result for RESULT_TTL
        self._put(run_job, (job, *args), job, args, delay_seconds, {"result_ttl": 0})

    def enqueue_once(self, key: str, job: str, *args: Any) -> bool:
        """Deliver a job unless one delivered under ``key`` is waiting or running; True if this call queued it.

        One round trip (``SET NX`` with ``ONCE_TTL``) when such a job waits or runs, the enqueue's as well
        when none does. The job hands its key on (``enqueue_held``) or frees it (``release``) when it ends,
        and reads its work again after freeing it. A failed enqueue frees the key."""
        check_job(job)
        if not self.redis.set(self._once_key(key), b"1", nx=True, ex=ONCE_TTL):
            return False
        self._enqueue_holding(key, job, args)
        return True

    def enqueue_once_many(self, calls: list[tuple[str, str, tuple[Any, ...]]]) -> list[bool]:
        """``enqueue_once`` for several ``(key, job, args)`` at once: one round trip asks for every key (a
        pipeline of ``SET NX``), then the jobs whose key was free are enqueued. Each is tried even when an
        earlier one failed (its key freed); the first failure is raised after all were tried."""
        if len(calls) == 1:  # one key: no pipeline to build
            key, job, args = calls[0]
            return [self.enqueue_once(key, job, *args)]
        for _, job, _ in calls:
            check_job(job)
        with self.redis.pipeline(transaction=False) as batch:
            for key, _, _ in calls:
                batch.set(self._once_key(key), b"1", nx=True, ex=ONCE_TTL)
            won = [bool(answer) for answer in batch.execute()]
        failure: BaseException | None = None
        for (key, job, args), free in zip(calls, won, strict=True):
            if free:
                try:
                    self._enqueue_holding(key, job, args)
                except Exception as exc:  # noqa: BLE001 - the others still get their job; raised below
                    failure = failure or exc
        if failure is not None:
            raise failure
        return won

    def _enqueue_holding(self, key: str, job: str, args: tuple[Any, ...]) -> None:
        """Enqueue the job whose key this process just took; a failed enqueue frees the key."""
        try:
            self.enqueue(job, *args)
        except BaseException:
            try:
                self.redis.delete(self._once_key(key))
            except Exception:  # noqa: BLE001 - Redis gone: the key expires on its own (ONCE_TTL)
                log.warning("could not free the key of a failed enqueue", extra={"key": key})
            raise

    def enqueue_held(self, key: str, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        """The job running under ``key`` delivers its successor under the same key (its life renewed), after
        ``delay_seconds`` if given (at most ``ONCE_TTL`` / 2, so the key outlives the wait)."""
        check_job(job)
        self.redis.set(self._once_key(key), b"1", ex=ONCE_TTL)
        self.enqueue(job, *args, delay_seconds=min(delay_seconds, ONCE_TTL / 2))

    def release(self, key: str) -> None:
        """The job delivered under ``key`` (``enqueue_once``) is done: the next ``enqueue_once`` queues."""
        self.redis.delete(self._once_key(key))

    def holds(self, key: str) -> bool:
        """Whether a job delivered under ``key`` is waiting or running (or was lost less than ``ONCE_TTL`` ago)."""
        return bool(self.redis.exists(self._once_key(key)))

    def _once_key(self, key: str) -> str:
        return f"connector:once:{self.queue.name}:{key}"

    def push_run(self, run_id: int, job: str, args: tuple[Any, ...], delay_seconds: float = 0.0) -> None:
        """Deliver a recorded run (connector/db/job_runs.py) under the RQ job id ``jobrun-<run_id>``."""
        check_job(job)
        self._put(run_recorded, (run_id, job, *args), job, args, delay_seconds,
                  {"job_id": f"{JOB_ID_PREFIX}{run_id}"})

    def _put(self, function: Any, call_args: tuple[Any, ...], job: str, args: tuple[Any, ...],
             delay_seconds: float, extra: dict[str, Any]) -> None:
        policy = policy_for(job)
        options: dict[str, Any] = {"retry": rq_retry(policy), "job_timeout": policy.timeout,
                                   "result_ttl": RESULT_TTL, "failure_ttl": FAILURE_TTL,
                                   "description": f"{job}{tuple(args)!r}", **extra}
        if delay_seconds > 0:
            self.queue.enqueue_in(timedelta(seconds=delay_seconds), function, *call_args, **options)
            return
        # one round trip: RQ's enqueue sends the queue's registration and the job (its hash and the
        # push) as two transactions unless it is handed a pipeline; this runs for every webhook
        with self.redis.pipeline() as batch:
            self.queue.enqueue(function, *call_args, pipeline=batch, **options)
            batch.execute()

    def is_live(self, run_id: int) -> bool:
        """Whether Redis still holds the run: waiting, scheduled (a retry) or started by a worker that
        is still registered. False after FLUSHALL or a Redis restart without persistence."""
        try:
            job = Job.fetch(f"{JOB_ID_PREFIX}{run_id}", connection=self.redis)
        except NoSuchJobError:
            return False
        status = job.get_status(refresh=False)
        if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            return True
        if status == JobStatus.STARTED and job.worker_name:
            # the run's own heartbeat decides for claimed runs; this covers a worker that took the job
            # but has not claimed the row yet
            return bool(self.redis.exists(SimpleWorker.redis_worker_namespace_prefix + job.worker_name))
        return False

    def oldest_waiting_at(self) -> datetime | None:
        """When the job at the head of the queue was enqueued (UTC), or None if nothing waits.

        The queue is first in, first out: whatever was enqueued after the head is still waiting too,
        which lets the sweeper tell a backlog from a loss (jobs/sweep.py)."""
        ids = self.queue.get_job_ids(0, 1)
        if not ids:
            return None
        try:
            enqueued = Job.fetch(ids[0], connection=self.redis).enqueued_at
        except NoSuchJobError:
            return None
        if enqueued is None:
            return None
        return enqueued if enqueued.tzinfo else enqueued.replace(tzinfo=UTC)

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


class ConnectorWorker(SimpleWorker):
    """RQ's SimpleWorker (jobs run in this process, one at a time: no fork per job, the container built
    once; a job's timeout is still enforced by RQ's SIGALRM death penalty in the main thread, and a job
    that raises is recorded failed and retried by its policy without touching the next) with fewer
    Redis round trips per job.

    RQ refreshes the worker's key with three separate commands around every job (three heartbeats an
    event: nine round trips) and writes its idle state twice. Here a heartbeat outside RQ's own
    pipelines is sent as one pipeline and at most every ``HEARTBEAT_SECONDS`` (the key lives
    ``worker_ttl`` + 60 s, 480 s by default, so liveness as the sweeper reads it is unchanged: the key
    is there while the worker runs and goes once it stops), and a state it already holds is not
    written again. Heartbeats with an explicit timeout (while a job is monitored) always go out."""

    HEARTBEAT_SECONDS = 5.0
    """Shortest interval between two plain heartbeats of an otherwise busy worker."""

    _last_beat = 0.0

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
            return
        beat = time.monotonic()
        if timeout is None and beat - self._last_beat < self.HEARTBEAT_SECONDS:
            return
        with self.connection.pipeline() as batch:
            super().heartbeat(timeout, pipeline=batch)
            batch.execute()
        self._last_beat = beat

    PUBSUB_WAKE_SECONDS = 1.0
    """How long the worker's pubsub thread (RQ's commands channel) waits for a message before it looks
    whether it is to stop (RQ: 60 s)."""

    def subscribe(self) -> None:
        """RQ's subscription to the worker's commands channel, with a thread that wakes every
        ``PUBSUB_WAKE_SECONDS``. redis-py 8's ``PubSubWorkerThread.stop()`` waits for the thread to end, and
        the thread waits ``sleep_time`` for a message: when it had already read the reply to RQ's
        UNSUBSCRIBE before the stop flag was set (a race that a loaded machine wins), a worker's teardown
        waited out RQ's 60 s, so a ``--burst`` worker or a warm stop hung for a minute after its last job
        (CI of 2026-12-04)."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # RQ annotates it None
            sleep_time=self.PUBSUB_WAKE_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler)

    def set_state(self, state: str, pipeline: Any = None) -> None:
        if pipeline is None and state == getattr(self, "_state", None):
            return
        super().set_state(state, pipeline=pipeline)

    def handle_job_success(self, job: Job, queue: Queue, started_job_registry: Any, execution: Any) -> None:
        """A finished job that keeps no result (every unrecorded job: ``RQQueue.enqueue``, one a webhook)
        is forgotten in one transaction.

        RQ's own path watches the job's dependents key (a round trip) and, to delete the job, reads its
        status and then its executions twice (six more): about nine round trips an event. This queue never
        enqueues with ``depends_on`` or ``repeat`` and runs one execution of a job at a time (SimpleWorker;
        an earlier attempt's execution is deleted when it ends), so the keys to delete are known: the
        job's hash and its result, dependents and dependencies keys, this execution (its key, its entry
        in the started registry, the job's execution registry and the worker's executions set) and the
        worker's counters, as RQ writes them. Anything else (a result kept, a repeat, a rate limit)
        takes RQ's path."""
        if (job.get_result_ttl(self.default_result_ttl) != 0 or job.repeats_left or job.has_rate_limit
                or job._dependency_ids):
            super().handle_job_success(job, queue, started_job_registry, execution)
            return
        from rq.executions import ExecutionRegistry
        from rq.results import Result

        with self.connection.pipeline() as batch:
            self.increment_successful_job_count(pipeline=batch)
            if job.ended_at is not None and job.started_at is not None:
                self.increment_total_working_time(job.ended_at - job.started_at, batch)
            self.cleanup_execution(job, pipeline=batch, execution=execution)
            batch.delete(job.key, job.dependents_key, job.dependencies_key, Result.get_key(job.id),
                         ExecutionRegistry(job_id=job.id, connection=self.connection).key)
            batch.execute()
        job._status = JobStatus.FINISHED


def run_worker(redis_url: str, *, burst: bool = False, name: str | None = None,
               queue_name: str = QUEUE_NAME, max_jobs: int | None = None) -> bool:
    """Work jobs in this process until stopped (or, with ``burst``, until the queue is empty).

    A ConnectorWorker (RQ's SimpleWorker with fewer round trips) runs jobs in this process, so the
    container (engine pool, platform clients) is built once, not forked per job. It also runs RQ's
    scheduler for delayed jobs and retries.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    wait = 0.5
    while True:
        redis = connect(redis_url)
        try:
            worker = ConnectorWorker([Queue(queue_name, connection=redis)], connection=redis, name=name)
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
