"""Installing shops: Shopify authorization-code grant and token exchange, WooCommerce app keys.

Every check that can refuse an install raises InstallRejected (mapped to 4xx by webhooks/install.py).
One-time values (the OAuth ``state``, the wc-auth ``user_id``) are stored only as SHA-256 digests
and consumed with a single conditional UPDATE, so a replay or a race finds nothing left to use.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connector.db.models import Shop
from connector.domain.clock import utcnow
from connector.domain.errors import InstallRejected, InvalidPayload, PermanentError, PlatformError
from connector.domain.model import ShopCredentials
from connector.install.models import OAuthState, PendingConnect
from connector.install.ports import InstallPorts
from connector.install.repository import InstallRepository
from connector.install.tokens import apply_grant
from connector.ports import TokenGrant
from connector.shops import normalise_shopify_domain, normalise_store_url

log = logging.getLogger(__name__)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def shopify_secrets(container: InstallPorts) -> list[str]:
    return [s.strip() for s in (container.settings.shopify_api_secret or "").split(",") if s.strip()]


def app_url(container: InstallPorts) -> str:
    url = container.settings.app_url
    if not url:
        raise InstallRejected("installs need app.url (the connector's public URL) in the configuration", 503)
    return url.rstrip("/")


def _verified_shop(container: InstallPorts, params: Mapping[str, Any]) -> str:
    container.shopify_oauth().verify_query(params, shopify_secrets(container))  # InstallRejected (401)
    try:
        return normalise_shopify_domain(str(params.get("shop") or ""))
    except InvalidPayload:
        raise InstallRejected("shop must be a *.myshopify.com domain", 400) from None


# -- Shopify: authorization-code grant --------------------------------------------------------------

def begin_shopify_install(container: InstallPorts, params: Mapping[str, Any]) -> str:
    """Check the install request and return the authorize URL (a fresh one-time state is stored)."""
    shop = _verified_shop(container, params)
    url = authorize_url(container, shop, container.settings.shopify_scopes)
    log.info("shopify install started", extra={"shop": shop})
    return url


def authorize_url(container: InstallPorts, shop: str, scopes: Iterable[str]) -> str:
    """The shop's authorize page asking for ``scopes``, with a fresh one-time state stored (valid for
    install.state_ttl_minutes). Raises InstallRejected (503) without app.url."""
    settings = container.settings
    state = secrets.token_urlsafe(32)
    now = utcnow()
    with container.uow() as uow:
        uow.repo(InstallRepository).add_state(OAuthState(
            platform="shopify", shop_domain=shop, state_hash=digest(state), created_at=now,
            expires_at=now + timedelta(minutes=settings.install_state_ttl_minutes)))
        uow.commit()
    return container.shopify_oauth().authorize_url(shop, api_key=settings.shopify_api_key or "", scopes=scopes,
                                                   redirect_uri=f"{app_url(container)}/shopify/callback",
                                                   state=state,
                                                   admin_base=settings.shopify_admin_base)


def _consume_state(container: InstallPorts, shop: str, state: str) -> None:
    now = utcnow()
    with container.uow() as uow:
        states = uow.repo(InstallRepository)
        row = states.state_by_hash(digest(state))
        if row is None:
            raise InstallRejected("unknown state", 401)
        if row.shop_domain != shop:
            raise InstallRejected("state was issued for another shop", 401)
        if row.used_at is not None:
            raise InstallRejected("state was already used", 401)
        if row.expires_at <= now:
            raise InstallRejected("state has expired", 401)
        if not states.take_state(row.id, now):
            raise InstallRejected("state was already used", 401)
        uow.commit()


def complete_shopify_install(container: InstallPorts, params: Mapping[str, Any]) -> int:
    """The OAuth callback: HMAC, timestamp, state; code → offline token; shop stored; webhooks subscribed."""
    shop = _verified_shop(container, params)
    state, code = str(params.get("state") or ""), str(params.get("code") or "")
    if not state or not code:
        raise InstallRejected("missing state or code", 400)
    _consume_state(container, shop, state)
    try:
        grant = container.token_client().exchange_code(shop, code)
    except PlatformError as exc:
        raise InstallRejected(f"Shopify refused the authorization code: {type(exc).__name__}", 400) from None
    shop_id = _store_shopify_grant(container, shop, grant)
    log.info("shopify shop installed", extra={"shop": shop, "shop_id": shop_id, "scopes": grant.scope})
    record_after_install(container, shop_id)
    _subscribe_after_install(container, shop_id)
    return shop_id


def record_after_install(container: InstallPorts, shop_id: int) -> None:
    """Read the scopes the merchant actually granted (currentAppInstallation) onto the shop."""
    from connector.install.scopes import record_after_install as record

    record(container, shop_id)


def _store_shopify_grant(container: InstallPorts, domain: str, grant: TokenGrant) -> int:
    with container.uow() as uow:
        shop = uow.shops.by_domain("shopify", domain)
        if shop is None:
            shop = uow.shops.add(Shop(platform="shopify", domain=domain, api_base=container.settings.shopify_admin_base,
                                      credentials=container.box.seal(ShopCredentials()), status="active"))
        shop.status, shop.uninstalled_at = "active", None
        apply_grant(shop, container.box, grant)
        uow.commit()
        shop_id = shop.id
    container.forget_platform(shop_id)
    return shop_id


def _subscribe_after_install(container: InstallPorts, shop_id: int, *, sync_secret: bool = False) -> None:
    from connector.install.health import check_subscriptions

    try:
        check_subscriptions(container, shop_id, sync_secret=sync_secret)
    except Exception:  # noqa: BLE001 - the scheduled health check repairs what is missing
        log.exception("subscribing after install failed; the health check will retry", extra={"shop_id": shop_id})


# -- Shopify: embedded sessions ------------------------------------------------------------------------

@dataclass(frozen=True)
class EmbeddedSession:
    shop_id: int
    shop: str
    user: str
    exchanged: bool
    """True when this request obtained the shop's offline token by token exchange."""


