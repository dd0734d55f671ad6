"""The shop's brand as Shopify serves it: Storefront access tokens (Admin ``storefrontAccessTokenCreate``)
and the Storefront API (``POST /api/<version>/graphql.json`` with ``X-Shopify-Storefront-Access-Token``)
answering ``shop { brand }``.

As Shopify does: a token inherits the app's ``unauthenticated_*`` scopes when it is made (creating one
without any is ACCESS_DENIED, access.py); an app has at most 100 tokens a shop; an unknown or deleted token
gets 401; a logo (a ``MediaImage``) needs ``unauthenticated_read_product_listings`` (ACCESS_DENIED on the
field otherwise). The merchant's brand is set by a seed's ``brand`` ({"logo", "square_logo", "primary",
"secondary"}), ``ShopifySimulator.set_brand`` or ``POST /_sandbox/brand``; a shop without one answers
``brand: null``. ``revoke_storefront_tokens`` plays the merchant (or an uninstall) deleting the tokens.
"""

from __future__ import annotations

import functools
import secrets
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from flask import Response, jsonify
from graphql import GraphQLError, GraphQLSchema, build_schema, execute_sync, parse, validate

from sandbox.shopify_sim.access import UNAUTHENTICATED_SCOPES
from sandbox.shopify_sim.store import gid, graphql_time

MAX_TOKENS = 100
"""Storefront access tokens one app may hold on one shop."""
LOGO_SCOPE = "unauthenticated_read_product_listings"
UNAUTHORIZED = {"errors": [{"message": "", "extensions": {"code": "UNAUTHORIZED"}}]}


@dataclass
class StorefrontToken:
    id: int
    shop: str
    token: str
    title: str
    scopes: frozenset[str]
    created_at: datetime


@dataclass
class Storefront:
    """One simulator's Storefront tokens and each shop's brand (kept on its AdminGraphQL object)."""

    tokens: dict[str, StorefrontToken] = field(default_factory=dict)
    brands: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    created: int = 0
    """Tokens made so far (tests: a token is made once, not at every read)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_brand(self, shop: str, brand: dict[str, Any] | None) -> None:
        with self.lock:
            if brand is None:
                self.brands.pop(shop, None)
            else:
                self.brands[shop] = dict(brand)

    def revoke(self, shop: str) -> int:
        with self.lock:
            gone = [t for t, held in self.tokens.items() if held.shop == shop]
            for token in gone:
                del self.tokens[token]
            return len(gone)

    def of_shop(self, shop: str) -> list[StorefrontToken]:
        with self.lock:
            return [t for t in self.tokens.values() if t.shop == shop]


def storefront_of(api: Any) -> Storefront:
    store = getattr(api, "storefront", None)
    if store is None:
        store = Storefront()
        api.storefront = store
    return store


@functools.lru_cache(maxsize=1)
def storefront_schema() -> GraphQLSchema:
    sdl = resources.files(__package__).joinpath("storefront.graphql").read_text(encoding="utf-8")
    return build_schema(sdl)


def extension(api: Any, shop: Any) -> dict[str, Any]:
    store = storefront_of(api)

    def create(info: Any, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        title = str(input.get("title") or "").strip()
        shop_node = {"id": gid("Shop", zlib.crc32(shop.domain.encode())), "myshopifyDomain": shop.domain}
        if not title:
            return {"shop": shop_node, "storefrontAccessToken": None,
                    "userErrors": [{"field": ["input", "title"], "message": "Title can't be blank"}]}
        granted = (info.context or {}).get("granted")
        scopes = frozenset(UNAUTHENTICATED_SCOPES if granted is None else
                           (s for s in granted if s in UNAUTHENTICATED_SCOPES))
        with store.lock:
            if sum(1 for t in store.tokens.values() if t.shop == shop.domain) >= MAX_TOKENS:
                return {"shop": shop_node, "storefrontAccessToken": None,
                        "userErrors": [{"field": None, "message": "Maximum number of storefront access tokens "
                                                                  "reached for this shop"}]}
            held = StorefrontToken(store.next_id, shop.domain, secrets.token_hex(16), title, scopes,
                                   datetime.now(UTC))
            store.next_id += 1
            store.created += 1
            store.tokens[held.token] = held
        when = graphql_time(held.created_at)
        return {"shop": shop_node, "userErrors": [], "storefrontAccessToken": {
            "id": gid("StorefrontAccessToken", held.id), "accessToken": held.token, "title": held.title,
            "createdAt": when, "updatedAt": when,
            "accessScopes": [{"handle": s, "description": s.replace("_", " ")} for s in sorted(held.scopes)]}}

    return {"storefrontAccessTokenCreate": create}


def answer(api: Any, shops: dict[str, Any], token: str, body: Any) -> tuple[Response, int]:
    """The Storefront API's answer to one POST: 401 for a token it does not know, else GraphQL."""
    store = storefront_of(api)
    with store.lock:
        held = store.tokens.get(token) if token else None
        brand = dict(store.brands.get(held.shop) or {}) if held is not None else {}
    if held is None or held.shop not in shops:
        return jsonify(UNAUTHORIZED), 401
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return jsonify({"errors": [{"message": "No query string was present",
                                    "extensions": {"code": "PARSE_ERROR"}}]}), 200
    try:
        document = parse(body["query"])
    except GraphQLError as error:
        return jsonify({"errors": [{"message": error.message, "extensions": {"code": "PARSE_ERROR"}}]}), 200
    errors = validate(storefront_schema(), document)
    if errors:
        return jsonify({"errors": [{"message": e.message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
                                   for e in errors]}), 200
    root = {"shop": {"id": gid("Shop", zlib.crc32(held.shop.encode())),
                     "name": held.shop.removesuffix(".myshopify.com"), "brand": _brand(brand, held.scopes)}}
    result = execute_sync(storefront_schema(), document, root_value=root,
                          variable_values=body.get("variables") or {}, operation_name=body.get("operationName"))
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [{"message": e.message, "path": list(e.path or []),
                          "extensions": dict(e.extensions or {}) or {"code": "INTERNAL_SERVER_ERROR"}}
                         for e in result.errors]
    return jsonify(out), 200


def _brand(brand: dict[str, Any], scopes: frozenset[str]) -> dict[str, Any] | None:
    if not brand:
        return None

    def media(url: Any) -> Any:
        if not url:
            return None

        def resolve(info: Any) -> dict[str, Any]:
            if LOGO_SCOPE not in scopes:
                raise GraphQLError(
                    f"Access denied for {info.field_name} field. Required access: `{LOGO_SCOPE}` access scope.",
                    extensions={"code": "ACCESS_DENIED", "requiredAccess": f"`{LOGO_SCOPE}` access scope."})
            return {"id": gid("MediaImage", zlib.crc32(str(url).encode())), "alt": None,
                    "image": {"url": str(url), "altText": None, "width": None, "height": None, "id": None}}
        return resolve

    def groups(value: Any) -> list[dict[str, Any]]:
        items = value if isinstance(value, list) else [value] if value else []
        return [{"background": str(c), "foreground": None} for c in items]

    return {"logo": media(brand.get("logo")), "squareLogo": media(brand.get("square_logo")),
            "coverImage": None, "shortDescription": brand.get("short_description"), "slogan": brand.get("slogan"),
            "colors": {"primary": groups(brand.get("primary")), "secondary": groups(brand.get("secondary"))}}
