"""POST /webhooks/suppliers/<push token>/push: a supplier tells us its stock changed (connector/supply/push.py).

Verify the raw body's signature with the supplier's own key, store the push under its event id, record
its processing job in the same transaction, answer 202. No business logic here.
"""

from __future__ import annotations

import secrets as random_secrets
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from connector.db import job_runs
from connector.domain.errors import CredentialsError, InvalidPayload, StorageUnavailable
from connector.supply import push as push_service
from jobs.supplier_push import PROCESS_SUPPLIER_PUSH
from webhooks.common import Rejected, container, log, parse_json_object, read_body, reject

bp = Blueprint("supplier_push", __name__)

NOT_VERIFIED = "signature does not verify"
"""The one answer (401) for an unknown token, an inactive supplier and a bad signature (the log keeps which)."""


@bp.post("/webhooks/suppliers/<token>/push")
def receive(token: str) -> ResponseReturnValue:
    try:
        return _receive(token)
    except Rejected as error:
        answer = reject("supplier", error)
        if error.status == 401:
            return jsonify({"error": NOT_VERIFIED}), 401
        return answer


def _receive(token: str) -> ResponseReturnValue:
    c = container()
    body = read_body(c.settings.webhook_max_body_bytes)
    given = request.headers.get(push_service.SIGNATURE_HEADER)
    if not given:
        raise Rejected(401, f"missing {push_service.SIGNATURE_HEADER}")
    try:
        target = push_service.push_target(c.uow(), c.box, token)
    except (StorageUnavailable, SQLAlchemyError) as exc:
        raise Rejected(503, f"storage unavailable: {type(exc).__name__}") from None
    except CredentialsError:
        raise Rejected(401, "push key unreadable") from None
    if target is None or not target.active:
        push_service.signature_matches(body, given, random_secrets.token_urlsafe(32))  # the same work: no timing tell
        raise Rejected(401, "unknown push token" if target is None else "supplier not active")
    if not push_service.signature_matches(body, given, target.secret):
        raise Rejected(401, f"{push_service.SIGNATURE_HEADER} does not match the body",
                       supplier_id=target.supplier_id)
    event_id = (request.headers.get(push_service.EVENT_HEADER) or "").strip()
    if not event_id:
        raise Rejected(400, f"missing header {push_service.EVENT_HEADER}", supplier_id=target.supplier_id)
    payload = parse_json_object(body)
    try:
        push = push_service.read_push(payload, event_id)
    except InvalidPayload as exc:
        raise Rejected(400, str(exc), supplier_id=target.supplier_id) from None

    def record_job(session: Any, push_id: int) -> None:
        job_runs.enqueue_run(c.engine, c.queue, PROCESS_SUPPLIER_PUSH, [push_id], shop_id=target.shop_id,
                             session=session, trigger="webhook")

    try:
        push_id, created = push_service.store_push(c.uow(), target, push, body, record_job)
    except (StorageUnavailable, SQLAlchemyError) as exc:
        raise Rejected(503, f"storage unavailable: {type(exc).__name__}", supplier_id=target.supplier_id) from None
    log.info("supplier push accepted", extra={"supplier_id": target.supplier_id, "shop_id": target.shop_id,
                                              "kind": push.kind, "push_id": push_id, "duplicate": not created})
    return jsonify({"status": "accepted" if created else "duplicate", "push_id": push_id}), 202