def embedded_session(container: InstallPorts, token: str) -> EmbeddedSession:
    """Verify an App Bridge session token; with no usable offline token yet, get one by token exchange."""
    claims = container.shopify_oauth().verify_session_token(  # InstallRejected (401)
        token, api_key=container.settings.shopify_api_key or "", secrets=shopify_secrets(container))
    shop = claims["shop"]
    with container.uow() as uow:
        row = uow.shops.by_domain("shopify", shop)
        usable = row is not None and row.status == "active" and bool(container.box.open(row.credentials).access_token)
        shop_id = row.id if row is not None else 0
    if usable:
        return EmbeddedSession(shop_id, shop, str(claims.get("sub", "")), exchanged=False)
    try:
        grant = container.token_client().exchange_session_token(shop, token)
    except PlatformError as exc:
        raise InstallRejected(f"token exchange refused: {type(exc).__name__}", 401) from None
    shop_id = _store_shopify_grant(container, shop, grant)
    log.info("shopify shop installed by token exchange", extra={"shop": shop, "shop_id": shop_id})
    record_after_install(container, shop_id)
    _subscribe_after_install(container, shop_id)
    return EmbeddedSession(shop_id, shop, str(claims.get("sub", "")), exchanged=True)


# -- WooCommerce: app keys ------------------------------------------------------------------------------

def _check_store_address(container: InstallPorts, store: str) -> None:
    """The outbound guard's pre-flight on what the connector will call for this store (its URL, or the
    operator's woocommerce.api_base): https and public addresses only outside development. The guarded
    transport checks again on the address it connects to."""
    guard = container.outbound_guard()
    if not store.startswith("https://") and not guard.allow_private_targets:
        raise InstallRejected("store_url refused: must be an https:// URL (plain http only in development)", 400)
    try:
        guard.check_url(container.settings.woocommerce_api_base or store)
    except PermanentError as exc:  # the guard's refusal, naming the host and the reason
        raise InstallRejected(f"store_url refused: {exc}", 400) from None


