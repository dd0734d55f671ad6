"""Access scopes and API versions against the simulator on loopback: it refuses what the token was not
granted as Shopify does (ACCESS_DENIED), the client names the missing scope, the install requests every
feature's scopes and stores what was granted (SQLite and PostgreSQL), a feature turned on without its
scope is refused with the re-authorisation link, and each API version is answered by its own schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from graphql import GraphQLSchema

from adapters.http import HttpTransport
from adapters.shopify.access import granted_scopes
from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.orders_admin import DISCOUNT_BASIC_CREATE
from adapters.shopify.refunds import REFUND_CREATE
from connector.domain.errors import PlatformAuthError, PlatformNotFound
from connector.domain.shopify_access import DEFAULT_SCOPES, AccessDenied, MissingScopes
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.stack import LocalStack, start_stack
from tests.support.install_flows import approve, install_shopify, shop_row, start_shopify_install
from tests.unit.test_shopify_documents import real_schema

SHOP = "narrow.myshopify.com"
TOKEN = "shpat_narrow"
NARROW = ["write_orders", "write_products", "read_inventory"]
"""What the connector asked for before issue 11: no discounts, no fulfillment orders."""
DISCOUNT = {"input": {"title": "Sorry", "code": "SORRY-1", "startsAt": "2026-12-02T00:00:00Z",
                      "context": {"customers": {"add": ["gid://shopify/Customer/1"]}},
                      "customerGets": {"value": {"percentage": 0.1}, "items": {"all": True}}}}


def seed(scopes: list[str] | None = NARROW) -> dict[str, Any]:
    shop: dict[str, Any] = {"domain": SHOP, "access_token": TOKEN, "products": [
        {"title": "Mug", "variants": [{"sku": "MUG", "price": "12.00", "inventory_quantity": 0,
                                       "inventory_policy": "CONTINUE"}]}]}
    if scopes is not None:
        shop["scopes"] = scopes
    return {"api_secret": "scopes-secret", "api_version": "2026-04", "shops": [shop]}


@pytest.fixture
def sim() -> Iterator[tuple[ShopifySimulator, ServerHandle]]:
    simulator = ShopifySimulator(seed())
    handle = serve_in_thread(simulator.app)
    yield simulator, handle
    handle.stop()


def client_for(handle: ServerHandle, version: str = "2026-04") -> ShopifyGraphQL:
    return ShopifyGraphQL(SHOP, TOKEN, api_base=handle.url, api_version=version,
                          transport=HttpTransport(name="test"))


def post(handle: ServerHandle, version: str, query: str, variables: dict[str, Any] | None = None
         ) -> requests.Response:
    return requests.post(f"{handle.url}/admin/api/{version}/graphql.json",
                         json={"query": query, "variables": variables},
                         headers={"X-Shopify-Access-Token": TOKEN}, timeout=10)


def test_the_simulator_refuses_a_mutation_outside_the_granted_scopes_as_shopify_does(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    answer = post(handle, "2026-04", DISCOUNT_BASIC_CREATE, DISCOUNT)
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] == {"discountCodeBasicCreate": None}
    (error,) = body["errors"]
    assert error["message"] == ("Access denied for discountCodeBasicCreate field. "
                                "Required access: `write_discounts` access scope.")
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert error["extensions"]["requiredAccess"] == "`write_discounts` access scope."
    assert error["path"] == ["discountCodeBasicCreate"] and error["locations"]


def test_the_client_turns_access_denied_into_an_auth_error_naming_the_missing_scope(sim) -> None:  # type: ignore[no-untyped-def]
    _, handle = sim
    with pytest.raises(AccessDenied) as caught:
        client_for(handle).execute(DISCOUNT_BASIC_CREATE, DISCOUNT)
    assert isinstance(caught.value, PlatformAuthError)
    assert caught.value.required == ("write_discounts",) and caught.value.fields == ("discountCodeBasicCreate",)
    assert "write_discounts" in str(caught.value) and "re-authorise" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_one_of_several_scopes_is_enough_and_write_grants_read(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    simulator.set_scopes(SHOP, ["write_orders", "write_third_party_fulfillment_orders"])
    body = post(handle, "2026-04", "mutation { fulfillmentOrderReleaseHold(id: \"gid://shopify/FulfillmentOrder/1\")"
                " { userErrors { message } } }").json()
    assert all(e["extensions"].get("code") != "ACCESS_DENIED" for e in body.get("errors", []))
    assert post(handle, "2026-04", "{ orders(first: 1) { nodes { id } } }").json().get("errors") is None
    denied = post(handle, "2026-04", "{ productVariants(first: 1) { nodes { id } } }").json()["errors"][0]
    assert denied["extensions"]["code"] == "ACCESS_DENIED" and "read_products" in denied["message"]


def test_the_granted_scopes_are_read_from_current_app_installation(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    assert granted_scopes(client_for(handle)) == tuple(sorted(NARROW))
    simulator.set_scopes(SHOP, None)
    assert set(granted_scopes(client_for(handle))) >= set(DEFAULT_SCOPES)


# -- API versions ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def versions() -> dict[str, GraphQLSchema]:
    return {version: real_schema(version) for version in ("2025-07", "2026-04")}


@pytest.fixture
def two_versions(versions: dict[str, GraphQLSchema]) -> Iterator[ServerHandle]:
    simulator = ShopifySimulator(seed(None), versions=versions)
    handle = serve_in_thread(simulator.app)
    yield handle
    handle.stop()


def test_each_version_is_answered_by_its_own_schema(two_versions: ServerHandle) -> None:
    refund = {"input": {"orderId": "gid://shopify/Order/1"}, "key": "k-1"}
    old = post(two_versions, "2025-07", REFUND_CREATE, refund)
    assert old.status_code == 200 and old.headers["X-Shopify-API-Version"] == "2025-07"
    assert any("idempotent" in e["message"] for e in old.json()["errors"])
    assert "data" not in old.json()
    new = post(two_versions, "2026-04", "{ shop { email } }")
    assert new.json()["data"]["shop"]["email"] and new.headers["X-Shopify-API-Version"] == "2026-04"


def test_a_retired_version_falls_forward_and_an_unknown_one_is_not_found(two_versions: ServerHandle) -> None:
    retired = post(two_versions, "2024-10", "{ shop { email } }")
    assert retired.status_code == 200 and retired.headers["X-Shopify-API-Version"] == "2025-07"
    for version in ("2026-13", "latest", "2099-01"):
        assert post(two_versions, version, "{ shop { email } }").status_code == 404
    with pytest.raises(PlatformNotFound):
        client_for(two_versions, "2099-01").execute("{ shop { email } }")


def test_the_client_warns_when_shopify_serves_another_version_than_asked(two_versions: ServerHandle,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="adapters.shopify.client"):
        assert client_for(two_versions, "2024-10").execute("{ shop { email } }")["shop"]["email"]
    assert any("served API version 2025-07 instead of 2024-10" in r.getMessage() for r in caplog.records)


# -- install and turning features on, on SQLite and PostgreSQL ---------------------------------------

@pytest.fixture
def stack(database_url: str) -> Iterator[LocalStack]:
    with start_stack(database_url=database_url, worker_threads=0, seed={"shopify": seed()}) as running:
        yield running


def test_the_install_requests_every_feature_s_scopes_and_stores_what_was_granted(stack: LocalStack) -> None:
    started = start_shopify_install(stack, "fresh.myshopify.com")
    asked = parse_qs(urlsplit(started.headers["Location"]).query)["scope"][0].split(",")
    assert tuple(sorted(asked)) == DEFAULT_SCOPES
    assert {"write_merchant_managed_fulfillment_orders", "write_discounts", "write_fulfillments",
            "write_assigned_fulfillment_orders"} <= set(asked)
    assert install_shopify(stack, "fresh.myshopify.com").status_code == 302
    shop = shop_row(stack, "shopify", "fresh.myshopify.com")
    assert shop.scopes == ",".join(DEFAULT_SCOPES) and shop.scopes_checked_at is not None


def test_turning_on_a_feature_without_its_scope_names_the_scope_and_gives_the_reauthorisation_link(
        stack: LocalStack) -> None:
    from connector.install.scopes import check_before_setting
    from connector.shop_settings import get_setting, set_setting

    shop_id = stack.shops[SHOP].id
    consolation = {"min_slip_days": 10, "type": "percentage", "amount": 10, "valid_days": 90}
    with pytest.raises(MissingScopes) as caught:
        check_before_setting(stack.container, shop_id, "notify.consolation", consolation)
    message = str(caught.value)
    assert caught.value.missing == ("write_discounts",) and "write_discounts" in message and "consolation" in message
    url = caught.value.reauthorize_url
    assert url is not None and url in message and "/admin/oauth/authorize" in url
    assert "write_discounts" in parse_qs(urlsplit(url).query)["scope"][0].split(",")
    row = shop_row(stack, "shopify", SHOP)
    assert row.scopes == ",".join(sorted(NARROW)) and row.scopes_checked_at is not None  # read on the way

    # features whose scopes were granted go through; settings that turn nothing on are never checked
    assert check_before_setting(stack.container, shop_id, "publish.toggle_backorders", True) == []
    assert check_before_setting(stack.container, shop_id, "dropship.max_wait_days", 3) == []

    # the merchant follows the link and approves: the new grant is read and the feature can be turned on
    stack.sandbox.shopify.oauth.auto_approve = True
    answer = requests.get(approve(url), allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    assert "write_discounts" in shop_row(stack, "shopify", SHOP).scopes.split(",")
    assert check_before_setting(stack.container, shop_id, "notify.consolation", consolation) == []
    set_setting(stack.container.uow(), shop_id, "notify.consolation", consolation)
    assert get_setting(stack.container.uow(), shop_id, "notify.consolation") == consolation


def test_fulfillment_service_mode_needs_the_fulfillment_scopes(stack: LocalStack) -> None:
    from connector.install.scopes import check_before_setting

    with pytest.raises(MissingScopes) as caught:
        check_before_setting(stack.container, stack.shops[SHOP].id, "dropship.fulfillment_service", True)
    assert caught.value.missing == ("write_assigned_fulfillment_orders", "write_fulfillments")


def cli_env(stack: LocalStack) -> dict[str, str]:
    s = stack.container.settings
    return {"DATABASE_URL": s.database_url, "CONNECTOR_SECRET_KEY": s.secret_key or "", "CONNECTOR_CONFIG": "",
            "SHOPIFY_API_KEY": s.shopify_api_key or "", "SHOPIFY_API_SECRET": s.shopify_api_secret or "",
            "CONNECTOR_APP_URL": s.app_url or "", "CONNECTOR_SHOPIFY_ADMIN_BASE": s.shopify_admin_base or ""}


def test_shops_set_refuses_the_feature_naming_the_scopes_and_shops_scopes_lists_them(stack: LocalStack) -> None:
    from click.testing import CliRunner

    from connector.cli import main

    runner = CliRunner()
    refused = runner.invoke(main, ["shops", "set", SHOP, "dropship.enabled", "true"], env=cli_env(stack))
    assert refused.exit_code == 1, refused.output
    assert "write_merchant_managed_fulfillment_orders" in refused.output and "/admin/oauth/authorize" in refused.output
    listed = runner.invoke(main, ["shops", "scopes", SHOP], env=cli_env(stack))
    assert listed.exit_code == 0, listed.output
    assert "granted read_inventory, write_orders, write_products" in listed.output
    assert "MISSING write_discounts" in listed.output
    fine = runner.invoke(main, ["shops", "set", SHOP, "dropship.max_wait_days", "3"], env=cli_env(stack))
    assert fine.exit_code == 0, fine.output
