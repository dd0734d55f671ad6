"""The merchant's app at /app: the pages merchants open from the Shopify admin or WordPress.

``shell.py`` holds the blueprint (``merchant_bp``), ``@merchant_view`` and ``render_page``;
``auth.py`` who is asking (Shopify session tokens, WooCommerce signed links and session cookies);
``entry.py`` the WooCommerce way in; ``pages/`` one module per page. docs/merchant-app.md.
"""

from __future__ import annotations

from flask import Blueprint


def blueprint() -> Blueprint:
    """The blueprint with every page's routes on it (the page modules are imported here, on call)."""
    from connector.merchant import entry, pages  # noqa: F401  (importing them registers their routes)
    from connector.merchant.shell import merchant_bp

    return merchant_bp
