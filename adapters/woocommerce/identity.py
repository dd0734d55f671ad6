"""What a WooCommerce store says of itself: the WordPress site's name, address and icon from the public REST
index, and the "From" address of the store's own e-mails from WooCommerce's settings.

``GET /wp-json/?_fields=name,url,home,site_icon_url`` (WordPress core ``WP_REST_Server::get_index``): ``name``
is the ``blogname`` option, stored HTML-escaped ("Tea &amp; Co"), so it is unescaped here; ``home`` is the
front page's address (``home_url()``), ``url`` where WordPress itself lives; ``site_icon_url`` (WordPress
5.9+) is the site icon at 512 px, "" when none is set. The logo of the theme (``site_logo``) is only an
attachment id there, so it is not used: reading its address would take another call.

``GET /wp-json/wc/v3/settings/email/woocommerce_email_from_address`` (one setting of the ``email`` group):
``value`` is the address WooCommerce sends its own e-mails from (default: the WordPress admin e-mail). The
settings need the keys' user to have manage_woocommerce: otherwise 401/403, PlatformAuthError.

Nothing is checked here beyond its type: connector/install/woo_identity.py decides what is kept.
"""

from __future__ import annotations

import html
from typing import Any

from adapters.woocommerce.client import WooCommerceClient
from connector.ports import SiteIdentity

INDEX_FIELDS = ("name", "url", "home", "site_icon_url")
FROM_ADDRESS = "settings/email/woocommerce_email_from_address"


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def site_identity(client: WooCommerceClient) -> SiteIdentity:
    body = client.site_index(INDEX_FIELDS)
    name = _text(body.get("name"))
    return SiteIdentity(name=(html.unescape(name).strip() or None) if name else None,
                        home_url=_text(body.get("home")) or _text(body.get("url")),
                        icon_url=_text(body.get("site_icon_url")))


def store_email(client: WooCommerceClient) -> str | None:
    body = client.get(FROM_ADDRESS)
    return _text(body.get("value")) if isinstance(body, dict) else None
