"""Where people see job runs: `connector jobs runs` (a real process) and the /metrics gauge."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta

from sqlalchemy import update

from connector.bootstrap import bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.db.models_jobs import JobRun
from connector.domain.clock import utcnow
from jobs import runtime
from tests.e2e.test_cli import CONNECTOR
from tests.support.job_runs_support import EMAIL_EXPORT
from tests.support.webapp import make_webapp


def sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


def test_metrics_count_the_pending_and_running_job_runs(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/m.db")
    try:
        for export_id in (1, 2, 3):
            runtime.enqueue_run(web.container, EMAIL_EXPORT, export_id)
        with web.container.engine.begin() as connection:
            connection.execute(update(JobRun).where(JobRun.args == [3]).values(status="running"))
        text = web.client.get("/metrics").get_data(as_text=True)
        assert sample(text, 'connector_job_runs{status="pending"}') == 2
        assert sample(text, 'connector_job_runs{status="running"}') == 1
    finally:
        web.container.close()


def test_jobs_runs_lists_recent_runs_with_counts_and_filters_by_status(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    key = generate_key()
    c = bootstrap(Settings(database_url=url, secret_key=key, worker_threads=0, allow_private_targets=True),
                  auto_upgrade=True,
                  bind_jobs=False)
    try:
        first = runtime.enqueue_run(c, EMAIL_EXPORT, 11)
        runtime.enqueue_run(c, EMAIL_EXPORT, 12)
        with c.engine.begin() as connection:
            connection.execute(update(JobRun).where(JobRun.id == first).values(
                status="failed", finished_at=utcnow() - timedelta(minutes=1), last_error="SMTPDataError: 554 no"))
    finally:
        c.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "DATABASE_URL", "REDIS_URL"))}
    env.update({"DATABASE_URL": url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_LOG_LEVEL": "WARNING"})

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CONNECTOR, "jobs", "runs", *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)

    listed = json.loads(cli("--json").stdout)
    assert listed["counts"] == {"pending": 1, "running": 0, "done": 0, "failed": 1}
    assert [(r["args"], r["status"]) for r in listed["runs"]] == [([12], "pending"), ([11], "failed")]
    failed = cli("--status", "failed")
    assert failed.returncode == 0 and "SMTPDataError: 554 no" in failed.stdout and "[12]" not in failed.stdout
    bad = cli("--status", "lost")
    assert bad.returncode == 2 and "lost" in bad.stderr
