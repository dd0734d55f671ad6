"""POST /shopify/fulfillment_order_notification: Shopify's ping to a fulfillment service.

The body is ``{"kind": "FULFILLMENT_REQUEST" | "CANCELLATION_REQUEST"}``, signed like a webhook
(X-Shopify-Hmac-Sha256 with the app secret, checked before anything is parsed). It carries no
order: the job it queues asks Shopify for the assigned fulfillment orders. The ping is stored and
answered at once.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from connector.domain.errors import StorageUnavailable
from webhooks.common import Rejected, container, parse_json_object, read_body, reject
from webhooks.verify import SignatureError, verify_shopify

log = logging.getLogger(__name__)

bp = Blueprint("shopify_fulfillment_service", __name__)

KINDS = frozenset({"FULFILLMENT_REQUEST", "CANCELLATION_REQUEST"})


@bp.post("/shopify/fulfillment_order_notification")
def notification() -> ResponseReturnValue:
    try:
        return _notification()
    except Rejected as error:
        return reject("shopify", error)


def _notification() -> ResponseReturnValue:
    from connector.dropship.fulfillment_service import record_notification

    c = container()
    body = read_body(c.settings.webhook_max_body_bytes)
    secrets = [s.strip() for s in (c.settings.shopify_api_secret or "").split(",") if s.strip()]
    try:
        verify_shopify(body, request.headers.get("X-Shopify-Hmac-Sha256"), secrets)
    except SignatureError as exc:
        raise Rejected(401, str(exc)) from None
    domain = (request.headers.get("X-Shopify-Shop-Domain") or "").strip().lower()
    if not domain:
        raise Rejected(400, "missing header X-Shopify-Shop-Domain")
    kind = str(parse_json_object(body).get("kind") or "")
    if kind not in KINDS:
        raise Rejected(400, f"unknown kind {kind[:40]!r}", shop=domain)
    try:
        shop = c.webhook_shop("shopify", domain)
        if shop is None or not shop.active:
            raise Rejected(401, "unknown shop", shop=domain)
        notification_id = record_notification(c.uow(), shop.shop_id, kind)
    except (StorageUnavailable, SQLAlchemyError) as exc:
        raise Rejected(503, f"storage unavailable: {type(exc).__name__}") from None
    try:  # recorded (job_runs): nothing scheduled answers requests, so a lost job must come back
        from jobs import dropship_service
        from jobs.runtime import enqueue_run

        enqueue_run(c, dropship_service.process_requests, shop.shop_id, shop_id=shop.shop_id, coalesce=True)
    except Exception:  # noqa: BLE001 - the ping is stored; the sweeper or the next ping answers it
        log.exception("could not queue fulfillment requests", extra={"shop_id": shop.shop_id})
    log.info("fulfillment service notification", extra={"shop_id": shop.shop_id, "kind": kind,
                                                        "notification_id": notification_id})
    return jsonify({"status": "queued"}), 200
