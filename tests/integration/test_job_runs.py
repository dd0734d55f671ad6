"""The job-run record on the embedded queue, on SQLite and the real PostgreSQL: durable one-off jobs
are recorded, run once, retried by policy, swept after a lost queue or a restart, pruned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from adapters.queue.inline import InlineQueue
from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.db import job_runs as runs
from connector.db import job_runs_sweep as run_sweep
from connector.db.models_jobs import JobRun
from connector.domain.clock import utcnow
from connector.job_refs import POLICY_ATTRIBUTE, RetryPolicy
from jobs import install as install_jobs
from jobs import runtime
from jobs.sweep import sweep
from tests.support.job_runs_support import EMAIL_EXPORT, SmtpSink, shop_with_export


def settings_for(database_url: str, smtp_url: str | None = None) -> Settings:
    return Settings(database_url=database_url, secret_key=generate_key(), smtp_url=smtp_url, worker_threads=2,
                    log_level="WARNING", event_lease_seconds=5, allow_private_targets=True)


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def containers():  # type: ignore[no-untyped-def]
    made: list[Container] = []

    def make(settings: Settings, **kwargs: Any) -> Container:
        container = bootstrap(settings, auto_upgrade=True, **kwargs)
        made.append(container)
        return container

    yield make
    for container in reversed(made):
        container.close()


def run_row(c: Container, run_id: int) -> JobRun:
    with c.uow() as uow:
        assert uow.session is not None
        row = uow.session.get(JobRun, run_id)
        assert row is not None
        uow.session.expunge(row)
        return row


class RecordingRunQueue:
    """Records the runs it is handed; ``hold`` makes is_live block until released (a slow sweeper)."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.pushed: list[int] = []
        self.hold = hold
        self.inside = threading.Event()

    def push_run(self, run_id: int, job: str, args: tuple[Any, ...], delay_seconds: float = 0.0) -> None:
        self.pushed.append(run_id)

    def is_live(self, run_id: int) -> bool:
        self.inside.set()
        if self.hold is not None:
            assert self.hold.wait(20)
        return False

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        raise AssertionError("scheduled path not expected")


def test_a_durable_email_export_is_recorded_runs_once_and_is_marked_done(database_url, smtp, containers):
    c = containers(settings_for(database_url, smtp.url), start_workers=True)
    shop_id, export_id = shop_with_export(c)
    run_id = runtime.enqueue_run(c, EMAIL_EXPORT, export_id, shop_id=shop_id)
    assert run_id is not None
    assert c.queue.wait_idle(15)
    row = run_row(c, run_id)
    assert (row.status, row.attempts, row.job, row.args, row.shop_id) == ("done", 1, EMAIL_EXPORT, [export_id], shop_id)
    assert row.finished_at is not None and len(smtp.accepted) == 1
    assert sweep(grace_seconds=0) == 0 and len(smtp.accepted) == 1


def test_runs_left_pending_by_a_stopped_process_run_once_after_a_restart(database_url, smtp, containers):
    settings = settings_for(database_url, smtp.url)
    before = containers(settings, queue=InlineQueue(2))  # never started: its memory dies with the process
    shop_id, export_id = shop_with_export(before)
    run_id = runtime.enqueue_run(before, EMAIL_EXPORT, export_id, shop_id=shop_id)
    assert run_id is not None and before.queue.is_live(run_id)
    before.close()
    assert run_row(before, run_id).status == "pending" and smtp.accepted == []

    after = containers(settings, start_workers=True)  # the restarted process sweeps at start (connector serve)
    assert sweep(grace_seconds=0) == 1
    assert after.queue.wait_idle(15)
    row = run_row(after, run_id)
    assert (row.status, row.attempts, row.requeues) == ("done", 1, 1) and len(smtp.accepted) == 1
    assert sweep(grace_seconds=0) == 0
    assert after.queue.wait_idle(5) and len(smtp.accepted) == 1


def test_a_failing_run_is_retried_by_its_policy_and_failed_only_when_the_retries_are_spent(
        database_url, containers, monkeypatch):
    monkeypatch.setattr(install_jobs.email_export, POLICY_ATTRIBUTE, RetryPolicy(retries=2, intervals=(1,), timeout=10))
    c = containers(settings_for(database_url, "smtp://127.0.0.1:9"), start_workers=True)  # nothing listens
    shop_id, export_id = shop_with_export(c)
    run_id = runtime.enqueue_run(c, EMAIL_EXPORT, export_id, shop_id=shop_id)
    assert run_id is not None
    assert c.queue.wait_idle(10)
    first = run_row(c, run_id)
    assert (first.status, first.attempts) == ("pending", 1) and "ConnectionRefusedError" in (first.last_error or "")
    assert first.due_at > utcnow()  # the retry is waiting: the sweeper leaves it alone meanwhile
    assert sweep(grace_seconds=0) == 0
    deadline = time.monotonic() + 15
    while run_row(c, run_id).status != "failed" and time.monotonic() < deadline:
        time.sleep(0.2)
    last = run_row(c, run_id)
    assert (last.status, last.attempts) == ("failed", 3) and last.finished_at is not None


