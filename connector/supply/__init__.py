"""Knowing when: suppliers polled for stock and restock dates, each SKU's date, product pages."""
