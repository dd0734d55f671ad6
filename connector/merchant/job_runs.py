"""The Jobs page's port and queries: which jobs a merchant may run (``MerchantJobs``, implemented by
jobs/merchant.py and handed to the app by create_app, since a feature never imports jobs/), and their
recorded runs for one shop from the job-run ledger (table job_runs: connector/db/job_runs.py).

Every run of a listed job is in the ledger, whoever started it (``trigger``): the clock's schedule, a
retry (the same row, one more start), "run now", `connector jobs run`, a store event, or another run
asking for a follow-up (a supplier poll that changed dates). When the clock runs each job next for the
shop (``Planned``) comes from the MerchantJobs implementation, which knows the schedules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from flask import current_app
from sqlalchemy import select

from connector.db.job_runs_triggers import SCHEDULE
from connector.db.models_jobs import JobRun
from connector.db.repositories import Repository

EXTENSION = "merchant_jobs"
"""Where create_app puts the MerchantJobs implementation (``app.extensions``)."""


@dataclass(frozen=True)
class JobKind:
    """A job on the merchant's list: its name (as `connector jobs run NAME --shop S` takes it), what the
    page calls it, what it does, and the job references whose runs it shows."""

    name: str
    label: str
    help: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    """When the clock runs a job for the shop: its schedule in words and, where it can be told, the next
    start (exact for a daily or cron schedule, estimated from the last scheduled run for an interval)."""

    schedule: str
    next_at: datetime | None = None
    exact: bool = False
    subject: str | None = None
    """What one of several schedules is for (a supplier's name, for its polls)."""


class MerchantJobs(Protocol):
    def kinds(self, platform: str) -> Sequence[JobKind]:
        """The jobs a merchant of ``platform`` may run, in the page's order."""
        ...

    def run_now(self, shop_id: int, name: str) -> list[int]:
        """Record and queue the job for the shop (one run, or one per supplier); returns the run ids.
        Raises UnknownJob (not on the list for the shop's platform) or NothingToRun."""
        ...

    def planned(self, shop_id: int, platform: str) -> Mapping[str, Sequence[Planned]]:
        """Per job name, how the clock schedules it for the shop (empty: not on a schedule)."""
        ...


def merchant_jobs() -> MerchantJobs:
    """The app's MerchantJobs (create_app puts it there)."""
    return cast(MerchantJobs, current_app.extensions[EXTENSION])


@dataclass(frozen=True)
class RunLine:
    id: int
    job: str
    args: list[Any]
    status: str
    attempts: int
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: Any
    last_error: str | None
    trigger: str | None = None
    due_at: datetime | None = None
    requeues: int = 0

    @property
    def seconds(self) -> float | None:
        """How long the last start ran (None until it finished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return max((self.finished_at - self.started_at).total_seconds(), 0.0)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "job": self.job, "status": self.status, "attempts": self.attempts,
                "enqueued_at": self.enqueued_at.isoformat(),
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "seconds": self.seconds, "result": self.result, "error": self.last_error, "finished": self.finished,
                "trigger": self.trigger}


_COLUMNS = (JobRun.id, JobRun.job, JobRun.args, JobRun.status, JobRun.attempts, JobRun.enqueued_at,
            JobRun.started_at, JobRun.finished_at, JobRun.result, JobRun.last_error, JobRun.trigger,
            JobRun.due_at, JobRun.requeues)


class JobRunRepository(Repository):
    """A shop's recorded job runs (reached with ``uow.repo(JobRunRepository)``)."""

    def recent(self, shop_id: int, refs: Collection[str], limit: int = 5) -> list[RunLine]:
        """The newest runs of these job references for the shop, newest first (one indexed query per
        reference: (shop_id, job, id))."""
        lines: list[RunLine] = []
        for ref in refs:
            rows = self.session.execute(select(*_COLUMNS).where(JobRun.shop_id == shop_id, JobRun.job == ref)
                                        .order_by(JobRun.id.desc()).limit(limit))
            lines += [RunLine(*row) for row in rows]
        return sorted(lines, key=lambda line: line.id, reverse=True)[:limit]

    def runs(self, shop_id: int, run_ids: Collection[int]) -> list[RunLine]:
        """These runs, those of the shop only (another shop's id is simply not found)."""
        if not run_ids:
            return []
        rows = self.session.execute(select(*_COLUMNS).where(JobRun.shop_id == shop_id, JobRun.id.in_(run_ids))
                                    .order_by(JobRun.id))
        return [RunLine(*row) for row in rows]

    def last_scheduled(self, shop_id: int, ref: str, args: list[Any] | None = None,
                       look_back: int = 50) -> RunLine | None:
        """The newest run of ``ref`` the clock started for the shop (with these arguments, when given:
        one supplier's polls), among its newest ``look_back`` runs."""
        rows = self.session.execute(select(*_COLUMNS).where(JobRun.shop_id == shop_id, JobRun.job == ref)
                                    .order_by(JobRun.id.desc()).limit(look_back))
        for row in rows:
            line = RunLine(*row)
            if line.trigger == SCHEDULE and (args is None or line.args == args):
                return line
        return None

    def last_failed(self, shop_id: int, refs: Collection[str]) -> RunLine | None:
        """The newest failed run of these job references for the shop (kept KEEP_FAILED: 30 days)."""
        found = [RunLine(*row) for ref in refs for row in self.session.execute(
            select(*_COLUMNS).where(JobRun.shop_id == shop_id, JobRun.job == ref, JobRun.status == "failed")
            .order_by(JobRun.id.desc()).limit(1))]
        return max(found, key=lambda line: line.id) if found else None
