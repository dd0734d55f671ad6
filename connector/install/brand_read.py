"""Reading a Shopify shop's brand (logo, accent colour) onto the shop, at install and by the health check.

Shopify serves the brand only through the Storefront API, with a Storefront access token the connector
creates once through the Admin API (``storefrontAccessTokenCreate``) and keeps sealed with the shop's
credentials (``extra["storefront_token"]``, connector/crypto.py). A token the Storefront API refuses (401:
the app was reinstalled, or the merchant deleted it) is dropped and one new token is made and tried.

What was read goes to ``shops.store_logo_url`` (https only, checked as the merchant's brand.logo_url is)
and ``shops.store_accent_color`` (#rrggbb); a brand the store no longer has clears them. A refusal (a scope
not granted: ACCESS_DENIED; token creation refused; any platform error) is recorded on the shop
(``brand_read_error``) and logged, keeps what was read before, and never fails the install or the check:
the merchant's brand.* settings apply either way (connector/notify/brand.py).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from connector.domain import contrast
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, PlatformAuthError, UnknownShop
from connector.domain.shopify_access import AccessDenied
from connector.install.ports import InstallPorts
from connector.notify.brand import logo_ok
from connector.ports import ShopAccess, ShopifyStorefrontBrand, StoreBrand
from connector.shop_settings import all_settings

log = logging.getLogger(__name__)

TOKEN_KEY = "storefront_token"
"""Where the Storefront access token lives in the shop's sealed credentials (``ShopCredentials.extra``)."""
BRAND_SCOPE = "unauthenticated_read_product_listings"
"""The scope the brand read needs (connector/domain/shopify_access.py, feature ``brand``)."""


def read_shopify_brand(container: InstallPorts, access: ShopAccess) -> str | None:
    """Read the shop's brand onto its row. Returns None when read, else why not (also stored on the shop).
    Raises nothing but UnknownShop: every platform or credentials error is recorded instead."""
    with container.uow() as uow:
        if uow.shops.get(access.shop_id) is None:
            raise UnknownShop(f"no shop with id {access.shop_id}")
    if not all_settings(container.uow(), access.shop_id).get("brand.from_store", True):
        return None
    api = container.shopify_brand(access)
    try:
        brand = _read(container, access.shop_id, api)
    except AccessDenied as exc:
        needs = BRAND_SCOPE if BRAND_SCOPE in exc.required or not exc.required else " or ".join(exc.required)
        return _refused(container, access.shop_id, f"access denied: the shop has not granted {needs} "
                                                   f"(re-authorise the app to read its logo and colours)")
    except ConnectorError as exc:
        return _refused(container, access.shop_id, f"{type(exc).__name__}: {exc}")
    logo = brand.logo_url if brand.logo_url and logo_ok(brand.logo_url) else None
    accent = contrast.normalise(brand.accent_color) if brand.accent_color else None
    if brand.logo_url and logo is None:
        log.warning("shopify brand logo is not an https address; not kept", extra={"shop_id": access.shop_id})
    with container.uow() as uow:
        shop = uow.shops.get(access.shop_id)
        if shop is not None:
            shop.store_logo_url, shop.store_accent_color = logo, accent
            shop.brand_read_at, shop.brand_read_error = utcnow(), None
            uow.commit()
    log.info("shopify brand read", extra={"shop_id": access.shop_id, "logo": bool(logo), "accent": accent or ""})
    return None


def _read(container: InstallPorts, shop_id: int, api: ShopifyStorefrontBrand) -> StoreBrand:
    token = _stored_token(container, shop_id)
    if token:
        try:
            return api.read_brand(token)
        except AccessDenied:
            raise
        except PlatformAuthError:  # 401: the token was revoked (reinstall, or deleted): make one new one
            log.info("storefront token refused; creating a new one", extra={"shop_id": shop_id})
            _store_token(container, shop_id, None)
    token = api.create_storefront_token(container.settings.app_name or "Backorder connector")
    _store_token(container, shop_id, token)
    return api.read_brand(token)


def _stored_token(container: InstallPorts, shop_id: int) -> str | None:
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise UnknownShop(f"no shop with id {shop_id}")
        return container.box.open(shop.credentials).extra.get(TOKEN_KEY) or None


def _store_token(container: InstallPorts, shop_id: int, token: str | None) -> None:
    """Seal ``token`` into the shop's credentials (None: drop it), keeping everything else in them."""
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise UnknownShop(f"no shop with id {shop_id}")
        current = container.box.open(shop.credentials)
        extra = {k: v for k, v in current.extra.items() if k != TOKEN_KEY}
        if token:
            extra[TOKEN_KEY] = token
        shop.credentials = container.box.seal(replace(current, extra=extra))
        uow.commit()


def _refused(container: InstallPorts, shop_id: int, reason: str) -> str:
    reason = reason[:500]
    log.warning("shopify brand not read: %s", reason, extra={"shop_id": shop_id})
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is not None:
            shop.brand_read_at, shop.brand_read_error = utcnow(), reason
            uow.commit()
    return reason
