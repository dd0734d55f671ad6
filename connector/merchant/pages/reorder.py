"""The reorder page (/app/reorder, issue 15 item 2): each SKU's reorder advice from the shop's own sales
history as last computed and stored (connector/reorder/stored.py: after the daily fold, after a history
read, or "recompute now"; the page never computes it, so it reads one page of rows at any size), most urgent
first or sorted by SKU or reorder-by date (links: works without JavaScript), each row with its status and
the reasons behind it, and when the advice was computed with "recompute now" (a durable run, joined while
one waits or runs; its progress page like the read's). A shop whose advice was never computed gets the
computation queued on its first visit. And where the sales history read stands, with "read sales history
now", which queues the read job (joining a read already waiting or running) and follows its progress like a
supplier's "poll now" (static/progress.js asks the JSON endpoint; without JavaScript a reload link).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import g, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from connector.domain.reorder import Advice
from connector.merchant.job_runs import JobRunRepository, RunLine
from connector.merchant.shell import app_link, container, merchant_bp, merchant_view, render_page
from connector.reorder.history import HistoryProgress, progress, shop_zone
from connector.reorder.runs import READ_JOB, RECOMPUTE_JOB, request_read, request_recompute
from connector.reorder.stored import advice_page, date_order

PAGE_SIZE = 100
SORTS = (("urgency", "Urgency"), ("sku", "SKU"), ("reorder_by", "Reorder by"))
"""Sortable columns (key, label). Urgency: most urgent first; SKU: A to Z; reorder by: earliest first
(SKUs without a date last); the same link again reverses."""
STATUS_LABELS = {
    "overdue": "reorder now", "soon": "reorder soon", "ok": "ok", "no_stock_figure": "no stock figure",
    "no_lead_time": "no lead time", "slow_mover": "slow mover", "too_little_history": "too little history"}
STATUS_BADGES = {"overdue": "badge-critical", "soon": "badge-warning", "ok": "badge-success",
                 "no_stock_figure": "badge-info", "no_lead_time": "badge-info", "slow_mover": "",
                 "too_little_history": ""}


def _ports() -> Any:
    return container()


def shop_today(shop_id: int) -> date:
    """Today in the shop's time zone (the sales days are the shop's days)."""
    return datetime.now(shop_zone(_ports().uow(), shop_id)).date()


def sort_rows(advice: list[Advice], key: str, reverse: bool) -> list[Advice]:
    """``advice`` arrives most urgent first (``sort_advice``); the other orders are stable over it (the
    stored rows keep these orders as ranks: connector/reorder/stored.py)."""
    if key == "sku":
        rows = sorted(advice, key=lambda a: a.sku)
    elif key == "reorder_by":
        rows = date_order(advice)
    else:
        rows = list(advice)
    if reverse:
        rows.reverse()
    return rows


def _int_arg(name: str, default: int) -> int:
    text = request.args.get(name, "")
    return int(text) if text.isdigit() and int(text) > 0 else default


@merchant_bp.get("/reorder")
@merchant_view
def reorder_page() -> ResponseReturnValue:
    shop_id = g.merchant.shop_id
    c = _ports()
    key = request.args.get("sort", "urgency")
    key = key if key in dict(SORTS) else "urgency"
    reverse = request.args.get("dir") == "reverse"
    history = progress(c.uow(), shop_id)
    stored = advice_page(c.uow(), shop_id, key, reverse, _int_arg("page", 1), PAGE_SIZE)
    pages = max(1, -(-stored.total // PAGE_SIZE))
    number = stored.offset // PAGE_SIZE + 1
    shown = stored.rows

    def link(**params: Any) -> str:
        merged = {"sort": key if key != "urgency" else None, "dir": "reverse" if reverse else None, "page": None}
        merged.update(params)
        return app_link("/app/reorder", **merged)

    columns = [(k, label, link(sort=k if k != "urgency" else None,
                               dir="reverse" if k == key and not reverse else None))
               for k, label in SORTS]
    with c.uow() as uow:
        recent = uow.repo(JobRunRepository).recent(shop_id, (READ_JOB, RECOMPUTE_JOB), limit=10)
    read_run = _unfinished(recent, READ_JOB)
    recompute_run = _unfinished(recent, RECOMPUTE_JOB)
    if history.advice_at is None and recompute_run is None:  # never computed: the first visit asks for it
        run_id = request_recompute(c.engine, c.queue, c.uow(), shop_id)
        with c.uow() as uow:
            recompute_run = _unfinished(uow.repo(JobRunRepository).runs(shop_id, [run_id]), RECOMPUTE_JOB)
    return render_page(
        "reorder.html", rows=shown, total=stored.total, counts=stored.counts, sort=key,
        sort_label=dict(SORTS)[key].lower(), reverse=reverse, columns=columns,
        page=number, pages=pages, first_shown=stored.offset + 1 if shown else 0,
        last_shown=stored.offset + len(shown),
        previous=link(page=number - 1) if number > 1 else None, next=link(page=number + 1) if number < pages else None,
        labels=STATUS_LABELS, badges=STATUS_BADGES, history=history, history_text=history_text(history),
        advice_text=advice_text(history, shop_today(shop_id)),
        read_run=read_run, read_run_link=app_link(f"/app/reorder/history/{read_run.id}") if read_run else None,
        recompute_run=recompute_run,
        recompute_run_link=app_link(f"/app/reorder/advice/{recompute_run.id}") if recompute_run else None)


def _unfinished(runs: list[RunLine], job: str) -> RunLine | None:
    """The newest run of ``job`` among ``runs`` (newest first) when it has not finished."""
    newest = next((r for r in runs if r.job == job), None)
    return newest if newest is not None and not newest.finished else None


def advice_text(state: HistoryProgress, today: date) -> str:
    """When the stored advice was computed, in a sentence."""
    if state.advice_at is None:
        return "The advice has not been computed yet."
    at = state.advice_at.strftime("%Y-%m-%d %H:%M UTC")
    if state.advice_for is not None and state.advice_for != today:
        return (f"Computed at {at}, for {state.advice_for.isoformat()}: it is computed again after the daily "
                "fold of new orders, or now with the button.")
    return f"Computed at {at}."


def history_text(state: HistoryProgress) -> str:
    """Where the history read stands, in a sentence."""
    if state.status == "none":
        return "The store's order history has not been read yet: advice needs at least 28 days of sales."
    total = f" of {state.orders_total:,}" if state.orders_total is not None else ""
    if state.status == "running":
        return f"Reading the store's order history: {state.orders_read:,}{total} orders so far."
    if state.status == "failed":
        return (f"The history read stopped after {state.orders_read:,}{total} orders: {state.last_error}. "
                "Reading again goes on from where it stopped.")
    return f"The store's order history was read: {state.orders_read:,} orders in {state.pages:,} pages."


# -- read sales history now -----------------------------------------------------------------------

@merchant_bp.post("/reorder/history")
@merchant_view
def reorder_read_history() -> ResponseReturnValue:
    c = _ports()
    run_id = request_read(c.engine, c.queue, c.uow(), g.merchant.shop_id)
    return redirect(app_link(f"/app/reorder/history/{run_id}"), code=303)


@merchant_bp.get("/reorder/history/<int:run_id>")
@merchant_view
def reorder_history_progress(run_id: int) -> ResponseReturnValue:
    state = read_progress(run_id)
    return render_page("reorder_history.html", state=state, run_id=run_id,
                       progress_url=app_link(f"/app/reorder/history/{run_id}/progress"))


@merchant_bp.get("/reorder/history/<int:run_id>/progress")
@merchant_view
def reorder_history_progress_json(run_id: int) -> ResponseReturnValue:
    return jsonify(read_progress(run_id))


def read_progress(run_id: int) -> dict[str, Any]:
    """Where a history read asked for stands: its job run (another shop's run is not found) and the
    read's counts so far."""
    c, shop_id = _ports(), g.merchant.shop_id
    with c.uow() as uow:
        runs = [r for r in uow.repo(JobRunRepository).runs(shop_id, [run_id]) if r.job == READ_JOB]
    run = runs[0] if runs else None
    history = progress(c.uow(), shop_id)
    if run is None:
        state = "unknown"
    elif run.status == "done":
        state = "done"
    elif run.status == "failed":
        state = "failed"
    elif run.status == "running":
        state = "running"
    else:
        state = "retrying" if run.attempts else "queued"
    if state == "queued":
        text = "Waiting for a worker to start the read."
    elif state == "unknown":
        text = "This shop has no such history read."
    elif state == "failed":
        text = f"The read failed: {run.last_error if run else ''}. Reading again goes on from where it stopped."
    elif state == "retrying":
        text = f"The read stopped ({history.last_error}) and will be tried again; it goes on from where it stopped."
    else:
        text = history_text(history)
    return {
        "state": state, "done": state in ("done", "failed", "unknown"),
        "run": None if run is None else {"id": run.id, "status": run.status, "error": run.last_error},
        "history": {"status": history.status, "pages": history.pages, "orders_read": history.orders_read,
                    "orders_total": history.orders_total,
                    "finished_at": history.finished_at.isoformat(timespec="seconds") if history.finished_at else None},
        "text": text,
    }


# -- recompute the advice now ---------------------------------------------------------------------

@merchant_bp.post("/reorder/recompute")
@merchant_view
def reorder_recompute() -> ResponseReturnValue:
    c = _ports()
    run_id = request_recompute(c.engine, c.queue, c.uow(), g.merchant.shop_id)
    return redirect(app_link(f"/app/reorder/advice/{run_id}"), code=303)


@merchant_bp.get("/reorder/advice/<int:run_id>")
@merchant_view
def reorder_recompute_progress(run_id: int) -> ResponseReturnValue:
    return render_page("reorder_recompute.html", state=recompute_progress(run_id), run_id=run_id,
                       progress_url=app_link(f"/app/reorder/advice/{run_id}/progress"))


@merchant_bp.get("/reorder/advice/<int:run_id>/progress")
@merchant_view
def reorder_recompute_progress_json(run_id: int) -> ResponseReturnValue:
    return jsonify(recompute_progress(run_id))


def recompute_progress(run_id: int) -> dict[str, Any]:
    """Where a recompute asked for stands: its job run (another shop's run is not found) and the advice
    stored now."""
    c, shop_id = _ports(), g.merchant.shop_id
    with c.uow() as uow:
        runs = [r for r in uow.repo(JobRunRepository).runs(shop_id, [run_id]) if r.job == RECOMPUTE_JOB]
    run = runs[0] if runs else None
    history = progress(c.uow(), shop_id)
    if run is None:
        state, text = "unknown", "This shop has no such advice computation."
    elif run.status == "done":
        state, text = "done", f"The advice was computed: {advice_text(history, shop_today(shop_id))}"
    elif run.status == "failed":
        state, text = "failed", f"The computation failed: {run.last_error}."
    elif run.status == "running":
        state, text = "running", "Computing the advice from the sales history, stock and purchase orders."
    else:
        state = "retrying" if run.attempts else "queued"
        text = ("The computation stopped and will be tried again." if run.attempts
                else "Waiting for a worker to start the computation.")
    computed = history.advice_at.isoformat(timespec="seconds") if history.advice_at else None
    return {
        "state": state, "done": state in ("done", "failed", "unknown"),
        "run": None if run is None else {"id": run.id, "status": run.status, "error": run.last_error},
        "fields": {"computed_at": computed or "not yet"}, "text": text,
    }
