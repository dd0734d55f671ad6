"""Shopify adapter: the StorePlatform port over the GraphQL Admin API.

``ShopifyPlatform`` is loaded on first use (PEP 562): ``adapters.shopify.platform`` imports submodules of
this package, so importing it from here at package import time made a circle that two threads importing
the adapter for the first time at once (in-process workers, gunicorn's threads) could hit half-initialised
("cannot import name 'ShopifyPlatform' from partially initialized module").
"""

from typing import TYPE_CHECKING, Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors

if TYPE_CHECKING:
    from adapters.shopify.platform import ShopifyPlatform

__all__ = ["ShopifyGraphQL", "ShopifyPlatform", "raise_user_errors"]


def __getattr__(name: str) -> Any:
    if name == "ShopifyPlatform":
        from adapters.shopify.platform import ShopifyPlatform

        return ShopifyPlatform
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
