"""What issue 17's burst work relies on, on a real Redis and real processes: a webhook's enqueue is one
round trip to Redis (and the job it leaves is worked as before), a finished job is forgotten in one
transaction, and ``connector worker --nice`` (the Procfile asks for 19) lowers its
own CPU priority as configured, so that on one machine answering webhooks comes first. The bench's
verdict lines are checked against figures on both sides of each target."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job

from adapters.queue.rq_queue import ConnectorWorker, RQQueue
from jobs.events import PROCESS_EVENT

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def commands(redis: Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in redis.info("commandstats").items()}


def test_an_enqueue_is_one_transaction_and_leaves_a_job_the_worker_runs(spare_redis):
    queue = RQQueue(spare_redis, name="burst-test")
    redis = Redis.from_url(spare_redis)
    queue.enqueue(PROCESS_EVENT, 1)  # the queue registers itself; connections are made
    redis.config_resetstat()

    for event_id in range(2, 12):
        queue.enqueue(PROCESS_EVENT, event_id)

    used = commands(redis)
    assert used.get("exec") == 10 and used.get("multi") == 10  # one transaction an enqueue
    assert used.get("rpush") == 10
    assert queue.queue.count == 11
    job = queue.queue.jobs[-1]
    assert job.args == (PROCESS_EVENT, 11) and job.result_ttl == 0 and job.timeout is not None
    queue.stop()
    redis.close()


def test_a_job_enqueued_in_one_transaction_is_worked_and_leaves_nothing_behind(spare_redis):
    queue = RQQueue(spare_redis, name="burst-test")
    redis = Redis.from_url(spare_redis)
    # the enqueue path of every job (RQQueue._put), with a function that needs no container
    queue._put(len, ("abc",), PROCESS_EVENT, (), 0.0, {"result_ttl": 0})

    assert ConnectorWorker([queue.queue], connection=redis).work(burst=True)

    assert queue.queue.count == 0 and queue.queue.failed_job_registry.count == 0
    assert queue.queue.finished_job_registry.count == 0 and not redis.keys("rq:job:*")  # no result kept
    queue.stop()
    redis.close()


def test_a_job_that_keeps_no_result_is_forgotten_in_one_transaction_and_others_take_rqs_path(spare_redis):
    redis = Redis.from_url(spare_redis)
    queue = Queue("burst-test", connection=redis)
    forgotten = [queue.enqueue(len, "abc", result_ttl=0) for _ in range(5)]
    redis.config_resetstat()

    assert ConnectorWorker([queue], connection=redis).work(burst=True)

    used = commands(redis)
    assert "watch" not in used and used.get("zrange", 0) <= 1  # no dependents watched, no executions read (RQ: 2 a job)
    assert used["hgetall"] == 5  # each job read once, when dequeued
    for job in forgotten:
        assert not redis.exists(job.key) and not redis.exists(f"rq:executions:{job.id}")
    assert queue.started_job_registry.count == 0 and queue.count == 0

    kept = queue.enqueue(len, "abcd", result_ttl=60)
    failing = queue.enqueue("json.loads", "not json", result_ttl=0)
    assert ConnectorWorker([queue], connection=redis).work(burst=True)

    assert Job.fetch(kept.id, connection=redis).return_value() == 4
    assert failing.id in queue.failed_job_registry.get_job_ids()
    assert queue.started_job_registry.count == 0 and queue.count == 0
    redis.close()


def autogroup_nice() -> str:
    """This process's CFS autogroup nice, or "" where there is none: no such file (not Linux, autogroups
    compiled out), or an empty one, which is what Linux shows a process placed in a cgroup other than the
    root (containers, CI runners: seen in this project's CI)."""
    path = Path("/proc/self/autogroup")
    return (path.read_text().split() or [""])[-1] if path.exists() else ""


def worker_niceness(env: dict[str, str], *args: str, own_session: bool = False) -> tuple[int, str]:
    """The niceness a ``connector worker --burst`` ends with, and its CFS autogroup's nice where Linux has
    autogroups ("" elsewhere), run in a child Python (not this test's), in a session of its own if asked."""
    script = ("import os\n"
              "from connector.cli import main\n"
              f"main(['worker', '--burst', *{list(args)!r}], standalone_mode=False)\n"
              "path = '/proc/self/autogroup'\n"
              "group = (open(path).read().split() or [''])[-1] if os.path.exists(path) else ''\n"
              "print('niceness', os.nice(0), group)\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, start_new_session=own_session)
    assert done.returncode == 0, done.stderr[-2000:]
    _, niceness, *group = done.stdout.strip().splitlines()[-1].split()
    return int(niceness), "".join(group)


def test_connector_worker_lowers_its_own_priority_as_asked_and_keeps_it_by_default(spare_redis, tmp_path):
    from connector.crypto import generate_key

    start = os.nice(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SENTRY", "REDIS", "DATABASE"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'nice.db'}", "REDIS_URL": spare_redis,
                "CONNECTOR_SECRET_KEY": generate_key(), "CONNECTOR_LOG_LEVEL": "WARNING"})
    inherited = autogroup_nice()

    assert worker_niceness(env) == (start, inherited)
    assert worker_niceness(env, "--nice", "19") == (19, inherited)  # this session's group is not the worker's
    assert worker_niceness({**env, "CONNECTOR_WORKER_NICE": "7"})[0] == min(19, start + 7)


def test_a_worker_leading_its_own_session_lowers_its_autogroup_too(spare_redis, tmp_path):
    """With CFS autogroups, sessions compete as groups: a nice worker alone in its session would still get
    as much CPU as the web process's whole session (the bench measured it: 0.52 cores for the workers
    beside 0.24 for web during a burst, at nice 19)."""
    from connector.crypto import generate_key

    if not autogroup_nice():
        pytest.skip("no CFS autogroup here: the kernel has none, or this process sits in a cgroup of its own "
                    "(a container, a CI job), where /proc/self/autogroup reads empty")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SENTRY", "REDIS", "DATABASE"))}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'nice.db'}", "REDIS_URL": spare_redis,
                "CONNECTOR_SECRET_KEY": generate_key(), "CONNECTOR_LOG_LEVEL": "WARNING",
                "CONNECTOR_WORKER_NICE": "12"})

    assert worker_niceness(env, own_session=True) == (min(19, os.nice(0) + 12), "12")


