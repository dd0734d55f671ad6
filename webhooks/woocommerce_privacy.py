"""POST /woocommerce/privacy/export and /woocommerce/privacy/erase: WordPress's personal data exporter
and eraser, forwarded by the WooCommerce plugin and signed with the store's secret.

The checks and the answers are in connector/privacy/wordpress.py. Every refusal of the signature
(unknown store, bad signature, stale timestamp, replay) is 401 ``{"error": ...}``; a malformed body 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from connector.domain.errors import AppAccessRefused, StorageUnavailable
from connector.privacy import wordpress
from webhooks.common import Rejected, container, read_body, reject

bp = Blueprint("woocommerce_privacy", __name__)

MAX_BODY_BYTES = 16 * 1024


def _answer(work: Callable[[Any, wordpress.StoreRequest], dict[str, Any]]) -> ResponseReturnValue:
    c = container()
    try:
        body = read_body(MAX_BODY_BYTES)
        try:
            verified = wordpress.verify(c, body, request.headers.get("X-Connector-Signature", ""))
        except AppAccessRefused as exc:
            raise Rejected(exc.status, str(exc)) from None
        try:
            return jsonify(work(c, verified)), 200
        except (StorageUnavailable, SQLAlchemyError) as exc:
            raise Rejected(503, f"storage unavailable: {type(exc).__name__}", shop_id=verified.shop_id) from None
    except (StorageUnavailable, SQLAlchemyError) as exc:
        return reject("woocommerce", Rejected(503, f"storage unavailable: {type(exc).__name__}"))
    except Rejected as error:
        return reject("woocommerce", error)


@bp.post("/woocommerce/privacy/export")
def export() -> ResponseReturnValue:
    return _answer(wordpress.export_page)


@bp.post("/woocommerce/privacy/erase")
def erase() -> ResponseReturnValue:
    return _answer(wordpress.erase)
