"""The simulated Shopify OAuth server: authorize page, token endpoint, App Bridge session tokens.

Grants: authorization_code (optionally ``expiring=1``: 60-minute token + rotating refresh token),
refresh_token (the used refresh token is burnt; using it again is ``invalid_grant``), and
token exchange of an App Bridge session token. The authorize page asks the merchant to approve;
``auto_approve`` (or POST /_sandbox/oauth/auto_approve) redirects at once, for tests and the demo.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jwt
from flask import Blueprint, Response, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from sandbox.shopify_sim.store import Shop

if TYPE_CHECKING:
    from sandbox.shopify_sim.simulator import ShopifySimulator

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@dataclass
class Token:
    shop: str
    scope: str
    expires_at: float | None


def query_hmac(params: dict[str, str], secret: str) -> str:
    """Shopify's install/callback signature: sorted k=v pairs joined by &, hex HMAC-SHA256."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_query(params: dict[str, str], secret: str) -> dict[str, str]:
    return {**params, "hmac": query_hmac(params, secret)}


def session_token(shop: str, api_key: str, secret: str, *, now: float | None = None, ttl: float = 60,
                  **overrides: Any) -> str:
    """An App Bridge session token as the Shopify admin issues it (HS256 with the app secret)."""
    issued = time.time() if now is None else now
    claims = {"iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": api_key, "sub": "42",
              "exp": int(issued + ttl), "nbf": int(issued), "iat": int(issued), "jti": secrets.token_hex(8),
              "sid": secrets.token_hex(8), **overrides}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


