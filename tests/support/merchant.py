"""Opening the merchant's app in tests: Shopify session tokens and WooCommerce app links.

``session_token`` mints the JWT the Shopify admin hands App Bridge (HS256 with the app's secret,
claims iss/dest/aud/sub/exp/nbf/iat/jti/sid as Shopify sends them); pages open with
``?id_token=...&shop=...`` (document loads) or ``Authorization: Bearer`` (fetches). ``woo_link``
mints a WooCommerce app link the way the WordPress plugin asks for one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import jwt

API_KEY = "merchant-app-api-key"
"""The Shopify API key (client id) the app is configured with in these tests."""


def session_token(shop: str, secret: str, *, api_key: str = API_KEY, user: str = "73", now: float | None = None,
                  ttl: float = 60, **overrides: Any) -> str:
    """A Shopify session token for ``shop`` signed with ``secret``; ``overrides`` replace claims (None drops)."""
    issued = time.time() if now is None else now
    claims: dict[str, Any] = {
        "iss": f"https://{shop}/admin", "dest": f"https://{shop}", "aud": api_key, "sub": user,
        "exp": int(issued + ttl), "nbf": int(issued), "iat": int(issued), "jti": secrets.token_hex(16),
        "sid": secrets.token_hex(16), **overrides}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def app_path(path: str, shop: str, token: str, **params: Any) -> str:
    """``path`` as the Shopify admin loads it: with id_token, shop and host."""
    host = base64.urlsafe_b64encode(f"admin.shopify.com/store/{shop.split('.')[0]}".encode()).decode().rstrip("=")
    query = {**{k: v for k, v in params.items() if v is not None}, "shop": shop, "host": host, "id_token": token}
    return f"{path}?{urlencode(query)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def link_request(store_url: str, secret: str, *, user_id: str = "1", user_login: str = "admin",
                 timestamp: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The WordPress plugin's ``POST /app/woocommerce/link``: (raw body, headers) signed with ``secret``."""
    body = json.dumps({"store_url": store_url, "user_id": user_id, "user_login": user_login,
                       "timestamp": int(time.time() if timestamp is None else timestamp)}).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"Content-Type": "application/json", "X-Connector-Signature": signature}


def woo_link(container: Any, shop_id: int, *, user_id: str = "1", user_login: str = "admin",
             minted_at: datetime | None = None) -> str:
    """An app link for a WooCommerce store, minted by the connector (as for the plugin) now or at ``minted_at``."""
    from connector.merchant.auth import mint_link

    return mint_link(container, shop_id, user_id, user_login, now=minted_at)


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry (from its <meta name="csrf-token">)."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)
