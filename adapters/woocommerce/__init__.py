"""WooCommerce REST API v3 adapter: client, ``StorePlatform`` implementation, webhook signature."""

from adapters.woocommerce.client import WooCommerceClient
from adapters.woocommerce.platform import WooCommercePlatform
from adapters.woocommerce.signature import sign

__all__ = ["WooCommerceClient", "WooCommercePlatform", "sign"]
