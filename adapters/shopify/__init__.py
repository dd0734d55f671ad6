"""Shopify adapter: the StorePlatform port over the GraphQL Admin API."""

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.platform import ShopifyPlatform

__all__ = ["ShopifyGraphQL", "ShopifyPlatform", "raise_user_errors"]
