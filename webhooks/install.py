"""Install endpoints: Shopify install/callback and embedded sessions, WooCommerce connect/callback.

Verify, record, answer; the work is in connector/install/install.py. Query strings and bodies
here carry codes, keys and tokens: they are never logged, and errors name only what failed.
A browser gets a page for every outcome (webhooks/install_pages.py, worded in
connector/install/pages.py); an API client keeps the JSON (``{"error": …}``) with the same status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from connector.domain.errors import ExportLinkExpired, InstallRejected, PlatformError, StorageUnavailable
from connector.install import install, pages
from connector.install.pages import AttemptState
from connector.merchant.auth import admin_app_url, shop_param
from connector.privacy import privacy
from webhooks.common import Rejected, container, parse_json_object, read_body
from webhooks.install_pages import page, problem_page, wants_html
from webhooks.ratelimit import rate_limited

log = logging.getLogger(__name__)

bp = Blueprint("install", __name__)

CALLBACK_MAX_BYTES = 16 * 1024


def _refusal(flow: pages.Flow, status: int, error: str, *, browser: bool) -> ResponseReturnValue:
    if not browser:
        return jsonify({"error": error}), status
    return problem_page(container(), flow, status, shop=shop_param(request.args.get("shop")))


def _answer(flow: pages.Flow, function: Callable[..., ResponseReturnValue], *,
            pages_for_browsers: bool = True) -> Callable[..., ResponseReturnValue]:
    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        browser = pages_for_browsers and wants_html()
        try:
            return function(*args, **kwargs)
        except InstallRejected as exc:
            log.warning("install request rejected", extra={"flow": flow, "status": exc.status, "reason": str(exc)})
            return _refusal(flow, exc.status, str(exc), browser=browser)
        except Rejected as exc:
            return _refusal(flow, exc.status, exc.reason, browser=browser)
        except StorageUnavailable:
            return _refusal(flow, 503, "storage unavailable", browser=browser)
        except PlatformError as exc:
            log.warning("install: platform call failed", extra={"flow": flow, "error": type(exc).__name__})
            return _refusal(flow, 502, f"store platform error: {type(exc).__name__}", browser=browser)
    return wrapper


@bp.after_request
def _rate_limit_page(response: Response) -> Response:
    """The rate limit's 429 (webhooks/ratelimit.py, plain text) as a page for a browser."""
    if response.status_code != 429 or not wants_html():
        return response
    wait = response.headers.get("Retry-After", "60")
    answer = page(container(), "problem.html", 429, code=429, link=None,
                  title="Too many attempts from your address",
                  happened="The connector limits how often one address can start an install or a connection.",
                  next_step=f"Wait {wait} seconds, then try again.")
    answer.headers["Retry-After"] = wait
    return answer


@bp.get("/shopify/install")
@rate_limited  # install.rate_limit per client address (webhooks/ratelimit.py)
def shopify_install() -> ResponseReturnValue:
    return _answer("shopify_install", lambda: redirect(
        install.begin_shopify_install(container(), container().shopify_oauth().query_params(request.args)), 302))()


@bp.get("/shopify/callback")
@rate_limited  # install.rate_limit per client address (webhooks/ratelimit.py)
def shopify_callback() -> ResponseReturnValue:
    """Installed: the redirect into the app in the shop's admin (https://admin.shopify.com/store/<store>/
    apps/<api key>), for browsers too: Shopify's App Store requirements ask for the app UI right after
    installation, and the app's home page says what happens next. Only a deployment without an API key
    (no app to open) shows the page naming the store, what happens next and the link to the shop's Apps."""
    def run() -> ResponseReturnValue:
        shop_id = install.complete_shopify_install(container(), container().shopify_oauth().query_params(request.args))
        with container().uow() as uow:
            shop = uow.shops.get(shop_id)
            domain, name = (shop.domain, shop.store_name) if shop else ("", None)
        api_key = container().settings.shopify_api_key
        app_link = admin_app_url(container(), domain) if api_key else pages.shopify_admin_apps(domain)
        if api_key:
            return redirect(app_link, 302)
        return page(container(), "installed.html", title="Installed", store=name or domain, domain=domain,
                    app_link=app_link)
    return _answer("shopify_callback", run)()


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InstallRejected("missing session token (Authorization: Bearer)", 401)
    return token.strip()


