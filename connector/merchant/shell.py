"""The merchant app's shell: the ``merchant_bp`` blueprint at /app, ``@merchant_view`` and ``render_page``.

A page is a view on ``merchant_bp`` (registered by connector/merchant/pages/) decorated with
``@merchant_view``: the request is authenticated (connector/merchant/auth.py) and ``g.merchant`` is
the ``MerchantSession``; every query the view makes is scoped to ``g.merchant.shop_id``. A POST must
also carry the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``; a
Shopify fetch with ``Authorization: Bearer`` needs none: the token is not ambient). The view answers
``render_page("<page>.html", **context)``: the template extends ``merchant/base.html``.

Shopify document loads without a usable token get the bounce page (App Bridge reloads the URL with a
fresh ``id_token``, Shopify's ``shopify-reload`` pattern); fetches get 401 JSON with
``X-Shopify-Retry-Invalid-Session-Request: 1`` so App Bridge retries with a fresh token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from connector.domain.errors import AppAccessRefused, StorageUnavailable
from connector.install.ports import InstallPorts
from connector.merchant.auth import (
    ADMIN_URL,
    COOKIE,
    SHOPIFY,
    Authenticated,
    MerchantSession,
    admin_app_url,
    check_csrf,
    cookie_session,
    shop_param,
    shopify_session,
    token_expired,
)

log = logging.getLogger(__name__)

merchant_bp = Blueprint("merchant", __name__, url_prefix="/app", static_folder="static",
                        static_url_path="/static")

NAV = (("Backorders", "/app/backorders"), ("Suppliers", "/app/suppliers"), ("Settings", "/app/settings"),
       ("Messages", "/app/messages"), ("Jobs", "/app/jobs"),
       ("KPIs", "/app/kpis"),
       ("Reorder", "/app/reorder"))
"""The app's sections (label, path): each page helper serves its path."""
APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"
AUTH_PARAMS = ("id_token", "shop", "host", "embedded", "locale", "session", "timestamp", "hmac")
"""Query parameters Shopify puts on the app's URL: carried along (id_token, shop, host) or dropped."""

__all__ = ["NAV", "MerchantSession", "app_link", "container", "merchant_bp", "merchant_view", "render_page"]

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def container() -> InstallPorts:
    return cast(InstallPorts, current_app.extensions["connector"])


class _Bounce(Exception):
    """A Shopify document load whose token is missing or expired: App Bridge must reload it."""

    def __init__(self, shop: str) -> None:
        super().__init__(shop)
        self.shop = shop


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate() -> Authenticated:
    """The request's merchant, or AppAccessRefused / _Bounce."""
    c = container()
    bearer = _bearer()
    if bearer:
        return shopify_session(c, bearer)
    token = (request.form.get("id_token") if request.method == "POST" else None) or request.args.get("id_token")
    if token:
        try:
            return shopify_session(c, token)
        except AppAccessRefused:
            shop = shop_param(request.args.get("shop"))
            if request.method == "GET" and shop and token_expired(token):
                raise _Bounce(shop) from None
            raise
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return cookie_session(c, cookie)
    shop = shop_param(request.args.get("shop"))
    if request.method == "GET" and shop:
        raise _Bounce(shop)
    raise AppAccessRefused("open the app from your store's admin", 401)


