"""The shop's brand (logo and colours): Shopify keeps it in the Storefront API's ``shop { brand }``, which
the Admin API does not have. The connector creates a Storefront access token with the Admin API
(``storefrontAccessTokenCreate``; the token inherits the app's ``unauthenticated_*`` scopes, and creating
one fails without any) and reads the brand with it from ``/api/<version>/graphql.json``.

The Storefront document is a ``StorefrontQuery``, not a plain string: tests/unit/test_shopify_documents.py
validates every plain query string of this package against the Admin schema, where ``Shop`` has no brand.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.http import HttpTransport
from adapters.shopify.client import ShopifyGraphQL, access_denied, raise_user_errors
from connector.domain.errors import PlatformRejected
from connector.ports import StoreBrand

log = logging.getLogger(__name__)

STOREFRONT_TOKEN_CREATE = """
mutation ConnectorStorefrontToken($input: StorefrontAccessTokenInput!) {
  storefrontAccessTokenCreate(input: $input) {
    storefrontAccessToken { id accessToken }
    userErrors { field message }
  }
}
"""

DOCUMENTS = (STOREFRONT_TOKEN_CREATE,)


@dataclass(frozen=True)
class StorefrontQuery:
    """A document for the Storefront API (not the Admin API)."""

    text: str


SHOP_BRAND = StorefrontQuery("""
query ConnectorShopBrand {
  shop {
    brand {
      logo { image { url } }
      squareLogo { image { url } }
      colors { primary { background } }
    }
  }
}
""")


class ShopifyBrand:
    """The ShopifyStorefrontBrand port for one shop: token creation on its Admin client, the brand read on
    the Storefront endpoint beside it (same host, ``/api/<version>/graphql.json``)."""

    def __init__(self, admin: ShopifyGraphQL, *, api_base: str | None = None,
                 transport: HttpTransport | None = None) -> None:
        self.admin = admin
        base = (api_base or f"https://{admin.shop_domain}").rstrip("/")
        self.endpoint = f"{base}/api/{admin.api_version}/graphql.json"
        self.transport = transport or admin.transport

    def __repr__(self) -> str:
        return f"ShopifyBrand(shop={self.admin.shop_domain!r}, endpoint={self.endpoint!r})"

    def create_storefront_token(self, title: str) -> str:
        data = self.admin.execute(STOREFRONT_TOKEN_CREATE, {"input": {"title": title}})
        payload = data.get("storefrontAccessTokenCreate")
        raise_user_errors(payload, "storefrontAccessTokenCreate")
        token = ((payload or {}).get("storefrontAccessToken") or {}).get("accessToken")
        if not isinstance(token, str) or not token:
            raise PlatformRejected(f"shopify {self.admin.shop_domain}: storefrontAccessTokenCreate gave no token")
        return token

    def read_brand(self, storefront_token: str) -> StoreBrand:
        body = self._post(SHOP_BRAND, storefront_token)
        denied = access_denied(self.admin.shop_domain, body.get("errors"))
        if denied is not None:
            raise denied
        if body.get("errors"):
            raise PlatformRejected(f"shopify {self.admin.shop_domain}: Storefront API errors: "
                                   f"{_messages(body['errors'])}")
        data = body.get("data")
        shop = data.get("shop") if isinstance(data, Mapping) else None
        if not isinstance(shop, Mapping):
            raise PlatformRejected(f"shopify {self.admin.shop_domain}: Storefront answer without shop")
        brand = shop.get("brand")
        if not isinstance(brand, Mapping):
            return StoreBrand(logo_url=None, accent_color=None)
        return StoreBrand(logo_url=_image_url(brand.get("logo")) or _image_url(brand.get("squareLogo")),
                          accent_color=_primary_background(brand.get("colors")))

    def _post(self, query: StorefrontQuery, token: str) -> dict[str, Any]:
        response = self.transport.request(
            "POST", self.endpoint, resend_safe=True, json={"query": query.text},
            headers={"X-Shopify-Storefront-Access-Token": token, "Accept": "application/json"})
        try:
            body = response.json()
        except ValueError:
            raise PlatformRejected(f"shopify {self.admin.shop_domain}: the Storefront API answered "
                                   f"{response.status_code} with a non-JSON body") from None
        if not isinstance(body, dict):
            raise PlatformRejected(f"shopify {self.admin.shop_domain}: unexpected Storefront answer")
        return body


def _image_url(media: Any) -> str | None:
    image = media.get("image") if isinstance(media, Mapping) else None
    url = image.get("url") if isinstance(image, Mapping) else None
    return url if isinstance(url, str) and url else None


def _primary_background(colors: Any) -> str | None:
    groups = colors.get("primary") if isinstance(colors, Mapping) else None
    for group in groups if isinstance(groups, list) else ():
        background = group.get("background") if isinstance(group, Mapping) else None
        if isinstance(background, str) and background:
            return background
    return None


def _messages(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors)[:500]
    return str(errors)[:500]
