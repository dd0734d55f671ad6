"""app/uninstalled and Shopify's mandatory privacy topics, routed here from POST /webhooks/shopify.

The HMAC is verified before this runs (webhooks/verify.py, in webhooks/shopify.py). These topics
are handled at once rather than through the inbox: they are small, idempotent database changes,
and shop/redact arrives 48 hours after uninstall, when the shop no longer takes order webhooks.
The payload's shop_domain must agree with the signed X-Shopify-Shop-Domain header.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from connector.domain.errors import StorageUnavailable
from connector.privacy import privacy
from webhooks.common import Rejected, container

log = logging.getLogger(__name__)

TOPICS = frozenset({"app/uninstalled", "customers/data_request", "customers/redact", "shop/redact"})


def handle(topic: str, domain: str, payload: dict[str, Any]) -> ResponseReturnValue:
    claimed = str(payload.get("shop_domain") or payload.get("myshopify_domain") or domain).strip().lower()
    if claimed != domain:
        raise Rejected(400, "payload shop_domain does not match X-Shopify-Shop-Domain", shop=domain)
    c = container()
    try:
        with c.uow() as uow:
            shop = uow.shops.by_domain("shopify", domain)
            shop_id = shop.id if shop is not None else None
        if shop_id is None:
            log.info("compliance webhook for a shop we hold nothing about", extra={"topic": topic, "shop": domain})
            return jsonify({"status": "nothing stored"}), 200
        if topic == "app/uninstalled":
            privacy.uninstall(c, shop_id)
        elif topic == "shop/redact":
            privacy.redact_shop(c, shop_id)
        elif topic == "customers/redact":
            privacy.redact_customer(c, shop_id, privacy.Customer.from_payload(payload))
        else:
            request_id = str((payload.get("data_request") or {}).get("id") or "")
            if not request_id:
                raise Rejected(400, "data_request.id missing", shop_id=shop_id)
            export_id = privacy.export_customer(c, shop_id, privacy.Customer.from_payload(payload), request_id)
            try:  # recorded in job_runs: a lost queue or a killed worker does not lose the e-mail
                from jobs import install
                from jobs.runtime import enqueue_run

                enqueue_run(c, install.email_export, export_id, shop_id=shop_id)
            except Exception:  # noqa: BLE001 - the export is stored; the merchant can download it
                log.exception("could not queue the export e-mail", extra={"export_id": export_id})
    except (StorageUnavailable, SQLAlchemyError) as exc:
        raise Rejected(503, f"storage unavailable: {type(exc).__name__}") from None
    log.info("compliance webhook handled", extra={"topic": topic, "shop_id": shop_id})
    return jsonify({"status": "done", "topic": topic}), 200