class OAuthServer:
    def __init__(self, sim: ShopifySimulator, api_key: str, *, clock: Callable[[], float] = time.time,
                 access_ttl: float = 3600.0, refresh_ttl: float = 90 * 86400.0,
                 app_scopes: str = "write_orders,write_products,read_inventory") -> None:
        self.sim = sim
        self.api_key = api_key
        self.app_scopes = app_scopes
        """What a token exchange grants: the scopes of the app's configuration (managed install)."""
        self.clock = clock
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.auto_approve = False
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[str, str, bool]] = {}
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, tuple[str, str, float]] = {}
        self.grants: list[str] = []
        """Grant types served, in order (tests count refreshes)."""
        self.refused: list[str] = []
        self.delay = 0.0
        """Seconds the token endpoint takes to answer (tests widen race windows with it)."""

    def shop_for_token(self, token: str) -> Shop | None:
        with self._lock:
            record = self._tokens.get(token)
        if record is None or (record.expires_at is not None and record.expires_at <= self.clock()):
            return None
        return self.sim.shops.get(record.shop)

    def scopes_for_token(self, token: str) -> frozenset[str] | None:
        """The scopes granted with a token this server issued (what the authorize page approved)."""
        from sandbox.shopify_sim.access import parse_scopes

        with self._lock:
            record = self._tokens.get(token)
        return parse_scopes(record.scope) if record is not None else frozenset()

    def expire_tokens(self, shop: str) -> None:
        """Every access token of the shop expires now (the refresh token stays valid)."""
        with self._lock:
            for record in self._tokens.values():
                if record.shop == shop:
                    record.expires_at = self.clock() - 1

    def uninstall(self, shop: str) -> None:
        """The merchant removes the app: every token of the shop is revoked, app/uninstalled is sent,
        and the app's subscriptions are gone."""
        import json

        from sandbox.shopify_sim.ext_install import subscriptions_of

        with self._lock:
            for token in [t for t, r in self._tokens.items() if r.shop == shop]:
                del self._tokens[token]
            for refresh in [t for t, r in self._refresh.items() if r[0] == shop]:
                del self._refresh[refresh]
        with subscriptions_of(self.sim.graphql).lock:
            subscriptions_of(self.sim.graphql).by_shop.pop(shop, None)
        target = self.sim.shop(shop)
        if target.access_token:
            target.access_token = "revoked-" + secrets.token_hex(4)
        body = {"id": 1, "name": shop.split(".")[0], "domain": shop, "myshopify_domain": shop}
        self.sim._send(target, "app/uninstalled", json.loads(json.dumps(body)))

    def tokens_of(self, shop: str) -> list[str]:
        with self._lock:
            return [t for t, r in self._tokens.items() if r.shop == shop]

    def _ensure_shop(self, domain: str) -> None:
        with self.sim._lock:
            if domain not in self.sim.shops:
                self.sim.shops[domain] = Shop(domain=domain, access_token="")

    def _callback(self, shop: str, scope: str, redirect_uri: str, state: str, expiring: bool) -> ResponseReturnValue:
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = (shop, scope, expiring)
        self._ensure_shop(shop)
        params = signed_query({"code": code, "shop": shop, "state": state, "timestamp": str(int(self.clock())),
                               "host": shop.replace(".myshopify.com", "")}, self.sim.api_secret)
        return redirect(f"{redirect_uri}?{urlencode(params)}", 302)

    def _grant(self, shop: str, scope: str, expiring: bool) -> dict[str, Any]:
        token = "shpat_" + secrets.token_hex(16)
        now = self.clock()
        answer: dict[str, Any] = {"access_token": token, "scope": scope}
        with self._lock:
            self._tokens[token] = Token(shop, scope, now + self.access_ttl if expiring else None)
            if expiring:
                refresh = "shprt_" + secrets.token_hex(16)
                self._refresh[refresh] = (shop, scope, now + self.refresh_ttl)
                answer.update(expires_in=int(self.access_ttl), refresh_token=refresh,
                              refresh_token_expires_in=int(self.refresh_ttl))
        return answer

    def token(self, form: dict[str, str]) -> tuple[dict[str, Any], int]:
        if self.delay:
            time.sleep(self.delay)
        if form.get("client_id") != self.api_key or not hmac.compare_digest(
                str(form.get("client_secret", "")).encode(), self.sim.api_secret.encode()):
            self.refused.append("invalid_client")
            return {"error": "invalid_client", "error_description": "Client credentials are invalid"}, 400
        grant = form.get("grant_type") or "authorization_code"
        expiring = str(form.get("expiring", "")) == "1"
        if grant == "authorization_code":
            with self._lock:
                found = self._codes.pop(str(form.get("code", "")), None)
            if found is None:
                self.refused.append(grant)
                return {"error": "invalid_request", "error_description": "The authorization code was not found "
                        "or was already used"}, 400
            shop, scope, asked = found
            self.grants.append(grant)
            return self._grant(shop, scope, expiring or asked), 200
        if grant == "refresh_token":
            with self._lock:
                found_refresh = self._refresh.pop(str(form.get("refresh_token", "")), None)
            if found_refresh is None or found_refresh[2] <= self.clock():
                self.refused.append(grant)
                return {"error": "invalid_grant", "error_description": "refresh token is invalid or used"}, 400
            self.grants.append(grant)
            return self._grant(found_refresh[0], found_refresh[1], True), 200
        if grant == TOKEN_EXCHANGE:
            try:
                claims = jwt.decode(str(form.get("subject_token", "")), self.sim.api_secret, algorithms=["HS256"],
                                    audience=self.api_key, options={"require": ["exp", "nbf", "dest"]})
            except jwt.PyJWTError:
                self.refused.append(grant)
                return {"error": "invalid_subject_token", "error_description": "bad session token"}, 400
            shop = str(claims["dest"]).removeprefix("https://").rstrip("/")
            self._ensure_shop(shop)
            self.grants.append(grant)
            return self._grant(shop, self.app_scopes, expiring), 200
        self.refused.append(grant)
        return {"error": "unsupported_grant_type"}, 400

    def blueprint(self) -> Blueprint:
        bp = Blueprint("shopify_sim_oauth", __name__)

        @bp.get("/admin/oauth/authorize")
        def authorize() -> ResponseReturnValue:
            args = request.args
            shop = args.get("shop", "")
            if args.get("client_id") != self.api_key or not shop.endswith(".myshopify.com"):
                return jsonify({"error": "unknown client_id or shop"}), 400
            fields = (shop, args.get("scope", ""), args.get("redirect_uri", ""), args.get("state", ""),
                      args.get("expiring") == "1")
            if self.auto_approve:
                return self._callback(*fields)
            hidden = "".join(f"<input type='hidden' name='{k}' value='{escape(v)}'>" for k, v in args.items())
            return Response(f"<!doctype html><title>Install app</title><h1>Install app on {escape(shop)}</h1>"
                            f"<p>Scopes: {escape(fields[1])}</p><form method='post' action='/admin/oauth/approve'>"
                            f"{hidden}<button type='submit'>Install app</button></form>", mimetype="text/html")

        @bp.post("/admin/oauth/approve")
        def approve() -> ResponseReturnValue:
            f = request.form
            return self._callback(f.get("shop", ""), f.get("scope", ""), f.get("redirect_uri", ""),
                                  f.get("state", ""), f.get("expiring") == "1")

        @bp.post("/admin/oauth/access_token")
        def access_token() -> ResponseReturnValue:
            form = request.get_json(silent=True) if request.is_json else request.form.to_dict()
            return _json(*self.token({k: str(v) for k, v in (form or {}).items()}))

        @bp.post("/_sandbox/oauth/auto_approve")
        def control_auto_approve() -> Response:
            self.auto_approve = bool((request.get_json(silent=True) or {}).get("enabled", True))
            return jsonify({"auto_approve": self.auto_approve})

        @bp.post("/_sandbox/oauth/session_token")
        def control_session_token() -> Response:
            shop = str((request.get_json(silent=True) or {}).get("shop", ""))
            return jsonify({"token": session_token(shop, self.api_key, self.sim.api_secret)})

        return bp


def _json(body: dict[str, Any], status: int) -> tuple[Response, int]:
    return jsonify(body), status
