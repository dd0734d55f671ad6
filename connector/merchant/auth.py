"""Who is asking: the merchant app's authentication on both platforms, without Flask.

Shopify (embedded in the admin): every request carries a Shopify session token, verified as
``/shopify/session`` does (connector/install/install.py ``embedded_session``: HS256 with the app
secret, ``aud`` our API key, ``exp``/``nbf`` with ShopifyAPI's 10 s leeway, ``iss`` and ``dest`` the
same shop; the offline token is obtained by token exchange when the shop has none yet). The shop
must then be installed and active.

WooCommerce (a tab of its own): the WordPress plugin asks the connector for a link, signed with the
store's secret (the webhook secret the connector keeps for it, sealed at rest). The link names the
store and the WordPress user, expires after ``LINK_TTL`` and opens once (its nonce is recorded when
minted and taken with one conditional UPDATE). Opening it starts a session: a cookie signed with the
app's key (``CONNECTOR_SECRET_KEY``, every rotated key accepted), valid ``SESSION_TTL``.

Forms carry a CSRF token bound to the session (``csrf_token``). Every refusal is AppAccessRefused,
naming what failed; the entry point maps it to 401/403.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from connector.domain.clock import utcnow
from connector.domain.errors import AppAccessRefused, CredentialsError, InstallRejected, InvalidPayload
from connector.install.install import embedded_session
from connector.install.ports import InstallPorts
from connector.merchant.models import AppLink
from connector.merchant.repository import MerchantRepository
from connector.shops import normalise_shopify_domain, normalise_store_url

log = logging.getLogger(__name__)

SHOPIFY, WOOCOMMERCE = "shopify", "woocommerce"
ADMIN_URL = "https://admin.shopify.com"
"""The Shopify admin, where the embedded app lives (and the only other frame ancestor)."""
LINK_TTL = timedelta(minutes=5)
"""How long a WooCommerce app link opens (and how far a plugin request's timestamp may be off)."""
SESSION_TTL = timedelta(hours=8)
"""How long a WooCommerce app session (its cookie) lasts after the link was opened."""
LINK_PURPOSE = "woocommerce_enter"
LINK_REQUEST_PURPOSE = "woocommerce_link_request"
COOKIE = "connector_app"


@dataclass(frozen=True)
class MerchantSession:
    """The merchant behind a request: every query of the app is scoped to ``shop_id``."""

    shop_id: int
    shop_domain: str
    platform: str
    """shopify | woocommerce"""
    actor: str
    """Who, for audit trails: "shopify:<user id>" (the token's ``sub``) or "woocommerce:<user id>:<login>"."""


@dataclass(frozen=True)
class Authenticated:
    """A verified request: the session, the CSRF token its forms must carry, and (Shopify) the
    session token of the request, put on links and forms so they work without JavaScript."""

    session: MerchantSession
    binding: str
    """What the session's CSRF token is bound to (platform, shop, and the user or the cookie's nonce)."""
    csrf_token: str
    id_token: str | None = None


# -- keys ------------------------------------------------------------------------------------------------

def _app_keys(container: InstallPorts, purpose: str) -> list[bytes]:
    """Keys derived from CONNECTOR_SECRET_KEY for one purpose, newest first (rotation)."""
    raw = [part.strip() for part in (container.settings.secret_key or "").split(",") if part.strip()]
    if not raw:
        raise AppAccessRefused("the connector has no secret_key to sign app sessions with", 503)
    return [hmac.new(key.encode(), f"backorder-connector/merchant-app/{purpose}/v1".encode(), hashlib.sha256).digest()
            for key in raw]


def _mac(key: bytes, text: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def csrf_for(container: InstallPorts, binding: str) -> str:
    """The CSRF token of a session (``binding`` names it: platform, shop and user or cookie nonce)."""
    return _mac(_app_keys(container, "csrf")[0], binding)


def check_csrf(container: InstallPorts, binding: str, presented: str | None) -> None:
    """AppAccessRefused (403) unless ``presented`` is the session's CSRF token under some key."""
    if not presented:
        raise AppAccessRefused("missing CSRF token", 403)
    matches = [hmac.compare_digest(_mac(key, binding).encode(), presented.encode())
               for key in _app_keys(container, "csrf")]
    if not any(matches):
        raise AppAccessRefused("bad CSRF token", 403)


# -- Shopify -------------------------------------------------------------------------------------------

def token_expired(token: str, now: float | None = None) -> bool:
    """True when the (unverified) token's ``exp`` has passed: a genuine but stale token earns the
    bounce page (App Bridge reloads with a fresh one); a forged one gains nothing from it."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) < (time.time() if now is None else now)
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return False


def shopify_session(container: InstallPorts, token: str) -> Authenticated:
    """Verify a Shopify session token and return its merchant; AppAccessRefused (401) otherwise."""
    try:
        verified = embedded_session(container, token)
    except InstallRejected as exc:
        raise AppAccessRefused(str(exc), 401) from None
    with container.uow() as uow:
        shop = uow.shops.get(verified.shop_id)
        if shop is None or shop.platform != SHOPIFY or shop.status != "active":
            raise AppAccessRefused("the shop is not installed", 401)
        domain = shop.domain
    actor = f"shopify:{verified.user}" if verified.user else "shopify"
    session = MerchantSession(verified.shop_id, domain, SHOPIFY, actor)
    binding = f"{SHOPIFY}|{verified.shop_id}|{actor}"
    return Authenticated(session, binding, csrf_for(container, binding), token)


def admin_app_url(container: InstallPorts, shop_domain: str) -> str:
    """The app inside the shop's admin: https://admin.shopify.com/store/<store>/apps/<api key>."""
    store = shop_domain.removesuffix(".myshopify.com")
    return f"{ADMIN_URL}/store/{store}/apps/{container.settings.shopify_api_key or ''}"


def shop_param(value: str | None) -> str | None:
    """The ``shop`` query parameter when it is a myshopify domain (for the bounce page), else None."""
    try:
        return normalise_shopify_domain(value or "")
    except InvalidPayload:
        return None


# -- WooCommerce: links ----------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _store_secret(container: InstallPorts, shop_id: int) -> tuple[str, str]:
    """(store URL, its secret) of an active WooCommerce store; AppAccessRefused (401) otherwise."""
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or shop.platform != WOOCOMMERCE or shop.status != "active":
            raise AppAccessRefused("unknown store", 401)
        try:
            secret = container.box.open(shop.credentials).webhook_secret
        except CredentialsError:
            secret = None
        if not secret:
            raise AppAccessRefused("the store has no secret to sign app links with", 401)
        return shop.domain, secret


def _link_signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def mint_link(container: InstallPorts, shop_id: int, user_id: str, user_login: str, *,
              now: datetime | None = None) -> str:
    """A signed, single-use link into the app for a WooCommerce store's user, valid ``LINK_TTL`` from
    ``now`` (default: this moment)."""
    base = (container.settings.app_url or "").rstrip("/")
    if not base:
        raise AppAccessRefused("app links need app.url (the connector's public URL) in the configuration", 503)
    _, secret = _store_secret(container, shop_id)
    nonce = secrets.token_urlsafe(24)
    now = now or utcnow()
    expires = now + LINK_TTL
    actor = f"{WOOCOMMERCE}:{user_id}:{user_login}"[:255]
    payload = _b64(json.dumps({"s": shop_id, "n": nonce, "e": int(expires.timestamp()), "u": str(user_id),
                               "l": str(user_login)}, separators=(",", ":")).encode())
    with container.uow() as uow:
        uow.repo(MerchantRepository).add_link(AppLink(shop_id=shop_id, purpose=LINK_PURPOSE, actor=actor,
                                                      nonce_hash=_digest(nonce), created_at=now, expires_at=expires))
        uow.commit()
    token = f"{payload}.{_link_signature(secret, payload)}"
    log.info("app link minted", extra={"shop_id": shop_id})
    return f"{base}/app/woocommerce/enter?{urlencode({'store': shop_id, 'token': token})}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def open_link(container: InstallPorts, store: str, token: str) -> MerchantSession:
    """Take a WooCommerce app link: signature, store, expiry, then its nonce once. AppAccessRefused (401)."""
    try:
        shop_id = int(store)
        payload, signature = token.split(".")
        claims: dict[str, Any] = json.loads(_unb64(payload))
        if not isinstance(claims, dict):
            raise ValueError("claims")
    except (ValueError, binascii.Error):
        raise AppAccessRefused("malformed app link", 401) from None
    domain, secret = _store_secret(container, shop_id)
    if not hmac.compare_digest(_link_signature(secret, payload).encode(), signature.encode()):
        raise AppAccessRefused("app link signature refused", 401)
    if claims.get("s") != shop_id:
        raise AppAccessRefused("app link was made for another store", 401)
    now = utcnow()
    if float(claims.get("e", 0)) <= now.timestamp():
        raise AppAccessRefused("app link has expired: open the app again from WordPress", 401)
    with container.uow() as uow:
        links = uow.repo(MerchantRepository)
        row = links.link(_digest(str(claims.get("n", ""))))
        if row is None or row.shop_id != shop_id or row.purpose != LINK_PURPOSE:
            raise AppAccessRefused("unknown app link", 401)
        if row.used_at is not None or not links.take_link(row.id, now):
            raise AppAccessRefused("app link was already used: open the app again from WordPress", 401)
        uow.commit()
    actor = f"{WOOCOMMERCE}:{claims.get('u', '')}:{claims.get('l', '')}"[:255]
    log.info("app link opened", extra={"shop_id": shop_id})
    return MerchantSession(shop_id, domain, WOOCOMMERCE, actor)


def link_for_plugin(container: InstallPorts, body: bytes, signature: str) -> str:
    """``POST /app/woocommerce/link`` from the WordPress plugin: body {store_url, user_id, user_login,
    timestamp}, ``X-Connector-Signature`` = base64(HMAC-SHA256(raw body, store secret)). An unknown store
    and a bad signature get the same refusal; a replayed request is refused too. Returns the link."""
    refused = AppAccessRefused("signature refused", 401)
    try:
        fields = json.loads(body)
        store_url = normalise_store_url(str(fields["store_url"]))
        user_id, user_login, stamp = str(fields["user_id"]), str(fields["user_login"]), float(fields["timestamp"])
    except (ValueError, KeyError, TypeError, InvalidPayload):
        raise AppAccessRefused("body must be JSON with store_url, user_id, user_login and timestamp", 400) from None
    with container.uow() as uow:
        shop = uow.shops.by_domain(WOOCOMMERCE, store_url)
        shop_id = shop.id if shop is not None and shop.status == "active" else None
    try:
        secret = _store_secret(container, shop_id)[1] if shop_id is not None else None
    except AppAccessRefused:
        secret = None
    expected = base64.b64encode(hmac.new((secret or secrets.token_hex(16)).encode(), body, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.strip().encode()) or secret is None or shop_id is None:
        log.warning("app link request refused", extra={"store": store_url})
        raise refused
    now = utcnow()
    if abs(now.timestamp() - stamp) > LINK_TTL.total_seconds():
        raise AppAccessRefused("timestamp is more than 5 minutes off", 401)
    with container.uow() as uow:
        fresh = uow.repo(MerchantRepository).use_nonce(shop_id, LINK_REQUEST_PURPOSE, _digest(signature.strip()),
                                                       now + 2 * LINK_TTL, now)
        uow.commit()
    if not fresh:
        raise AppAccessRefused("this request was already answered", 401)
    return mint_link(container, shop_id, user_id, user_login)


# -- WooCommerce: the session cookie -------------------------------------------------------------------

def _serializer(container: InstallPorts) -> URLSafeTimedSerializer:
    keys = list(reversed(_app_keys(container, "session")))  # itsdangerous: the last key signs
    return URLSafeTimedSerializer(keys, salt="merchant-session")


def session_cookie(container: InstallPorts, session: MerchantSession) -> str:
    """The signed cookie value of a new WooCommerce session (a fresh nonce binds its CSRF token)."""
    return _serializer(container).dumps({"s": session.shop_id, "a": session.actor, "n": secrets.token_urlsafe(12)})


def cookie_session(container: InstallPorts, value: str) -> Authenticated:
    """The session of a cookie: signed by us, younger than SESSION_TTL, its store still active."""
    try:
        data = _serializer(container).loads(value, max_age=int(SESSION_TTL.total_seconds()))
        shop_id, actor, nonce = int(data["s"]), str(data["a"]), str(data["n"])
    except SignatureExpired:
        raise AppAccessRefused("your session has expired: open the app again from WordPress", 401) from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise AppAccessRefused("invalid session cookie", 401) from None
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or shop.platform != WOOCOMMERCE or shop.status != "active":
            raise AppAccessRefused("the store is not connected", 401)
        domain = shop.domain
    session = MerchantSession(shop_id, domain, WOOCOMMERCE, actor)
    binding = f"{WOOCOMMERCE}|{shop_id}|{nonce}"
    return Authenticated(session, binding, csrf_for(container, binding))

