"""The JSON API under /api/ (bearer token from config) and the health endpoints."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from connector.bootstrap import Container
from connector.capture.reporting import list_backorders
from connector.db.uow import check_database
from connector.domain.errors import StorageUnavailable, UnknownShop
from connector.shops import resolve_shop

bp = Blueprint("api", __name__)

STATUSES = ("open", "cancelled", "fulfilled", "withdrawn")


def _container() -> Container:
    return current_app.extensions["connector"]  # type: ignore[no-any-return]


def _authorised() -> bool:
    token = _container().settings.api_token
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@bp.get("/api/shops/<path:shop>/backorders")
def backorders(shop: str) -> ResponseReturnValue:
    if not _authorised():
        return jsonify({"error": "missing or wrong bearer token"}), 401
    statuses = [s for s in request.args.get("status", "").split(",") if s]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        return jsonify({"error": f"unknown status {unknown[0]!r}; use one of {', '.join(STATUSES)}"}), 400
    c = _container()
    try:
        info = resolve_shop(c.uow(), shop)
    except UnknownShop as exc:
        return jsonify({"error": str(exc)}), 404
    return jsonify(list_backorders(c.uow(), info.id, statuses or None))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    c = _container()
    try:
        check_database(c.engine)
    except StorageUnavailable as exc:
        return jsonify({"status": "unavailable", "database": str(exc)}), 503
    ping = getattr(c.queue, "ping", None)
    if ping is not None:  # RQ: Redis must answer
        try:
            ping()
            depth = c.queue.depth()
        except Exception as exc:  # noqa: BLE001 - any failure to reach the queue means not ready
            return jsonify({"status": "unavailable", "database": "ok",
                            "queue": f"queue unreachable: {type(exc).__name__}"}), 503
        return jsonify({"status": "ready", "database": "ok", "queue": "ok", "queue_depth": depth})
    return jsonify({"status": "ready", "database": "ok", "queue_depth": c.queue.depth()})


@bp.get("/metrics")
def prometheus_metrics() -> ResponseReturnValue:
    from connector import metrics
    from connector.db.job_runs_sweep import open_counts

    c = _container()
    return metrics.render(c.queue.depth, lambda: open_counts(c.engine)), 200, {"Content-Type": metrics.CONTENT_TYPE}