@bp.route("/shopify/session", methods=["GET", "POST"])
def shopify_session() -> ResponseReturnValue:
    """The embedded app's first call: who am I, and is the shop's offline token in place (JSON, always)."""
    def run() -> ResponseReturnValue:
        session = install.embedded_session(container(), _bearer())
        return jsonify({"shop": session.shop, "installed": True, "token_exchanged": session.exchanged})
    return _answer("shopify_session", run, pages_for_browsers=False)()


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
            if not wants_html():
                return jsonify({"error": str(exc)}), 410, {"Cache-Control": "no-store"}
            return page(container(), "problem.html", 410, code=410, title="This download link has expired",
                        happened=f"The link stopped working on {exc.expired_at}.",
                        next_step="Open the export from the backorder connector's app in your store's admin: "
                                  "there it opens without a link.", link=None)
        if content is None:
            raise Rejected(404, "no such export")
        return Response(content, mimetype="application/json", headers={
            "Content-Disposition": f'attachment; filename="data-export-{export_id}.json"',
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    return _answer("privacy_export", run)()


@bp.get("/woocommerce/connect")
@rate_limited  # install.rate_limit per client address (webhooks/ratelimit.py)
def woocommerce_connect() -> ResponseReturnValue:
    """With ``store_url``: on to WooCommerce's approval page. A browser without one, or with one that
    cannot be connected, gets the form asking for the store's address (with what was wrong)."""
    store_url = request.args.get("store_url", "").strip()
    browser = wants_html()
    if browser and not store_url:
        return _connect_form()

    def run() -> ResponseReturnValue:
        try:
            return redirect(install.begin_woo_connect(container(), store_url), 302)
        except InstallRejected as exc:
            if not browser or exc.status != 400:
                raise
            log.info("woocommerce connect refused the store address", extra={"reason": str(exc)})
            return _connect_form(store_url, pages.STORE_URL_REFUSED, 400)
    return _answer("woocommerce_connect", run)()


def _connect_form(store_url: str = "", error: str | None = None, status: int = 200) -> Response:
    private = container().settings.allow_private_targets
    return page(container(), "connect.html", status, title="Connect your WooCommerce store",
                action=pages.connect_link(container()), store_url=store_url, error=error,
                form_action="'self' https:" + (" http:" if private else ""))


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
    """WooCommerce's return URL (``?success=1|0&user_id=…``): connected only when this attempt's keys
    arrived, worked and are stored; still waiting for them (202); or why not."""
    def run() -> ResponseReturnValue:
        attempt = pages.connect_attempt(container(), request.args.get("user_id", ""))
        approved = request.args.get("success") == "1"
        status = 202 if attempt.state is AttemptState.WAITING and approved else \
            404 if attempt.state is AttemptState.UNKNOWN else 200
        if not wants_html():
            if attempt.state is AttemptState.UNKNOWN:
                return jsonify({"error": "unknown connect attempt"}), 404
            return jsonify({"status": attempt.state.value, "approved": approved, "store_url": attempt.store_url}), \
                status
        c = container()
        again = pages.connect_link(c, attempt.store_url)
        if attempt.state is AttemptState.UNKNOWN:
            found = pages.UNKNOWN_ATTEMPT
            return page(c, "problem.html", 404, code=404, title=found.title, happened=found.happened,
                        next_step=found.next_step, link=pages.Link("Start connecting again", again))
        store = attempt.store_url or ""
        if attempt.state is AttemptState.CONNECTED:
            return page(c, "connected.html", title="Store connected",
                        store=attempt.store_name or pages.store_label(store),
                        settings_link=pages.wordpress_admin(store, pages.WORDPRESS_SETTINGS_PAGE),
                        app_link=pages.wordpress_admin(store, pages.WORDPRESS_APP_PAGE))
        if attempt.state is AttemptState.WAITING and approved:
            return page(c, "waiting.html", 202, title="Waiting for WooCommerce's keys", store=pages.store_label(store),
                        retry_link=request.full_path, again_link=again)
        found = pages.not_connected(attempt)
        return page(c, "not_connected.html", title=found.title, happened=found.happened,
                    next_step=found.next_step, store=pages.store_label(store), again_link=again)
    return _answer("woocommerce_connected", run)()
