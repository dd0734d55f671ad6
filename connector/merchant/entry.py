"""The WooCommerce way in: the plugin asks for a signed link, the merchant's browser opens it.

``POST /app/woocommerce/link`` (server to server, signed by the store) answers {url};
``GET /app/woocommerce/enter?store=<id>&token=...`` takes the link once and starts the session
cookie. See connector/merchant/auth.py for the checks.
"""

from __future__ import annotations

from flask import jsonify, redirect, request
from flask.typing import ResponseReturnValue

from connector.domain.errors import AppAccessRefused, StorageUnavailable
from connector.merchant.auth import COOKIE, SESSION_TTL, link_for_plugin, open_link, session_cookie
from connector.merchant.shell import container, merchant_bp, refused

LINK_REQUEST_MAX_BYTES = 16 * 1024


@merchant_bp.get("/woocommerce/enter")
def woocommerce_enter() -> ResponseReturnValue:
    try:
        session = open_link(container(), request.args.get("store", ""), request.args.get("token", ""))
    except AppAccessRefused as exc:
        return refused(exc)
    answer = redirect("/app", 303)  # the link (a bearer secret) leaves the address bar
    answer.set_cookie(COOKIE, session_cookie(container(), session), max_age=int(SESSION_TTL.total_seconds()),
                      path="/app", httponly=True, samesite="Lax",
                      secure=(container().settings.app_url or "").startswith("https://"))
    return answer


@merchant_bp.post("/woocommerce/link")
def woocommerce_link() -> ResponseReturnValue:
    if (request.content_length or 0) > LINK_REQUEST_MAX_BYTES:
        return jsonify({"error": "body too large"}), 413
    body = request.stream.read(LINK_REQUEST_MAX_BYTES + 1)
    if len(body) > LINK_REQUEST_MAX_BYTES:
        return jsonify({"error": "body too large"}), 413
    try:
        url = link_for_plugin(container(), body, request.headers.get("X-Connector-Signature", ""))
    except AppAccessRefused as exc:
        return jsonify({"error": str(exc)}), exc.status
    except StorageUnavailable:
        return jsonify({"error": "storage unavailable"}), 503
    return jsonify({"url": url})