def test_two_sweepers_at_once_queue_a_lost_run_once(database_url, containers):
    c = containers(settings_for(database_url))
    ids = [runs.enqueue_run(c.engine, RecordingRunQueue(), EMAIL_EXPORT, [n]) for n in range(3)]
    with c.engine.begin() as connection:  # lost: pending for an hour
        connection.execute(update(JobRun).values(due_at=utcnow() - timedelta(hours=1)))
    release = threading.Event()
    slow, fast = RecordingRunQueue(hold=release), RecordingRunQueue()
    reports: dict[str, run_sweep.SweepReport] = {}

    def sweeper(name: str, queue: RecordingRunQueue) -> None:
        reports[name] = run_sweep.sweep_runs(c.engine, queue, grace=timedelta(seconds=10), lease=timedelta(seconds=5),
                                        max_starts=lambda job: 5)

    first = threading.Thread(target=sweeper, args=("slow", slow))
    first.start()
    assert slow.inside.wait(10)  # the first sweeper holds its claimed rows
    second = threading.Thread(target=sweeper, args=("fast", fast))
    second.start()
    second.join(timeout=1)  # PostgreSQL: skips the locked rows at once; SQLite: waits for the write lock
    release.set()
    first.join(timeout=20)
    second.join(timeout=20)
    assert sorted(slow.pushed + fast.pushed) == sorted(ids)
    assert reports["slow"].requeued + reports["fast"].requeued == 3


