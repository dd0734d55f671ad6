"""The Suppliers pages: the list with the last polls, add and edit (test connection, column mapping,
schedule, drop-ship and purchasing terms), and "poll now" with its progress.

Every change goes through the service the CLI uses: ``add_supplier`` (``suppliers add --file``),
``dropship.terms.set_terms`` (``dropship terms``), ``purchasing.terms.set_terms``
(``suppliers purchasing-terms``), ``host_keys.trust_host_key`` (``suppliers trust-host-key``),
``push.make_push_secret`` (``suppliers push-secret``: the Push section, pages/supplier_push.py). The
test connection reads through the poll's own client (connector/supply/trial.py) and stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, cast

from flask import Response, current_app, g, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from sqlalchemy.engine import Engine
from werkzeug.exceptions import NotFound

from connector.crypto import CredentialBox
from connector.db import job_runs
from connector.db.uow import UnitOfWork
from connector.domain.errors import ConfigError, ConnectorError, InvalidPayload
from connector.dropship import terms as dropship_terms
from connector.merchant.pages.supplier_push import push_section  # also registers the Push section's views
from connector.merchant.shell import app_link, merchant_bp, merchant_view, render_page
from connector.merchant.supplier_form import (
    AUTH_TYPES,
    COLUMNS,
    DELIMITERS,
    KINDS,
    LABELS,
    PAGINATION,
    SCHEDULES,
    STATUSES,
    SupplierForm,
    secret_is_set,
)
from connector.merchant.suppliers_query import SupplierPagesRepository, SupplierView
from connector.ports import JobQueue, SupplierClientFactory
from connector.purchasing import terms as purchasing_terms
from connector.supply import host_keys
from connector.supply.suppliers import add_supplier
from connector.supply.trial import Sample, sample_supplier

POLL_JOB = "jobs.supply.poll_supplier"
"""The poll job's reference (``job_ref(jobs.supply.poll_supplier)``; a feature does not import jobs/,
and a test holds the two equal)."""


class SupplierPorts(Protocol):
    """What these pages use of the container (connector/bootstrap.py)."""

    @property
    def box(self) -> CredentialBox: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def queue(self) -> JobQueue: ...

    def uow(self) -> UnitOfWork: ...

    def supplier_client(self, kind: str, settings: Mapping[str, Any], secret: Mapping[str, Any] | None,
                        name: str) -> Any: ...


def ports() -> SupplierPorts:
    return cast(SupplierPorts, current_app.extensions["connector"])


def _redirect(path: str, **params: Any) -> ResponseReturnValue:
    return redirect(app_link(path, **params), code=303)


# -- the list --------------------------------------------------------------------------------------

@merchant_bp.get("/suppliers")
@merchant_view
def suppliers_list() -> ResponseReturnValue:
    shop_id = g.merchant.shop_id
    with ports().uow() as uow:
        repo = uow.repo(SupplierPagesRepository)
        rows = [_summary(s) for s in repo.suppliers(shop_id)]
        polls = repo.recent_polls(shop_id)
    return render_page("suppliers.html", suppliers=rows, polls=polls, kinds=dict(KINDS),
                       saved=request.args.get("saved"))


def _summary(s: SupplierView) -> dict[str, Any]:
    settings = json.loads(s.settings or "{}")
    key = s.host_key
    sftp = str(settings.get("source") or "").lower().startswith("sftp:")
    return {"id": s.id, "name": s.name, "kind": s.kind, "status": s.status, "schedule": _schedule_text(settings),
            "last_polled_at": s.last_polled_at, "last_success_at": s.last_success_at,
            "consecutive_failures": s.consecutive_failures or 0, "last_error": s.last_error,
            "host_key": (str(key) if key else "not yet trusted (the first connection is)") if sftp else None,
            "source": settings.get("url") or settings.get("source") or ""}


def _schedule_text(settings: Mapping[str, Any]) -> str:
    schedule = settings.get("schedule")
    if not isinstance(schedule, Mapping):
        return "by hand only"
    if "cron" in schedule:
        return f"cron {schedule['cron']}"
    minutes = schedule.get("interval_minutes")
    return f"every {minutes} minute{'' if minutes == 1 else 's'}"


# -- add and edit ----------------------------------------------------------------------------------

@merchant_bp.get("/suppliers/new")
@merchant_view
def supplier_new() -> ResponseReturnValue:
    return _form_page(SupplierForm.blank(), None)


@merchant_bp.post("/suppliers/new")
@merchant_view
def supplier_create() -> ResponseReturnValue:
    form = SupplierForm.posted(request.form)
    c, shop_id = ports(), g.merchant.shop_id
    if request.form.get("action") == "test":
        return _form_page(form, None, sample=_try(form, None, None))
    with c.uow() as uow:
        taken = uow.repo(SupplierPagesRepository).supplier_named(shop_id, form.get("name"))
    if taken:
        form.errors["name"] = f"Name: this shop has a supplier named {form.get('name')!r} already; choose another"
        return _form_page(form, None, status=422)
    supplier_id = _save(form, None, None)
    if supplier_id is None:
        return _form_page(form, None, status=422)
    return _redirect(f"/app/suppliers/{supplier_id}", saved=1)


@merchant_bp.get("/suppliers/<int:supplier_id>")
@merchant_view
def supplier_edit(supplier_id: int) -> ResponseReturnValue:
    supplier, settings, secret = _load(supplier_id)
    form = SupplierForm.of_supplier(supplier.name, supplier.kind, supplier.status, settings,
                                    secret_set=secret_is_set(secret), handling_days=supplier.handling_days or 0,
                                    transit_days=supplier.transit_days or 0, lead_time_days=supplier.lead_time_days)
    return _form_page(form, supplier, saved=request.args.get("saved"))


@merchant_bp.post("/suppliers/<int:supplier_id>")
@merchant_view
def supplier_update(supplier_id: int) -> ResponseReturnValue:
    supplier, settings, secret = _load(supplier_id)
    form = SupplierForm.posted(request.form, name=supplier.name, secret_set=secret_is_set(secret))
    action = request.form.get("action")
    if action == "test":
        return _form_page(form, supplier, sample=_try(form, supplier, (settings, secret)))
    if action == "trust_key":
        try:
            host_keys.trust_host_key(ports().uow(), supplier.id, request.form.get("fingerprint") or "",
                                     shop_id=g.merchant.shop_id)
        except InvalidPayload as exc:
            form.errors[""] = str(exc)
            return _form_page(form, supplier, status=422)
        return _redirect(f"/app/suppliers/{supplier.id}", saved="host_key")
    if _save(form, (settings, secret), supplier.id) is None:
        return _form_page(form, supplier, status=422)
    return _redirect(f"/app/suppliers/{supplier.id}", saved=1)


def _load(supplier_id: int) -> tuple[SupplierView, dict[str, Any], dict[str, Any]]:
    """The merchant's own supplier (404 for another shop's), its settings and opened secret."""
    c = ports()
    with c.uow() as uow:
        supplier = uow.repo(SupplierPagesRepository).supplier(g.merchant.shop_id, supplier_id)
    if supplier is None:
        raise NotFound("This shop has no such supplier.")
    opened = c.box.open_json(supplier.secret) if supplier.secret else {}
    return supplier, json.loads(supplier.settings or "{}"), dict(opened) if isinstance(opened, Mapping) else {}


def _save(form: SupplierForm, stored: tuple[dict[str, Any], dict[str, Any]] | None,
          supplier_id: int | None) -> int | None:
    """Save through add_supplier; None (and the refusal on the form) when it refuses."""
    c = ports()
    try:
        form.check()
        spec = form.spec(request.form, *(stored or (None, None)))
        return add_supplier(c.uow(), c.box, g.merchant.shop_id, spec,
                            clients=cast(SupplierClientFactory, c.supplier_client))
    except (ConfigError, InvalidPayload) as exc:
        form.refuse(exc)
        return None


def _try(form: SupplierForm, supplier: SupplierView | None,
         stored: tuple[dict[str, Any], dict[str, Any]] | None) -> Sample | str | None:
    """The test connection of the form as typed (unsaved): the sample, or what went wrong as text."""
    c = ports()
    try:
        form.check()
        spec = form.spec(request.form, *(stored or (None, None)))
        pinned = None
        if supplier is not None and stored is not None and _same_server(stored[0].get("source"),
                                                                         spec["settings"].get("source")):
            pinned = supplier.host_key
        return sample_supplier(spec["kind"], spec["settings"], spec["secret"], spec["name"] or "supplier",
                               clients=cast(SupplierClientFactory, c.supplier_client), stored_key=pinned)
    except (ConfigError, InvalidPayload) as exc:
        form.refuse(exc)
        return None
    except ConnectorError as exc:
        return f"{type(exc).__name__}: {exc}"


def _same_server(old: Any, new: Any) -> bool:
    from urllib.parse import urlsplit

    def server(source: Any) -> tuple[str, int | None] | None:
        parts = urlsplit(str(source or ""))
        if parts.scheme.lower() != "sftp":
            return None
        try:
            return (parts.hostname or "", parts.port or 22)
        except ValueError:
            return (parts.hostname or "", None)

    return server(old) is not None and server(old) == server(new)


def _form_page(form: SupplierForm, supplier: SupplierView | None, *, sample: Sample | str | None = None,
               status: int = 200, saved: str | None = None) -> ResponseReturnValue:
    context: dict[str, Any] = {"form": form, "supplier": supplier, "sample": sample, "saved": saved,
                               "kinds": KINDS, "auth_types": AUTH_TYPES, "paginations": PAGINATION,
                               "delimiters": DELIMITERS, "schedules": SCHEDULES, "statuses": STATUSES,
                               "columns": COLUMNS, "labels": LABELS}
    if supplier is not None:
        with ports().uow() as uow:
            repo = uow.repo(SupplierPagesRepository)
            context["polls"] = repo.polls(g.merchant.shop_id, supplier.id)
            context["terms"] = repo.terms(g.merchant.shop_id, supplier.id)
        context["host_key"] = supplier.host_key
        context["purchasing"] = _purchasing_values(supplier)
        context["push"] = push_section(supplier)
    context.setdefault("terms_error", None)
    context.setdefault("purchasing_error", None)
    answer = render_page("supplier_form.html", **context)
    if status != 200 and isinstance(answer, Response):
        answer.status_code = status
    return answer


# -- drop-ship and purchasing terms ---------------------------------------------------------------

@merchant_bp.post("/suppliers/<int:supplier_id>/dropship-terms")
@merchant_view
def supplier_dropship_terms(supplier_id: int) -> ResponseReturnValue:
    supplier, settings, secret = _load(supplier_id)
    cost_text = (request.form.get("unit_cost") or "").strip()
    try:
        try:
            cost = Decimal(cost_text) if cost_text else None
        except InvalidOperation:
            raise InvalidPayload(f"unit cost must be a number, got {cost_text!r}") from None
        if cost is not None and not cost.is_finite():
            raise InvalidPayload(f"unit cost must be a number, got {cost_text!r}")
        dropship_terms.set_terms(ports().uow(), supplier.id, request.form.get("sku") or "",
                                 shop_id=g.merchant.shop_id, dropship=request.form.get("dropship") == "yes",
                                 unit_cost=cost)
    except InvalidPayload as exc:
        return _terms_refused(supplier, settings, secret, terms_error=f"Drop-ship terms: {exc}")
    return _redirect(f"/app/suppliers/{supplier.id}", saved="dropship")


@merchant_bp.post("/suppliers/<int:supplier_id>/purchasing-terms")
@merchant_view
def supplier_purchasing_terms(supplier_id: int) -> ResponseReturnValue:
    supplier, settings, secret = _load(supplier_id)
    clear = request.form.get("action") == "clear"
    changes: dict[str, Any] = {}
    for key in ("min_order_quantity", "case_pack"):
        text = (request.form.get(key) or "").strip()
        changes[key] = (int(text) if text.isdigit() else text) if text else None
    for key in ("min_order_value", "currency", "url", "email"):
        changes[key] = (request.form.get(key) or "").strip() or None
    for key in ("channel", "sheet_format"):
        changes[key] = (request.form.get(key) or "").strip() or None
    if changes.get("currency"):
        changes["currency"] = str(changes["currency"]).upper()
    try:
        purchasing_terms.set_terms(ports().uow(), supplier.id, changes, shop_id=g.merchant.shop_id, clear=clear)
    except InvalidPayload as exc:
        return _terms_refused(supplier, settings, secret, purchasing_error=str(exc),
                              purchasing_typed={k: "" if v is None else str(v) for k, v in changes.items()})
    return _redirect(f"/app/suppliers/{supplier.id}", saved="purchasing")


def _terms_refused(supplier: SupplierView, settings: dict[str, Any], secret: dict[str, Any],
                   **errors: Any) -> ResponseReturnValue:
    form = SupplierForm.of_supplier(supplier.name, supplier.kind, supplier.status, settings,
                                    secret_set=secret_is_set(secret), handling_days=supplier.handling_days or 0,
                                    transit_days=supplier.transit_days or 0, lead_time_days=supplier.lead_time_days)
    typed = errors.pop("purchasing_typed", None)
    context: dict[str, Any] = {"form": form, "supplier": supplier, "sample": None, "saved": None, "kinds": KINDS,
                               "auth_types": AUTH_TYPES, "paginations": PAGINATION, "delimiters": DELIMITERS,
                               "schedules": SCHEDULES, "statuses": STATUSES, "columns": COLUMNS, "labels": LABELS,
                               "terms_error": None, "purchasing_error": None, **errors}
    with ports().uow() as uow:
        repo = uow.repo(SupplierPagesRepository)
        context["polls"] = repo.polls(g.merchant.shop_id, supplier.id)
        context["terms"] = repo.terms(g.merchant.shop_id, supplier.id)
    context["host_key"] = supplier.host_key
    context["purchasing"] = typed if typed is not None else _purchasing_values(supplier)
    context["push"] = push_section(supplier)
    answer = render_page("supplier_form.html", **context)
    if isinstance(answer, Response):
        answer.status_code = 422
    return answer


def _purchasing_values(supplier: SupplierView) -> dict[str, str]:
    block = json.loads(supplier.settings or "{}").get(purchasing_terms.KEY)
    if not isinstance(block, Mapping):
        return {"set": ""}
    values = {k: "" if block.get(k) is None else str(block.get(k)) for k in (
        "min_order_quantity", "case_pack", "min_order_value", "currency", "channel", "url", "email", "sheet_format")}
    values["set"] = "1"
    values["skus"] = str(len(block.get("skus") or {}))
    values["receipt_feed"] = "1" if block.get("receipt_feed") else ""
    return values


# -- poll now --------------------------------------------------------------------------------------

@merchant_bp.post("/suppliers/<int:supplier_id>/poll")
@merchant_view
def supplier_poll(supplier_id: int) -> ResponseReturnValue:
    supplier, _, _ = _load(supplier_id)
    c, shop_id = ports(), g.merchant.shop_id
    with c.uow() as uow:
        after = uow.repo(SupplierPagesRepository).last_poll_id(shop_id, supplier.id)
    run_id = job_runs.enqueue_run(c.engine, c.queue, POLL_JOB, (supplier.id,), shop_id=shop_id, coalesce=True)
    if run_id is None:  # a poll asked for earlier has not started yet: this request joins it
        with c.uow() as uow:
            waiting = uow.repo(SupplierPagesRepository).waiting_run(
                shop_id, job_runs.dedupe_key_for(POLL_JOB, (supplier.id,)))
        run_id = waiting.id if waiting is not None else 0
    return _redirect(f"/app/suppliers/{supplier.id}/polls/{run_id}", after=after)


@merchant_bp.get("/suppliers/<int:supplier_id>/polls/<int:run_id>")
@merchant_view
def supplier_poll_progress(supplier_id: int, run_id: int) -> ResponseReturnValue:
    supplier, _, _ = _load(supplier_id)
    state = _progress(supplier.id, run_id, _after())
    return render_page("supplier_poll.html", supplier=supplier, state=state, run_id=run_id, after=_after(),
                       progress_url=app_link(f"/app/suppliers/{supplier.id}/polls/{run_id}/progress", after=_after()))


@merchant_bp.get("/suppliers/<int:supplier_id>/polls/<int:run_id>/progress")
@merchant_view
def supplier_poll_progress_json(supplier_id: int, run_id: int) -> ResponseReturnValue:
    supplier, _, _ = _load(supplier_id)
    return jsonify(_progress(supplier.id, run_id, _after()))


def _after() -> int:
    text = request.args.get("after", "0")
    return int(text) if text.isdigit() else 0


def _progress(supplier_id: int, run_id: int, after: int) -> dict[str, Any]:
    """Where a poll asked for stands: its job run (queued, running, done, failed) and the poll it
    started (rows read so far; at the end the rows read, unreadable and changed, or its error)."""
    with ports().uow() as uow:
        repo = uow.repo(SupplierPagesRepository)
        run = repo.run(g.merchant.shop_id, run_id) if run_id else None
        poll = repo.poll_after(g.merchant.shop_id, supplier_id, after)
    finished = poll is not None and poll.status != "running"
    failed_run = run is not None and run.status == "failed" and not finished
    state = "done" if finished else "failed" if failed_run else "running" if poll is not None or (
        run is not None and run.status == "running") else "queued"
    return {
        "state": state, "done": state in ("done", "failed"),
        "run": None if run is None else {"id": run.id, "status": run.status, "error": run.last_error},
        "poll": None if poll is None else {
            "id": poll.id, "status": poll.status, "rows_total": poll.rows_total, "rows_bad": poll.rows_bad,
            "rows_changed": poll.rows_changed, "error": poll.error,
            "started_at": poll.started_at.isoformat(timespec="seconds"),
            "finished_at": poll.finished_at.isoformat(timespec="seconds") if poll.finished_at else None},
        "text": _progress_text(state, poll.status if poll else None, poll, run.last_error if run else None),
    }


def _progress_text(state: str, status: str | None, poll: Any, run_error: str | None) -> str:
    if state == "queued":
        return "Waiting for a worker to start the poll."
    if state == "failed" and poll is None:
        return f"The poll could not run: {run_error or 'the job failed'}."
    if poll is None or status == "running":
        rows = poll.rows_total if poll is not None else 0
        return f"Reading the supplier: {rows:,} rows so far." if rows else "Reading the supplier."
    if status == "failed":
        return f"The poll failed: {poll.error}. The last good stock and dates stay in force."
    if status == "unchanged":
        return "Done: the supplier's data has not changed since the last poll."
    if status == "postponed":
        return f"Postponed: {poll.error} The last good stock and dates stay in force."
    return (f"Done: {poll.rows_total:,} rows read, {poll.rows_bad:,} unreadable, "
            f"{poll.rows_changed:,} changed.")