def begin_woo_connect(container: InstallPorts, store_url: str) -> str:
    try:
        store = normalise_store_url(store_url)
    except InvalidPayload:
        raise InstallRejected("store_url must be an https:// URL", 400) from None
    _check_store_address(container, store)
    base = app_url(container)
    user_id = secrets.token_urlsafe(32)
    now = utcnow()
    ttl = timedelta(minutes=container.settings.install_state_ttl_minutes)
    with container.uow() as uow:
        uow.repo(InstallRepository).add_connect(PendingConnect(store_url=store, user_id_hash=digest(user_id),
                                                               created_at=now, expires_at=now + ttl))
        uow.commit()
    log.info("woocommerce connect started", extra={"store": store})
    return container.woocommerce_connect().authorize_url(store, app_name=container.settings.app_name, user_id=user_id,
                                                         return_url=f"{base}/woocommerce/connected",
                                                         callback_url=f"{base}/woocommerce/callback",
                                                         api_base=container.settings.woocommerce_api_base)


def _consume_connect(container: InstallPorts, user_id: str) -> str:
    now = utcnow()
    with container.uow() as uow:
        connects = uow.repo(InstallRepository)
        row = connects.connect_by_hash(digest(user_id))
        if row is None:
            raise InstallRejected("unknown user_id", 401)
        if row.used_at is not None:
            raise InstallRejected("keys for this user_id were already delivered", 409)
        if row.expires_at <= now:
            raise InstallRejected("connect request has expired", 401)
        if not connects.take_connect(row.id, now):
            raise InstallRejected("keys for this user_id were already delivered", 409)
        uow.commit()
        return row.store_url


def complete_woo_connect(container: InstallPorts, payload: Mapping[str, Any]) -> int:
    """wc-auth's key delivery: once per pending user_id; keys verified by a real call before storing.
    The attempt keeps its outcome (connected, with the shop; or rejected and why) for the return page
    (connector/install/pages.py connect_attempt)."""
    user_id = str(payload.get("user_id") or "")
    key, secret = str(payload.get("consumer_key") or ""), str(payload.get("consumer_secret") or "")
    if not user_id or not key or not secret:
        raise InstallRejected("missing user_id, consumer_key or consumer_secret", 400)
    store = _consume_connect(container, user_id)
    try:
        shop_id = _store_woo_keys(container, store, digest(user_id), payload, key, secret)
    except InstallRejected as exc:
        with container.uow() as uow:
            uow.repo(InstallRepository).settle_connect(digest(user_id), f"rejected: {exc}"[:40])
            uow.commit()
        raise
    container.forget_platform(shop_id)
    log.info("woocommerce store connected", extra={"store": store, "shop_id": shop_id})
    _subscribe_after_install(container, shop_id, sync_secret=True)
    return shop_id


def _store_woo_keys(container: InstallPorts, store: str, user_id_hash: str, payload: Mapping[str, Any],
                    key: str, secret: str) -> int:
    if payload.get("key_permissions") not in (None, "read_write"):
        raise InstallRejected("keys must have read_write permission", 400)
    _check_store_address(container, store)  # again: the name may point elsewhere since the connect began
    api_base = container.settings.woocommerce_api_base
    try:  # the keys must work before anything is stored or any webhook secret is sent
        container.woocommerce_webhooks(store, api_base, key, secret).verify_access()
    except PlatformError as exc:
        raise InstallRejected(f"the delivered keys do not work: {type(exc).__name__}", 400) from None
    creds = ShopCredentials(consumer_key=key, consumer_secret=secret, webhook_secret=secrets.token_hex(24))
    with container.uow() as uow:
        shop = uow.shops.by_domain("woocommerce", store)
        if shop is None:
            shop = uow.shops.add(Shop(platform="woocommerce", domain=store, api_base=api_base,
                                      credentials=container.box.seal(creds), status="active"))
        else:
            shop.credentials, shop.status, shop.uninstalled_at = container.box.seal(creds), "active", None
        uow.repo(InstallRepository).settle_connect(user_id_hash, "connected", shop.id)
        uow.commit()  # the keys and the attempt's outcome in one transaction
        return shop.id
