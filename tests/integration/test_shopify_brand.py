"""The shop's brand from Shopify (issue 18 item 1) against the simulator on loopback, SQLite and PostgreSQL:
a Storefront access token is made once through the Admin API and kept sealed with the shop's credentials,
``shop { brand }`` is read from the Storefront API onto the shop (logo, accent colour), a token Shopify
refuses (401) is replaced once, and a refusal (ACCESS_DENIED, no brand) is recorded without failing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from adapters.http import HttpTransport
from adapters.shopify.brand import SHOP_BRAND, ShopifyBrand
from adapters.shopify.client import ShopifyGraphQL
from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.db.models import Shop
from connector.domain.errors import PlatformAuthError
from connector.domain.model import Platform, ShopCredentials
from connector.domain.shopify_access import AccessDenied
from connector.install import health
from connector.install.brand_read import TOKEN_KEY, read_shopify_brand
from connector.notify import brand
from connector.shop_settings import set_setting
from connector.shops import add_shop
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.shopify_sim import ShopifySimulator

SHOP = "brand-tea.myshopify.com"
TOKEN = "shpat_brand_tea"
LOGO = "https://cdn.shopify.example/brand-tea/logo.png"
SQUARE = "https://cdn.shopify.example/brand-tea/square.png"
ALL_SCOPES = ["write_orders", "write_products", "read_inventory", "unauthenticated_read_product_listings"]


def seed(brand_assets: dict[str, Any] | None = None) -> dict[str, Any]:
    shop: dict[str, Any] = {"domain": SHOP, "access_token": TOKEN, "scopes": ALL_SCOPES, "products": []}
    if brand_assets is not None:
        shop["brand"] = brand_assets
    return {"api_secret": "brand-secret", "api_version": "2026-04", "shops": [shop]}


@pytest.fixture
def sim() -> Iterator[tuple[ShopifySimulator, ServerHandle]]:
    simulator = ShopifySimulator(seed({"logo": LOGO, "square_logo": SQUARE, "primary": ["#1A7F5A", "#000000"]}))
    handle = serve_in_thread(simulator.app)
    yield simulator, handle
    handle.stop()


def adapter(handle: ServerHandle) -> ShopifyBrand:
    transport = HttpTransport(name="test")
    return ShopifyBrand(ShopifyGraphQL(SHOP, TOKEN, api_base=handle.url, transport=transport), api_base=handle.url)


# -- the adapter and the simulator ------------------------------------------------------------------------

def test_a_storefront_token_made_through_the_admin_api_reads_the_shops_brand(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    api = adapter(handle)
    token = api.create_storefront_token("Backorder connector")
    assert token and token != TOKEN
    [held] = simulator.graphql.storefront.of_shop(SHOP)
    assert held.title == "Backorder connector" and held.scopes == {"unauthenticated_read_product_listings"}
    read = api.read_brand(token)
    assert (read.logo_url, read.accent_color) == (LOGO, "#1A7F5A")


def test_the_storefront_api_answers_401_to_a_wrong_token_and_the_adapter_raises_an_auth_error(sim) -> None:  # type: ignore[no-untyped-def]
    _, handle = sim
    answer = requests.post(f"{handle.url}/api/2026-04/graphql.json", json={"query": SHOP_BRAND.text},
                           headers={"X-Shopify-Storefront-Access-Token": "not-a-token"}, timeout=10)
    assert answer.status_code == 401
    with pytest.raises(PlatformAuthError) as caught:
        adapter(handle).read_brand("not-a-token")
    assert not isinstance(caught.value, AccessDenied) and "not-a-token" not in str(caught.value)
    assert requests.post(f"{handle.url}/api/2026-04/graphql.json", json={"query": SHOP_BRAND.text},
                         timeout=10).status_code == 401  # no header at all


def test_a_shop_without_brand_assets_reads_as_nothing_and_a_square_logo_stands_in_for_the_logo(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    api = adapter(handle)
    token = api.create_storefront_token("Backorder connector")
    simulator.set_brand(SHOP, None)
    assert api.read_brand(token) == brand_read(None, None)
    simulator.set_brand(SHOP, {"square_logo": SQUARE})
    assert api.read_brand(token) == brand_read(SQUARE, None)
    simulator.set_brand(SHOP, {"primary": "#ffcc00"})
    assert api.read_brand(token) == brand_read(None, "#ffcc00")


def brand_read(logo: str | None, accent: str | None) -> Any:
    from connector.ports import StoreBrand

    return StoreBrand(logo_url=logo, accent_color=accent)


def test_creating_a_token_without_an_unauthenticated_scope_is_access_denied(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    simulator.set_scopes(SHOP, ["write_orders"])
    with pytest.raises(AccessDenied) as caught:
        adapter(handle).create_storefront_token("Backorder connector")
    assert "unauthenticated_read_product_listings" in caught.value.required
    assert caught.value.fields == ("storefrontAccessTokenCreate",)
    assert simulator.graphql.storefront.of_shop(SHOP) == []


def test_a_token_without_the_product_listings_scope_may_not_read_the_logo(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    simulator.set_scopes(SHOP, ["write_orders", "unauthenticated_read_content"])
    api = adapter(handle)
    token = api.create_storefront_token("Backorder connector")
    with pytest.raises(AccessDenied) as caught:
        api.read_brand(token)
    assert caught.value.required == ("unauthenticated_read_product_listings",)


# -- reading onto the shop (connector/install/brand_read.py), SQLite and PostgreSQL ------------------------

@dataclass
class Harness:
    container: Container
    simulator: ShopifySimulator
    shop_id: int

    def read(self) -> str | None:
        return read_shopify_brand(self.container, self.container.shop_access(self.shop_id))

    def row(self) -> Shop:
        with self.container.uow() as uow:
            shop = uow.shops.get(self.shop_id)
            assert shop is not None
            uow.session.expunge(shop)  # type: ignore[union-attr]
            return shop

    def stored_token(self) -> str | None:
        return self.container.box.open(self.row().credentials).extra.get(TOKEN_KEY)


@pytest.fixture
def h(sim, database_url: str) -> Iterator[Harness]:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    settings = Settings(database_url=database_url, secret_key=generate_key(), worker_threads=0, log_level="WARNING",
                        http_timeout_seconds=5.0, http_max_attempts=1, allow_private_targets=True,
                        app_name="Backorder connector", app_url="https://connector.example")
    container = bootstrap(settings, auto_upgrade=True)
    shop = add_shop(container.uow(), container.box, Platform.SHOPIFY, SHOP,
                    ShopCredentials(access_token=TOKEN, extra={"refresh_token": "r-1"}), api_base=handle.url)
    yield Harness(container, simulator, shop.id)
    container.close()


def test_the_brand_is_read_onto_the_shop_with_one_token_kept_sealed(h: Harness) -> None:
    assert h.read() is None
    row = h.row()
    assert (row.store_logo_url, row.store_accent_color, row.brand_read_error) == (LOGO, "#1a7f5a", None)
    assert row.brand_read_at is not None
    token = h.stored_token()
    [held] = h.simulator.graphql.storefront.of_shop(SHOP)
    assert token == held.token and token not in row.credentials  # sealed, never in clear
    assert h.container.box.open(row.credentials).extra["refresh_token"] == "r-1"  # the rest kept
    assert h.container.box.open(row.credentials).access_token == TOKEN

    h.simulator.set_brand(SHOP, {"logo": SQUARE, "primary": "#ffcc00"})
    assert h.read() is None
    assert h.simulator.graphql.storefront.created == 1  # read again with the same token
    assert (h.row().store_logo_url, h.row().store_accent_color) == (SQUARE, "#ffcc00")
    voice = brand.load(h.container.uow(), h.shop_id)
    assert (voice.logo_url, voice.accent, voice.accent_text) == (SQUARE, "#ffcc00", "#000000")


def test_a_token_shopify_refuses_is_replaced_once_and_the_brand_still_read(h: Harness) -> None:
    h.read()
    first = h.stored_token()
    assert h.simulator.revoke_storefront_tokens(SHOP) == 1  # the merchant deleted it (or reinstalled)
    h.simulator.set_brand(SHOP, {"logo": SQUARE})
    assert h.read() is None
    assert h.simulator.graphql.storefront.created == 2 and h.stored_token() not in (None, first)
    assert (h.row().store_logo_url, h.row().store_accent_color) == (SQUARE, None)


def test_a_scope_refusal_is_recorded_keeps_what_was_read_and_the_merchants_settings_still_apply(h: Harness) -> None:
    h.read()
    h.simulator.revoke_storefront_tokens(SHOP)
    h.simulator.set_scopes(SHOP, ["write_orders", "write_products", "read_inventory"])  # the merchant took it back
    reason = h.read()
    assert reason is not None and "unauthenticated_read_product_listings" in reason and "re-authorise" in reason
    row = h.row()
    assert row.brand_read_error == reason and (row.store_logo_url, row.store_accent_color) == (LOGO, "#1a7f5a")
    assert h.stored_token() is None
    set_setting(h.container.uow(), h.shop_id, "brand.accent_color", "#222222")
    set_setting(h.container.uow(), h.shop_id, "brand.logo_url", "https://tea.example/own.png")
    voice = brand.load(h.container.uow(), h.shop_id)
    assert (voice.accent, voice.logo_url) == ("#222222", "https://tea.example/own.png")

    h.simulator.set_scopes(SHOP, ALL_SCOPES)  # re-authorised: the next read works and clears the refusal
    assert h.read() is None and h.row().brand_read_error is None


def test_a_logo_that_is_not_https_is_not_kept_and_a_bad_colour_is_dropped(h: Harness) -> None:
    h.simulator.set_brand(SHOP, {"logo": "http://cdn.shopify.example/logo.png", "primary": "teal"})
    assert h.read() is None
    assert (h.row().store_logo_url, h.row().store_accent_color) == (None, None)
    voice = brand.load(h.container.uow(), h.shop_id)
    assert (voice.logo_url, voice.accent) == ("", brand.DEFAULT_ACCENT)


def test_brand_from_store_off_asks_shopify_for_nothing(h: Harness) -> None:
    set_setting(h.container.uow(), h.shop_id, "brand.from_store", False)
    assert h.read() is None
    assert h.simulator.graphql.storefront.created == 0 and h.row().brand_read_at is None


def test_the_health_check_reads_the_brand_and_a_refusal_never_fails_it(h: Harness) -> None:
    report = health.check_subscriptions(h.container, h.shop_id)
    assert report.status == "active" and report.brand_error is None and report.created
    assert h.row().store_logo_url == LOGO
    h.simulator.revoke_storefront_tokens(SHOP)
    h.simulator.set_scopes(SHOP, ["write_orders", "write_products", "read_inventory"])
    report = health.check_subscriptions(h.container, h.shop_id)
    assert report.status == "active" and report.brand_error and "unauthenticated_read_product_listings" in \
        report.brand_error
