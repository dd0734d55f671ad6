"""Shopify access tokens: store a grant, refresh expiring offline tokens one refresh at a time per shop.

Shopify's expiring offline tokens come with a rotating refresh token: using it returns a new one
and burns the old. Two workers refreshing the same shop at once would make the second one fail
(and, with a real store, lose the install). So a refresh holds a per-shop lock across processes
(a PostgreSQL session advisory lock in its own namespace, plus a thread lock in this process),
re-reads the expiry under the lock and skips the call when another holder has just refreshed.
No HTTP call happens inside a database transaction.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from connector.crypto import CredentialBox
from connector.db.models import Shop
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import CredentialsError, PlatformAuthError, PlatformRejected, UnknownShop
from connector.install.repository import InstallRepository, refresh_lock
from connector.ports import TokenClient, TokenGrant

log = logging.getLogger(__name__)


def apply_grant(shop: Shop, box: CredentialBox, grant: TokenGrant, now: datetime | None = None) -> None:
    """Put a token grant on a shop row (credentials sealed; the old refresh token is replaced)."""
    try:
        current = box.open(shop.credentials)
    except CredentialsError:
        from connector.domain.model import ShopCredentials

        current = ShopCredentials()
    extra = {k: v for k, v in current.extra.items() if k != "refresh_token"}
    if grant.refresh_token:
        extra["refresh_token"] = grant.refresh_token
    shop.credentials = box.seal(replace(current, access_token=grant.access_token, extra=extra))
    shop.scopes = grant.scope or shop.scopes
    shop.token_expires_at = grant.expires_at
    shop.refresh_expires_at = grant.refresh_expires_at
    shop.token_refreshed_at = now or utcnow()


def needs_refresh(shop: Shop, now: datetime, margin: timedelta) -> bool:
    return shop.status == "active" and shop.token_expires_at is not None and shop.token_expires_at <= now + margin


def refresh_if_due(uow: UnitOfWork, box: CredentialBox, client: TokenClient, shop_id: int, *,
                   margin: timedelta, now: datetime | None = None) -> bool:
    """Refresh the shop's token when it expires within ``margin``. True when this call refreshed."""
    with refresh_lock(uow.engine, shop_id):
        moment = now or utcnow()
        with uow.fresh() as read:
            shop = read.shops.get(shop_id)
            if shop is None:
                raise UnknownShop(f"no shop with id {shop_id}")
            if shop.platform != "shopify" or not needs_refresh(shop, moment, margin):
                return False
            domain = shop.domain
            refresh_token = box.open(shop.credentials).extra.get("refresh_token")
        if not refresh_token:
            log.error("expiring token without a refresh token; reinstall needed",
                      extra={"shop_id": shop_id, "alert": True})
            return False
        try:
            grant = client.refresh(domain, refresh_token)
        except (PlatformAuthError, PlatformRejected) as exc:
            log.error("token refresh refused; the merchant must reopen the app",
                      extra={"shop_id": shop_id, "alert": True, "error": type(exc).__name__})
            raise
        with uow.fresh() as write:
            shop = write.shops.get(shop_id)
            assert shop is not None
            apply_grant(shop, box, grant)
            write.commit()
        log.info("shopify token refreshed", extra={"shop_id": shop_id, "expires_at": str(grant.expires_at)})
        return True


def shops_due(uow: UnitOfWork, margin: timedelta, now: datetime | None = None) -> list[int]:
    """Active Shopify shops whose token expires within ``margin``."""
    limit = (now or utcnow()) + margin
    with uow:
        return uow.repo(InstallRepository).shops_with_tokens_expiring(limit)
