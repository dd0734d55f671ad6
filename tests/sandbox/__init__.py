"""The sandbox's own tests: the Shopify and WooCommerce simulators behave like the real APIs."""