def merchant_view(view: F) -> F:
    """Authenticate the request (and its CSRF token on a POST), set ``g.merchant``, run the view."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        try:
            auth = authenticate()
            if request.method not in SAFE_METHODS and not _bearer():
                check_csrf(container(), auth.binding,
                           request.form.get("csrf_token") or request.headers.get("X-CSRF-Token"))
        except _Bounce as bounce:
            return _redirect_to_bounce(bounce.shop)
        except AppAccessRefused as exc:
            return refused(exc)
        except StorageUnavailable:
            return _error_page(503, "Storage unavailable", "The connector cannot reach its database; try again soon.")
        g.merchant = auth.session
        g.merchant_auth = auth
        return view(*args, **kwargs)
    return cast(F, wrapper)


def wants_json() -> bool:
    return bool(_bearer()) or request.accept_mimetypes.best == "application/json"


def refused(exc: AppAccessRefused) -> ResponseReturnValue:
    log.info("app request refused", extra={"path": request.path, "status": exc.status, "reason": str(exc)})
    if wants_json():
        answer = jsonify({"error": str(exc)})
        answer.status_code = exc.status
        if _bearer() and exc.status == 401:
            answer.headers[RETRY_HEADER] = "1"
        return answer
    shop = shop_param(request.args.get("shop"))
    again = admin_app_url(container(), shop) if shop else None
    return _error_page(exc.status, "You are not signed in" if exc.status == 401 else "Request refused",
                       f"{exc}. Open the app again from your store's admin.", link=again)


def _error_page(status: int, title: str, text: str, link: str | None = None) -> ResponseReturnValue:
    html = render_template("merchant/message.html", title=title, text=text, link=link)
    return Response(html, status=status, mimetype="text/html")


# -- the bounce page ------------------------------------------------------------------------------------

def _redirect_to_bounce(shop: str) -> ResponseReturnValue:
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "id_token"]
    reload_url = request.path + ("?" + urlencode(kept) if kept else "")
    params = {"shop": shop, "shopify-reload": reload_url}
    if request.args.get("host"):
        params["host"] = request.args["host"]
    answer = Response(status=302)
    answer.headers["Location"] = "/app/session-token?" + urlencode(params)
    return answer


@merchant_bp.get("/session-token")
def bounce() -> ResponseReturnValue:
    """App Bridge loads here, fetches a fresh session token and reloads ``shopify-reload`` with it."""
    shop = shop_param(request.args.get("shop"))
    target = request.args.get("shopify-reload", "")
    parts = urlsplit(target)
    if not shop or parts.scheme or parts.netloc or not (parts.path == "/app" or parts.path.startswith("/app/")):
        return _error_page(400, "Cannot open the app", "This address is not one of the app's pages.")
    html = render_template("merchant/bounce.html", api_key=container().settings.shopify_api_key or "",
                           app_bridge=APP_BRIDGE, again=admin_app_url(container(), shop))
    return Response(html, mimetype="text/html")


# -- pages ---------------------------------------------------------------------------------------------

def app_link(path: str, **params: Any) -> str:
    """A link to another app page that keeps the session: on Shopify the document-load token, shop and
    host ride along, so a click works without JavaScript while the token lives (App Bridge replaces
    an expired one through the bounce page)."""
    query: list[tuple[str, str]] = [(k, str(v)) for k, v in params.items() if v is not None and v != ""]
    auth: Authenticated | None = g.get("merchant_auth")
    if auth is not None and auth.session.platform == SHOPIFY:
        query += [("shop", auth.session.shop_domain)]
        if request.args.get("host"):
            query += [("host", request.args["host"])]
        if auth.id_token:
            query += [("id_token", auth.id_token)]
    return path + ("?" + urlencode(query) if query else "")


def auth_fields() -> Markup:
    """Hidden fields every POST form of the app carries: the CSRF token and (Shopify) the session token,
    which app.js refreshes from App Bridge on submit."""
    auth: Authenticated = g.merchant_auth
    fields = f'<input type="hidden" name="csrf_token" value="{escape(auth.csrf_token)}">'
    if auth.session.platform == SHOPIFY:
        fields += f'<input type="hidden" name="id_token" value="{escape(auth.id_token or "")}" data-id-token>'
    return Markup(fields)


ASK_FOR: dict[str, tuple[str, str, str]] = {
    "support e-mail": ("Customers' replies have nowhere to go", "set your support e-mail", "notify.support_email"),
    "shop name": ("Customers see your store's web address instead of its name", "set the name customers see",
                  "notify.sender_name"),
}
"""What ``Brand.missing`` (connector/notify/brand.py) asks of the merchant, as a banner on every page: why,
what to do, and the setting's field on the settings page; gone once the setting (or the store) gives it."""


def brand_requests(shop_id: int) -> list[dict[str, str]]:
    """The banners for what the shop's brand is missing (each: text, action, link to the setting's field)."""
    from connector.notify import brand

    try:
        missing = brand.load(container().uow(), shop_id).missing
    except LookupError:
        return []
    asks = []
    for item in missing:
        if item in ASK_FOR:
            text, action, key = ASK_FOR[item]
            field = "setting-" + key.replace(".", "-").replace("_", "-")
            asks.append({"text": text, "action": action, "href": app_link("/app/settings") + "#" + field})
    return asks


def render_page(template: str, **context: Any) -> ResponseReturnValue:
    """Render ``connector/templates/merchant/<template>`` (which extends base.html) for ``g.merchant``."""
    session: MerchantSession = g.merchant
    name = template if template.startswith("merchant/") else f"merchant/{template}"
    active = next((path for _, path in NAV if request.path == path or request.path.startswith(path + "/")), "/app")
    html = render_template(
        name, merchant=session, nav=NAV, active=active, app_link=app_link, auth_fields=auth_fields,
        csrf_token=g.merchant_auth.csrf_token, shopify=session.platform == SHOPIFY, app_bridge=APP_BRIDGE,
        shopify_api_key=container().settings.shopify_api_key or "", brand_requests=brand_requests(session.shop_id),
        **context)
    return Response(html, mimetype="text/html")


@merchant_bp.after_request
def security_headers(response: Response) -> Response:
    merchant: MerchantSession | None = g.get("merchant")
    if merchant is not None and merchant.platform == SHOPIFY:
        ancestors = f"https://{merchant.shop_domain} {ADMIN_URL}"
    elif merchant is not None:
        ancestors = "'none'"  # WooCommerce merchants open the app in a tab of its own
    else:
        shop = shop_param(request.args.get("shop"))
        ancestors = f"https://{shop} {ADMIN_URL}" if shop else ADMIN_URL
    response.headers["Content-Security-Policy"] = (
        f"frame-ancestors {ancestors}; script-src 'self' https://cdn.shopify.com; object-src 'none'; "
        "base-uri 'self'; form-action 'self'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "merchant.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@merchant_bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    if wants_json():
        return jsonify({"error": error.description}), error.code or 500
    return _error_page(error.code or 500, error.name, error.description or "")
