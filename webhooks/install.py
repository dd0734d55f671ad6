"""Install endpoints: Shopify install/callback and embedded sessions, WooCommerce connect/callback.

Verify, record, answer; the work is in connector/install/install.py. Query strings and bodies
here carry codes, keys and tokens: they are never logged, and errors name only what failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from html import escape
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from connector.domain.errors import ExportLinkExpired, InstallRejected, PlatformError, StorageUnavailable
from connector.install import install
from connector.merchant.auth import admin_app_url
from connector.privacy import privacy
from webhooks.common import Rejected, container, parse_json_object, read_body
from webhooks.ratelimit import rate_limited

log = logging.getLogger(__name__)

bp = Blueprint("install", __name__)

CALLBACK_MAX_BYTES = 16 * 1024


def _answer(flow: str, function: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        try:
            return function(*args, **kwargs)
        except InstallRejected as exc:
            log.warning("install request rejected", extra={"flow": flow, "status": exc.status, "reason": str(exc)})
            return jsonify({"error": str(exc)}), exc.status
        except Rejected as exc:
            return jsonify({"error": exc.reason}), exc.status
        except StorageUnavailable:
            return jsonify({"error": "storage unavailable"}), 503
        except PlatformError as exc:
            log.warning("install: platform call failed", extra={"flow": flow, "error": type(exc).__name__})
            return jsonify({"error": f"store platform error: {type(exc).__name__}"}), 502
    return wrapper


def _page(title: str, text: str) -> Response:
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>")
    return Response(html, mimetype="text/html")


@bp.get("/shopify/install")
@rate_limited  # install.rate_limit per client address (webhooks/ratelimit.py)
def shopify_install() -> ResponseReturnValue:
    return _answer("shopify_install", lambda: redirect(
        install.begin_shopify_install(container(), container().shopify_oauth().query_params(request.args)), 302))()


@bp.get("/shopify/callback")
@rate_limited  # install.rate_limit per client address (webhooks/ratelimit.py)
def shopify_callback() -> ResponseReturnValue:
    def run() -> ResponseReturnValue:
        shop_id = install.complete_shopify_install(container(), container().shopify_oauth().query_params(request.args))
        with container().uow() as uow:
            shop = uow.shops.get(shop_id)
            domain = shop.domain if shop else ""
        if not container().settings.shopify_api_key:  # no app to open in the admin: say it here
            return _page("Backorder connector installed", f"The connector is now installed on {domain}.")
        return redirect(admin_app_url(container(), domain), 302)  # into the app, in the shop's admin
    return _answer("shopify_callback", run)()


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InstallRejected("missing session token (Authorization: Bearer)", 401)
    return token.strip()


@bp.route("/shopify/session", methods=["GET", "POST"])
def shopify_session() -> ResponseReturnValue:
    """The embedded app's first call: who am I, and is the shop's offline token in place."""
    def run() -> ResponseReturnValue:
        session = install.embedded_session(container(), _bearer())
        return jsonify({"shop": session.shop, "installed": True, "token_exchanged": session.exchanged})
    return _answer("shopify_session", run)()


@bp.get("/privacy/exports/<int:export_id>")
def download_export(export_id: int) -> ResponseReturnValue:
    """A customer data export with its download token: the link from the export e-mail opens on its
    own until it expires (privacy.export_link_days); with the app's session token (Authorization:
    Bearer) it opens for that shop's exports only. Anything else is the same 404."""
    def run() -> ResponseReturnValue:
        token = request.args.get("token", "")
        shop_id = install.embedded_session(container(), _bearer()).shop_id \
            if "Authorization" in request.headers else None
        try:
            content = privacy.download_export(container(), shop_id, export_id, token)
        except ExportLinkExpired as exc:
            page = _page("Download link expired", str(exc))
            page.status_code, page.headers["Cache-Control"] = 410, "no-store"
            return page
        if content is None:
            return jsonify({"error": "no such export"}), 404
        return Response(content, mimetype="application/json", headers={
            "Content-Disposition": f'attachment; filename="data-export-{export_id}.json"',
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    return _answer("privacy_export", run)()


@bp.get("/woocommerce/connect")
@rate_limited  # install.rate_limit per client address (webhooks/ratelimit.py)
def woocommerce_connect() -> ResponseReturnValue:
    return _answer("woocommerce_connect", lambda: redirect(
        install.begin_woo_connect(container(), request.args.get("store_url", "")), 302))()


@bp.post("/woocommerce/callback")
@rate_limited  # install.rate_limit per client address (webhooks/ratelimit.py)
def woocommerce_callback() -> ResponseReturnValue:
    def run() -> ResponseReturnValue:
        payload = parse_json_object(read_body(CALLBACK_MAX_BYTES))
        shop_id = install.complete_woo_connect(container(), payload)
        return jsonify({"status": "connected", "shop_id": shop_id})
    return _answer("woocommerce_callback", run)()


@bp.get("/woocommerce/connected")
def woocommerce_connected() -> ResponseReturnValue:
    if request.args.get("success") == "1":
        return _page("Store connected", "WooCommerce sent the keys; the connector is set up for your store.")
    return _page("Store not connected", "The keys were not approved. Start again from the connect link.")
