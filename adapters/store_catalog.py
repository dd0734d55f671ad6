"""The StoreCatalog for a shop's platform adapter (reusing its client, transport and throttling)."""

from __future__ import annotations

from typing import Any

from connector.domain.errors import ConfigError
from connector.ports import StoreCatalog


def catalog_for(platform: Any) -> StoreCatalog:
    from adapters.shopify.client import ShopifyGraphQL
    from adapters.woocommerce.client import WooCommerceClient

    client = getattr(platform, "client", None)
    if isinstance(client, ShopifyGraphQL):
        from adapters.shopify.catalog import ShopifyCatalog

        return ShopifyCatalog(client)
    if isinstance(client, WooCommerceClient):
        from adapters.woocommerce.catalog import WooCommerceCatalog

        return WooCommerceCatalog(client)
    raise ConfigError("platform", f"no catalogue adapter for {type(platform).__name__}")
