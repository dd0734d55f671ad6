"""`connector shops health S` and `connector shops uninstall S` as an operator runs them."""

from __future__ import annotations

import json
from typing import Any

import requests
from click.testing import CliRunner

from connector.cli import main
from sandbox.stack import LocalStack, start_stack
from tests.support.install_flows import install_shopify, shop_row

SHOP = "fresh-shop.myshopify.com"


def cli_env(stack: LocalStack) -> dict[str, str]:
    """The environment of an operator's `connector` command against ``stack``'s database."""
    settings = stack.container.settings
    return {"DATABASE_URL": settings.database_url, "CONNECTOR_SECRET_KEY": settings.secret_key or "",
            "CONNECTOR_APP_URL": settings.app_url or "", "CONNECTOR_CONFIG": "",
            "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"}


def health(stack: LocalStack, shop: str = SHOP) -> dict[str, Any]:
    """`connector shops health SHOP`'s JSON line (the command exits 0)."""
    result = CliRunner().invoke(main, ["shops", "health", shop], env=cli_env(stack))
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_health_repairs_and_uninstall_stops_a_shop_from_the_command_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with start_stack(database_url=f"sqlite:///{tmp_path}/c.db", worker_threads=0) as stack:
        install_shopify(stack, SHOP)
        env = cli_env(stack)
        subs = requests.get(f"{stack.sandbox.shopify_url}/_sandbox/webhook_subscriptions", params={"shop": SHOP}).json()
        requests.delete(f"{stack.sandbox.shopify_url}/_sandbox/webhook_subscriptions/{subs[0]['numeric_id']}",
                        params={"shop": SHOP})
        assert health(stack)["created"] == ["orders/create"]
        gone = CliRunner().invoke(main, ["shops", "uninstall", SHOP], env=env)
        assert gone.exit_code == 0 and f"{SHOP}: uninstalled" in gone.output
        assert shop_row(stack, "shopify", SHOP).status == "uninstalled"
        unknown = CliRunner().invoke(main, ["shops", "uninstall", "nobody.myshopify.com"], env=env)
        assert unknown.exit_code == 1 and "no shop" in unknown.output


def test_health_says_why_the_shops_brand_could_not_be_read_and_still_succeeds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    seeded = "sandbox-outdoors.myshopify.com"  # its grant can change (an OAuth token keeps its scopes)
    with start_stack(database_url=f"sqlite:///{tmp_path}/c.db", worker_threads=0) as stack:
        read = health(stack, seeded)
        assert read["brand_error"] is None and read["status"] == "active"
        stack.sandbox.shopify.revoke_storefront_tokens(seeded)  # the shop took back the Storefront scope
        stack.sandbox.shopify.set_scopes(seeded, ["write_orders", "write_products", "read_inventory"])
        refused = health(stack, seeded)
        assert refused["status"] == "active" and refused["created"] == [] and refused["removed"] == []
        assert "unauthenticated_read_product_listings" in refused["brand_error"]  # what the app shows too
