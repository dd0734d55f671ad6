"""Installing shops by hand (operators, tests, the demo) and reading them back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from connector.crypto import CredentialBox
from connector.db.models import Shop
from connector.db.uow import UnitOfWork
from connector.domain.errors import DuplicateShop, InvalidPayload, UnknownShop
from connector.domain.model import Platform, ShopCredentials

MYSHOPIFY = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


@dataclass(frozen=True)
class ShopInfo:
    id: int
    platform: str
    domain: str
    api_base: str | None
    status: str
    created_at: datetime
    reconciled_until: datetime | None


def normalise_shopify_domain(domain: str) -> str:
    value = domain.strip().lower()
    value = value.removeprefix("https://").removeprefix("http://").rstrip("/")
    if not MYSHOPIFY.match(value):
        raise InvalidPayload(f"not a *.myshopify.com domain: {domain!r}")
    return value


def normalise_store_url(url: str) -> str:
    """https://Example.com/shop/ -> https://example.com/shop (scheme and host lowered, no trailing /)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidPayload(f"not an http(s) store URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def normalise_api_base(url: str | None) -> str | None:
    """Scheme and host (and port) only: every path stays as on the real platform."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidPayload(f"--api-base must be an http(s) URL, got {url!r}")
    if parts.path.strip("/"):
        raise InvalidPayload(f"--api-base replaces only scheme and host; drop the path {parts.path!r}")
    return f"{parts.scheme}://{parts.netloc}"


def add_shop(uow: UnitOfWork, box: CredentialBox, platform: Platform, domain: str,
             credentials: ShopCredentials, api_base: str | None = None) -> ShopInfo:
    domain = normalise_shopify_domain(domain) if platform == Platform.SHOPIFY else normalise_store_url(domain)
    with uow:
        if uow.shops.by_domain(platform.value, domain) is not None:
            raise DuplicateShop(f"{platform.value} shop {domain} is already installed")
        shop = uow.shops.add_new(Shop(platform=platform.value, domain=domain, api_base=normalise_api_base(api_base),
                                          credentials=box.seal(credentials), status="active"))
        uow.commit()
        return _info(shop)


def list_shops(uow: UnitOfWork) -> list[ShopInfo]:
    with uow:
        return [_info(shop) for shop in uow.shops.list()]


def resolve_shop(uow: UnitOfWork, name: str) -> ShopInfo:
    """A shop by its domain or store URL as added (normalised the same way)."""
    raw = name.strip()
    candidates = [raw]
    attempts = [raw] if "://" in raw else [raw, f"https://{raw}", f"http://{raw}"]
    for value in attempts:
        for normalise in (normalise_shopify_domain, normalise_store_url):
            try:
                candidates.append(normalise(value))
            except InvalidPayload:
                pass
    with uow:
        for candidate in candidates:
            shop = uow.shops.find(candidate)
            if shop is not None:
                return _info(shop)
    raise UnknownShop(f"no shop {name!r}; see `connector shops list`")


def _info(shop: Shop) -> ShopInfo:
    return ShopInfo(id=shop.id, platform=shop.platform, domain=shop.domain, api_base=shop.api_base,
                    status=shop.status, created_at=shop.created_at, reconciled_until=shop.reconciled_until)