def test_the_burst_bench_says_met_or_missed_for_each_target():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from burst import verdicts
    finally:
        sys.path.remove(str(ROOT / "bench"))

    met = verdicts(800.0, 1900.0, 62.0, 25.0, 70.0, 0, 0, 0)
    assert [line.rsplit(": ", 1)[1] for line in met] == ["met"] * 4
    assert "processed within 2.8x of accept time" in met[2]

    missed = verdicts(600.0, 1900.0, 100.0, 33.0, 120.0, 0, 1, 0)
    assert [line.rsplit(": ", 1)[1] for line in missed] == ["MISSED"] * 4
    assert missed[0].startswith("accepted 0.32 of the bare endpoint")

    unfinished = verdicts(800.0, 1900.0, 50.0, 25.0, 60.0, 5, 0, 0)
    assert unfinished[2].endswith("MISSED") and "5 events still unfinished" in unfinished[2]
    assert "not measured" in verdicts(800.0, None, 50.0, 25.0, 60.0, 0, 0, 0)[0]


def test_the_burst_bench_runs_its_workers_at_the_procfiles_nice():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from burst import PROCFILE_WORKER_NICE
    finally:
        sys.path.remove(str(ROOT / "bench"))

    worker = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    assert worker.split()[1:] == ["connector", "worker", "--nice", str(PROCFILE_WORKER_NICE)]
