"""The backorder connector: captures, dates, tells and fills backorders for Shopify and WooCommerce."""

__version__ = "0.1.0"
