"""`connector shops health S` and `connector shops uninstall S` as an operator runs them."""

from __future__ import annotations

import json

import requests
from click.testing import CliRunner

from connector.cli import main
from sandbox.stack import start_stack
from tests.support.install_flows import install_shopify, shop_row

SHOP = "fresh-shop.myshopify.com"


def test_health_repairs_and_uninstall_stops_a_shop_from_the_command_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with start_stack(database_url=f"sqlite:///{tmp_path}/c.db", worker_threads=0) as stack:
        install_shopify(stack, SHOP)
        settings = stack.container.settings
        env = {"DATABASE_URL": settings.database_url, "CONNECTOR_SECRET_KEY": settings.secret_key or "",
               "CONNECTOR_APP_URL": settings.app_url or "", "CONNECTOR_CONFIG": "",
               "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"}
        subs = requests.get(f"{stack.sandbox.shopify_url}/_sandbox/webhook_subscriptions", params={"shop": SHOP}).json()
        requests.delete(f"{stack.sandbox.shopify_url}/_sandbox/webhook_subscriptions/{subs[0]['numeric_id']}",
                        params={"shop": SHOP})
        health = CliRunner().invoke(main, ["shops", "health", SHOP], env=env)
        assert health.exit_code == 0, health.output
        assert json.loads(health.output.strip().splitlines()[-1])["created"] == ["orders/create"]
        gone = CliRunner().invoke(main, ["shops", "uninstall", SHOP], env=env)
        assert gone.exit_code == 0 and f"{SHOP}: uninstalled" in gone.output
        assert shop_row(stack, "shopify", SHOP).status == "uninstalled"
        unknown = CliRunner().invoke(main, ["shops", "uninstall", "nobody.myshopify.com"], env=env)
        assert unknown.exit_code == 1 and "no shop" in unknown.output
