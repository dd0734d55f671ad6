"""Shopify OAuth: install query HMAC, authorize URL, the token endpoint, App Bridge session tokens.

Query HMAC, the authorize URL and session-token checks use ShopifyAPI 12.7.0's helpers
(``shopify.Session`` and ``shopify.session_token``). Its ``Session.setup`` keeps the app's key and
secret in class attributes, which is process-global; here each call uses a throwaway subclass
that carries its own key and secret, so several secrets (rotation) and threads never interfere.
The token endpoint (authorization code, refresh with rotation, token exchange) is not in
ShopifyAPI 12.7.0, so it is a small client over ``adapters.http`` with one ``_request()``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import shopify
from shopify import session_token

from adapters.http import HttpTransport
from connector.domain.errors import PlatformRejected

log = logging.getLogger(__name__)

TOKEN_PATH = "/admin/oauth/access_token"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"
MAX_TIMESTAMP_SKEW = timedelta(hours=24)
"""ShopifyAPI's own bound on the install/callback ``timestamp`` (Session.validate_params)."""


class QueryHmacError(Exception):
    """The install or callback query string is unsigned, badly signed or too old."""


class SessionTokenInvalid(Exception):
    """An App Bridge session token failed verification (the message says which check)."""


def _session_class(api_key: str = "", secret: str = "") -> type[shopify.Session]:
    return type("ConnectorSession", (shopify.Session,), {"api_key": api_key, "secret": secret})


def query_params(args: Any) -> dict[str, Any]:
    """A werkzeug MultiDict (or a plain mapping) as ShopifyAPI expects it: ``k[]`` keys keep lists."""
    if hasattr(args, "getlist"):
        return {key: (args.getlist(key) if key.endswith("[]") else args.get(key)) for key in args}
    return dict(args)


def verify_query_hmac(params: Mapping[str, Any], secrets: Iterable[str], *,
                      now: float | None = None, check_timestamp: bool = True) -> None:
    """Raise QueryHmacError unless ``hmac`` matches for one of ``secrets`` (and the timestamp is fresh)."""
    if not params.get("hmac"):
        raise QueryHmacError("missing hmac")
    if not any(secret and _session_class(secret=secret).validate_hmac(dict(params)) for secret in secrets):
        raise QueryHmacError("hmac does not match the query")
    if check_timestamp:
        try:
            stamp = int(str(params.get("timestamp", "")))
        except ValueError:
            raise QueryHmacError("missing or malformed timestamp") from None
        current = time.time() if now is None else now
        if abs(current - stamp) > MAX_TIMESTAMP_SKEW.total_seconds():
            raise QueryHmacError("timestamp is too old or in the future")


def admin_origin(shop_domain: str, admin_base: str | None) -> str:
    """``https://{shop}``, or the sandbox origin that stands in for every shop."""
    return admin_base.rstrip("/") if admin_base else f"https://{shop_domain}"


def authorize_url(shop_domain: str, *, api_key: str, scopes: Iterable[str], redirect_uri: str, state: str,
                  admin_base: str | None = None) -> str:
    """The store's authorize page for the authorization-code grant, asking for an expiring offline token."""
    session = _session_class(api_key=api_key)(shop_domain, "2026-04")
    url = session.create_permission_url(scope=list(scopes), redirect_uri=redirect_uri, state=state)
    url += "&expiring=1"
    if admin_base:
        parts = urlsplit(url)
        url = f"{admin_origin(shop_domain, admin_base)}{parts.path}?{parts.query}&shop={shop_domain}"
    return url


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint gave. Never logged: repr hides the tokens."""

    access_token: str
    scope: str
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"TokenGrant(scope={self.scope!r}, expires_at={self.expires_at}, <tokens redacted>)"


class ShopifyTokenClient:
    """POST /admin/oauth/access_token for the three grants the connector uses."""

    def __init__(self, api_key: str, api_secret: str, *, transport: HttpTransport | None = None,
                 admin_base: str | None = None) -> None:
        self.api_key = api_key
        self._secret = api_secret
        self.transport = transport or HttpTransport(name="shopify-oauth")
        self.admin_base = admin_base

    def __repr__(self) -> str:
        return f"ShopifyTokenClient(api_key={self.api_key!r}, <secret redacted>)"

    def exchange_code(self, shop_domain: str, code: str) -> TokenGrant:
        return self._request(shop_domain, {"code": code, "expiring": "1"})

    def refresh(self, shop_domain: str, refresh_token: str) -> TokenGrant:
        return self._request(shop_domain, {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def exchange_session_token(self, shop_domain: str, token: str) -> TokenGrant:
        return self._request(shop_domain, {
            "grant_type": TOKEN_EXCHANGE, "subject_token": token, "subject_token_type": ID_TOKEN,
            "requested_token_type": OFFLINE_TOKEN, "expiring": "1"})

    def _request(self, shop_domain: str, fields: Mapping[str, str]) -> TokenGrant:
        url = admin_origin(shop_domain, self.admin_base) + TOKEN_PATH
        body = {"client_id": self.api_key, "client_secret": self._secret, **fields}
        response = self.transport.request("POST", url, json=body, headers={"Accept": "application/json"})
        try:
            data = response.json()
        except ValueError:
            raise PlatformRejected(f"shopify {shop_domain}: token endpoint answered a non-JSON body") from None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise PlatformRejected(f"shopify {shop_domain}: token endpoint answered without access_token")
        now = datetime.now(UTC)
        return TokenGrant(
            access_token=str(data["access_token"]), scope=str(data.get("scope", "")),
            expires_at=_after(now, data.get("expires_in")),
            refresh_token=str(data["refresh_token"]) if data.get("refresh_token") else None,
            refresh_expires_at=_after(now, data.get("refresh_token_expires_in")),
        )


def _after(now: datetime, seconds: Any) -> datetime | None:
    try:
        return now + timedelta(seconds=float(seconds)) if seconds is not None else None
    except (TypeError, ValueError):
        return None


def verify_session_token(token: str, *, api_key: str, secrets: Iterable[str]) -> dict[str, Any]:
    """Verify an App Bridge JWT (HS256 signature, aud = our key, exp/nbf, iss and dest the same shop).

    Returns the claims with ``shop`` added (the myshopify domain from ``dest``).
    """
    if not token:
        raise SessionTokenInvalid("missing session token")
    last: Exception | None = None
    for secret in secrets:
        if not secret:
            continue
        try:
            claims: dict[str, Any] = session_token.decode_from_header(f"Bearer {token}", api_key, secret)
        except session_token.SessionTokenError as exc:
            last = exc
            continue
        for claim in ("exp", "nbf", "aud"):
            if claim not in claims:
                raise SessionTokenInvalid(f"session token lacks {claim}")
        shop = urlsplit(str(claims["dest"])).netloc.lower()
        if not shop.endswith(".myshopify.com"):
            raise SessionTokenInvalid("session token dest is not a myshopify domain")
        return {**claims, "shop": shop}
    reason = type(last).__name__ if last else "no secret configured"
    raise SessionTokenInvalid(f"session token rejected: {reason}: {last}" if last else reason)