def test_many_sweepers_together_queue_each_lost_run_exactly_once(database_url, containers):
    c = containers(settings_for(database_url))
    ids = [runs.enqueue_run(c.engine, RecordingRunQueue(), EMAIL_EXPORT, [n]) for n in range(40)]
    with c.engine.begin() as connection:
        connection.execute(update(JobRun).values(due_at=utcnow() - timedelta(hours=1)))
    queues = [RecordingRunQueue() for _ in range(4)]
    barrier = threading.Barrier(len(queues))

    def sweeper(queue: RecordingRunQueue) -> None:
        barrier.wait()
        run_sweep.sweep_runs(c.engine, queue, grace=timedelta(seconds=10), lease=timedelta(seconds=5),
                        max_starts=lambda job: 5)

    threads = [threading.Thread(target=sweeper, args=(q,)) for q in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    pushed = [run_id for q in queues for run_id in q.pushed]
    assert sorted(pushed) == sorted(ids)


def test_a_run_whose_worker_stopped_beating_is_queued_again_then_given_up_after_its_starts(database_url, containers):
    c = containers(settings_for(database_url))
    queue = RecordingRunQueue()
    run_id = runs.enqueue_run(c.engine, queue, EMAIL_EXPORT, [1])
    assert run_id is not None
    assert runs.claim(c.engine, run_id, "dead-worker", timedelta(seconds=5)) == 1
    sweep_now: dict[str, Any] = {"grace": timedelta(seconds=30), "lease": timedelta(seconds=5),
                                 "max_starts": lambda job: 2}
    assert run_sweep.sweep_runs(c.engine, queue, **sweep_now).requeued == 0  # still beating
    with c.engine.begin() as connection:
        connection.execute(update(JobRun).values(heartbeat_at=utcnow() - timedelta(seconds=6)))
    assert run_sweep.sweep_runs(c.engine, queue, **sweep_now).requeued == 1
    assert run_row(c, run_id).status == "pending" and queue.pushed == [run_id, run_id]
    assert not runs.heartbeat(c.engine, run_id, "dead-worker")  # the old claim can no longer touch it
    assert runs.claim(c.engine, run_id, "second", timedelta(seconds=5)) == 2
    with c.engine.begin() as connection:
        connection.execute(update(JobRun).values(heartbeat_at=utcnow() - timedelta(seconds=6)))
    report = run_sweep.sweep_runs(c.engine, queue, **sweep_now)
    row = run_row(c, run_id)
    assert (report.requeued, report.given_up, row.status) == (0, 1, "failed")
    assert "given up: started 2 times" in (row.last_error or "")


def test_a_finished_run_delivered_again_does_nothing(database_url, containers):
    c = containers(settings_for(database_url))
    run_id = runs.enqueue_run(c.engine, RecordingRunQueue(), EMAIL_EXPORT, [1])
    assert run_id is not None
    calls: list[int] = []
    options: dict[str, Any] = {"lease": timedelta(seconds=5), "retry_in": lambda starts: None}
    assert runs.execute(c.engine, run_id, lambda: calls.append(1) or "sent", **options) == "sent"
    assert runs.execute(c.engine, run_id, lambda: calls.append(2), **options) == runs.SKIPPED
    assert calls == [1] and run_row(c, run_id).status == "done"


def test_coalesced_requests_join_the_waiting_run_until_a_worker_starts_it(database_url, containers):
    c = containers(settings_for(database_url))
    queue = RecordingRunQueue()
    first = runs.enqueue_run(c.engine, queue, "jobs.supply.refresh_dates", [7], coalesce=True)
    assert runs.enqueue_run(c.engine, queue, "jobs.supply.refresh_dates", [7], coalesce=True) is None
    other = runs.enqueue_run(c.engine, queue, "jobs.supply.refresh_dates", [8], coalesce=True)
    assert first is not None and other is not None and queue.pushed == [first, other]
    assert runs.claim(c.engine, first, "w", timedelta(seconds=5)) == 1  # started: later changes need a new run
    again = runs.enqueue_run(c.engine, queue, "jobs.supply.refresh_dates", [7], coalesce=True)
    assert again not in (None, first)


def test_a_run_recorded_in_the_callers_transaction_is_queued_only_when_it_commits(database_url, containers):
    c = containers(settings_for(database_url))
    queue = RecordingRunQueue()
    with c.uow() as uow:
        runs.enqueue_run(c.engine, queue, EMAIL_EXPORT, [1], session=uow.session)
        uow.rollback()
    with c.uow() as uow:
        kept = runs.enqueue_run(c.engine, queue, EMAIL_EXPORT, [2], session=uow.session)
        assert queue.pushed == []
        uow.commit()
    assert queue.pushed == [kept]
    with c.uow() as uow:
        assert uow.session is not None
        assert [tuple(r) for r in uow.session.execute(select(JobRun.id, JobRun.args))] == [(kept, [2])]
    with c.uow() as uow, pytest.raises(ValueError, match="after the commit"):
        runs.enqueue_run(c.engine, queue, EMAIL_EXPORT, [3], session=uow.session, coalesce=True)
    with pytest.raises(ValueError, match="JSON"):
        runs.enqueue_run(c.engine, queue, EMAIL_EXPORT, [object()])


def test_old_finished_runs_are_pruned_done_after_seven_days_failed_after_thirty(database_url, containers):
    c = containers(settings_for(database_url))
    now = utcnow()
    ages = {"done": [1, 8], "failed": [8, 31]}
    with c.uow() as uow:
        assert uow.session is not None
        for status, days in ages.items():
            for age in days:
                uow.session.add(JobRun(job=EMAIL_EXPORT, args=[age], status=status, attempts=1, requeues=0,
                                       enqueued_at=now, due_at=now, finished_at=now - timedelta(days=age)))
        uow.session.add(JobRun(job=EMAIL_EXPORT, args=[0], status="pending", attempts=0, requeues=0,
                               enqueued_at=now - timedelta(days=40), due_at=now - timedelta(days=40)))
        uow.commit()
    assert run_sweep.prune(c.engine) == 2
    left = sorted((r["status"], r["args"][0]) for r in run_sweep.recent(c.engine))
    assert left == [("done", 1), ("failed", 8), ("pending", 0)]
    assert run_sweep.counts(c.engine) == {"pending": 1, "running": 0, "done": 1, "failed": 1}


RESTARTED_PROCESS = """
import sys, time
from connector.bootstrap import bootstrap
from connector.config import load_settings
from jobs.runtime import enqueue_run
c = bootstrap(load_settings(), start_workers=True)
print(enqueue_run(c, sys.argv[1], int(sys.argv[2]), shop_id=int(sys.argv[3])), flush=True)
time.sleep(120)
"""


def test_an_embedded_process_killed_mid_job_leaves_a_run_the_next_process_finishes_once(database_url, containers,
                                                                                       tmp_path):
    settings = settings_for(database_url)
    with SmtpSink(stall_first=True) as smtp:
        settings = settings.with_overrides(smtp_url=smtp.url)
        c = containers(settings)
        shop_id, export_id = shop_with_export(c)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "REDIS", "DATABASE"))}
        env.update({"DATABASE_URL": settings.database_url, "CONNECTOR_SECRET_KEY": settings.secret_key or "",
                    "CONNECTOR_SMTP_URL": smtp.url, "CONNECTOR_EVENT_LEASE_SECONDS": "5",
                    "CONNECTOR_WORKER_THREADS": "2", "CONNECTOR_LOG_LEVEL": "WARNING",
                    "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"})
        process = subprocess.Popen([sys.executable, "-c", RESTARTED_PROCESS, EMAIL_EXPORT, str(export_id),
                                    str(shop_id)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=tmp_path)
        try:
            assert smtp.data_seen.wait(30), "the first process never reached the SMTP server"
            run_id = int((process.stdout.readline() if process.stdout else b"").strip())
            assert run_row(c, run_id).status == "running"
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        restarted = containers(settings, start_workers=True)
        deadline = time.monotonic() + 20
        while sweep(grace_seconds=0) == 0 and time.monotonic() < deadline:  # waits out the 5-second lease
            time.sleep(0.5)
        assert restarted.queue.wait_idle(20)
        row = run_row(restarted, run_id)
        assert (row.status, row.attempts, row.requeues) == ("done", 2, 1) and len(smtp.accepted) == 1
        assert sweep(grace_seconds=0) == 0 and len(smtp.accepted) == 1
