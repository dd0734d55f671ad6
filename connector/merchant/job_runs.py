"""The Jobs page's port and queries: which jobs a merchant may run (``MerchantJobs``, implemented by
jobs/merchant.py and handed to the app by create_app, since a feature never imports jobs/), and their
recorded runs for one shop from the job-run ledger (table job_runs: connector/db/job_runs.py).

Only runs recorded in the ledger are shown: those asked for (run now, `connector jobs run`, follow-ups
after a change such as a supplier poll that changed dates). The clock's periodic fan-outs are not
recorded (jobs/schedules.py): the next tick asks for the same work again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from flask import current_app
from sqlalchemy import select

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


class MerchantJobs(Protocol):
    def kinds(self, platform: str) -> Sequence[JobKind]:
        """The jobs a merchant of ``platform`` may run, in the page's order."""
        ...

    def run_now(self, shop_id: int, name: str) -> list[int]:
        """Record and queue the job for the shop (one run, or one per supplier); returns the run ids.
        Raises UnknownJob (not on the list for the shop's platform) or NothingToRun."""
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
                "seconds": self.seconds, "result": self.result, "error": self.last_error, "finished": self.finished}


_COLUMNS = (JobRun.id, JobRun.job, JobRun.args, JobRun.status, JobRun.attempts, JobRun.enqueued_at,
            JobRun.started_at, JobRun.finished_at, JobRun.result, JobRun.last_error)


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
