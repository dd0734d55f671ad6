"""What the install services are given: settings, storage, and a factory per port they call.

connector/bootstrap.py's Container provides every member; the entry points (webhooks/install.py,
jobs/install.py, the CLI) pass it in. The services see only these ports, never an adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from connector.config import Settings
from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform
from connector.ports import (
    OutboundGuard,
    ShopAccess,
    ShopifyOAuth,
    ShopifyStorefrontBrand,
    ShopifyWebhooks,
    TokenClient,
    WooCommerceConnect,
    WooCommerceWebhooks,
)


class InstallPorts(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def box(self) -> CredentialBox: ...

    def uow(self) -> UnitOfWork:
        ...

    def shop_access(self, shop_id: int) -> ShopAccess:
        """The shop's platform, address and opened credentials; raises UnknownShop."""
        ...

    def forget_platform(self, shop_id: int) -> None:
        """Drop the shop's cached store client (its credentials or status changed)."""
        ...

    def token_client(self) -> TokenClient:
        ...

    def shopify_oauth(self) -> ShopifyOAuth:
        ...

    def woocommerce_connect(self) -> WooCommerceConnect:
        ...

    def shopify_webhooks(self, access: ShopAccess) -> ShopifyWebhooks:
        ...

    def shopify_brand(self, access: ShopAccess) -> ShopifyStorefrontBrand:
        """The shop's brand through a Storefront token (connector/install/brand_read.py)."""
        ...

    def shopify_granted_scopes(self, access: ShopAccess) -> Callable[[], tuple[str, ...]]:
        """Reads the scopes the shop granted now; raises the platform's errors."""
        ...

    def woocommerce_webhooks(self, store: str, api_base: str | None, key: str, secret: str) -> WooCommerceWebhooks:
        ...

    def webhook_topics(self, platform: Platform) -> tuple[str, ...]:
        """The topics the connector subscribes to on ``platform``."""
        ...

    def outbound_guard(self) -> OutboundGuard:
        ...
