"""Recorded job runs on RQ with real processes: a FLUSHALL before any worker took the job, and a
worker killed with SIGKILL in the middle of the job. Real PostgreSQL, a redis-server of the test's
own (FLUSHALL never reaches the shared server), real SMTP; the e-mail goes out once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from adapters.queue.rq_queue import RQQueue, run_worker
from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.db.models_jobs import JobRun
from jobs import runtime
from jobs.sweep import sweep
from tests.support.job_runs_support import EMAIL_EXPORT, SmtpSink, shop_with_export
from tests.support.scale_support import BIN

LEASE_SECONDS = 5


@pytest.fixture
def deployment(postgres_url, spare_redis, tmp_path):  # type: ignore[no-untyped-def]
    made: dict[str, Any] = {"processes": []}

    def make(smtp_url: str) -> Container:
        settings = Settings(database_url=postgres_url, redis_url=spare_redis, secret_key=generate_key(),
                            smtp_url=smtp_url, log_level="WARNING", event_lease_seconds=LEASE_SECONDS,
                            allow_private_targets=True)
        container = bootstrap(settings, queue=RQQueue(spare_redis), auto_upgrade=True)
        made["container"] = container
        return container

    yield make, made["processes"]
    for process in made["processes"]:
        kill9(process)
    if "container" in made:
        made["container"].close()


def run_row(c: Container, run_id: int) -> JobRun:
    with c.uow() as uow:
        assert uow.session is not None
        row = uow.session.get(JobRun, run_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def spawn_worker(c: Container, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    s = c.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SENTRY", "REDIS", "DATABASE"))}
    env.update({"DATABASE_URL": s.database_url, "REDIS_URL": s.redis_url or "",
                "CONNECTOR_SECRET_KEY": s.secret_key or "", "CONNECTOR_SMTP_URL": s.smtp_url or "",
                "CONNECTOR_EVENT_LEASE_SECONDS": str(LEASE_SECONDS),
                "CONNECTOR_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"})
    log = open(tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([str(BIN / "connector"), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, cwd=tmp)
    log.close()
    return process


def kill9(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and whatever it started (RQ's scheduler), like a lost machine."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def test_an_email_export_lost_to_flushall_is_queued_again_by_the_sweeper_and_sent_once(deployment):
    make, _ = deployment
    with SmtpSink() as smtp:
        c = make(smtp.url)
        shop_id, export_id = shop_with_export(c)
        run_id = runtime.enqueue_run(c, EMAIL_EXPORT, export_id, shop_id=shop_id)
        assert run_id is not None and c.queue.is_live(run_id)
        assert sweep(grace_seconds=0) == 0  # still in Redis: nothing to do
        Redis.from_url(c.settings.redis_url).flushall()  # before any worker took it
        assert not c.queue.is_live(run_id)
        assert sweep(grace_seconds=0) == 1
        assert sweep(grace_seconds=0) == 0  # queued again once, and now live
        run_worker(c.settings.redis_url or "", burst=True)
        row = run_row(c, run_id)
        assert (row.status, row.attempts, row.requeues) == ("done", 1, 1) and len(smtp.accepted) == 1
        assert sweep(grace_seconds=0) == 0
        run_worker(c.settings.redis_url or "", burst=True)
        assert len(smtp.accepted) == 1


def test_a_worker_killed_mid_job_is_swept_and_the_export_is_sent_once(deployment, tmp_path):
    make, processes = deployment
    with SmtpSink(stall_first=True) as smtp:
        c = make(smtp.url)
        shop_id, export_id = shop_with_export(c)
        run_id = runtime.enqueue_run(c, EMAIL_EXPORT, export_id, shop_id=shop_id)
        assert run_id is not None
        worker = spawn_worker(c, tmp_path, "w1")
        processes.append(worker)
        assert smtp.data_seen.wait(30), (tmp_path / "w1.log").read_text(errors="replace")
        assert run_row(c, run_id).status == "running"  # inside the job: the e-mail is on the wire
        kill9(worker)
        assert sweep(grace_seconds=0) == 0  # its heartbeat is still fresh
        assert wait_for(lambda: sweep(grace_seconds=0) == 1, LEASE_SECONDS * 3)
        replacement = spawn_worker(c, tmp_path, "w2")
        processes.append(replacement)
        assert wait_for(lambda: run_row(c, run_id).status == "done", 30), (tmp_path / "w2.log").read_text(
            errors="replace")
        row = run_row(c, run_id)
        assert (row.attempts, row.requeues) == (2, 1)
        assert len(smtp.accepted) == 1
        time.sleep(LEASE_SECONDS + 1)
        assert sweep(grace_seconds=0) == 0 and len(smtp.accepted) == 1


def test_on_rq_a_failing_run_waits_pending_for_its_retry_and_fails_when_the_retries_are_spent(
        deployment, monkeypatch):
    from connector.job_refs import POLICY_ATTRIBUTE, RetryPolicy
    from jobs import install as install_jobs

    monkeypatch.setattr(install_jobs.email_export, POLICY_ATTRIBUTE, RetryPolicy(retries=1, intervals=(1,), timeout=30))
    make, _ = deployment
    c = make("smtp://127.0.0.1:9")  # nothing listens: every send is refused
    shop_id, export_id = shop_with_export(c)
    run_id = runtime.enqueue_run(c, EMAIL_EXPORT, export_id, shop_id=shop_id)
    assert run_id is not None
    run_worker(c.settings.redis_url or "", burst=True)
    first = run_row(c, run_id)
    assert (first.status, first.attempts) == ("pending", 1) and "ConnectionRefusedError" in (first.last_error or "")
    assert c.queue.is_live(run_id) and sweep(grace_seconds=0) == 0  # RQ holds the retry: not queued twice
    time.sleep(1.5)
    run_worker(c.settings.redis_url or "", burst=True)  # its scheduler moves the due retry in, then runs it
    last = run_row(c, run_id)
    assert (last.status, last.attempts) == ("failed", 2) and last.finished_at is not None
    assert sweep(grace_seconds=0) == 0
