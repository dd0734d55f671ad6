"""The Jobs page (/app/jobs): each job on the merchant's list with its last run, its next scheduled run
for this shop, its recent runs (when, who started them: the schedule, run now, a store event, another
job; how long, what they returned, errors in plain words) from the job-run ledger, and "run now": a
POST records and queues the job (jobs/merchant.py, the same path as `connector jobs run NAME --shop S`);
the page then follows the runs' status through /app/jobs/progress (JSON, polled by static/jobs.js) or a
plain reload link.
"""

from __future__ import annotations

from flask import g, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from connector.domain.clock import utcnow
from connector.domain.errors import NothingToRun, UnknownJob
from connector.merchant import run_words
from connector.merchant.job_runs import JobRunRepository, merchant_jobs
from connector.merchant.shell import app_link, container, merchant_bp, merchant_view, render_page

RUNS_PER_JOB = 8
MAX_FOLLOWED = 50


def _run_ids(raw: str | None) -> list[int]:
    ids = []
    for part in (raw or "").split(","):
        if part.strip().isdigit():
            ids.append(int(part))
    return ids[:MAX_FOLLOWED]


@merchant_bp.get("/jobs")
@merchant_view
def jobs_page() -> ResponseReturnValue:
    shop_id = g.merchant.shop_id
    jobs = merchant_jobs()
    kinds = jobs.kinds(g.merchant.platform)
    followed = _run_ids(request.args.get("runs"))
    with container().uow() as uow:
        runs = uow.repo(JobRunRepository)
        recent = {kind.name: runs.recent(shop_id, kind.refs, RUNS_PER_JOB) for kind in kinds}
        failed = {kind.name: runs.last_failed(shop_id, kind.refs) for kind in kinds}
        started = runs.runs(shop_id, followed)
    planned = jobs.planned(shop_id, g.merchant.platform)
    labels = {ref: kind.label for kind in kinds for ref in kind.refs[:1]}
    return render_page("jobs.html", kinds=kinds, recent=recent, failed=failed, planned=planned, now=utcnow(),
                       labels=labels, plain_error=run_words.plain_error,
                       started_by=lambda trigger: run_words.started_by(trigger, labels), started=started,
                       started_kind=request.args.get("job"), error=request.args.get("error"),
                       progress_url=app_link("/app/jobs/progress", runs=",".join(str(r.id) for r in started)),
                       reload_url=app_link("/app/jobs", runs=",".join(map(str, followed)),
                                           job=request.args.get("job")))


@merchant_bp.post("/jobs/run")
@merchant_view
def run_job() -> ResponseReturnValue:
    name = request.form.get("job", "")
    try:
        run_ids = merchant_jobs().run_now(g.merchant.shop_id, name)
    except (UnknownJob, NothingToRun) as exc:
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"error": str(exc)}), 400
        return redirect(app_link("/app/jobs", job=name, error=str(exc)), code=303)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"runs": run_ids})
    return redirect(app_link("/app/jobs", job=name, runs=",".join(map(str, run_ids))) + "#started", code=303)


@merchant_bp.get("/jobs/progress")
@merchant_view
def jobs_progress() -> ResponseReturnValue:
    """The status of the runs asked for (this shop's only): {"runs": [...], "finished": bool}."""
    with container().uow() as uow:
        lines = uow.repo(JobRunRepository).runs(g.merchant.shop_id, _run_ids(request.args.get("runs")))
    return jsonify({"runs": [line.as_json() for line in lines],
                    "finished": all(line.finished for line in lines)})
