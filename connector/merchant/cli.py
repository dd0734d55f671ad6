"""`connector app link --shop S`: a WooCommerce app link, as the WordPress plugin gets one (operators, tests)."""

from __future__ import annotations

import click

from connector.cli_support import _container, _fail_cleanly
from connector.domain.errors import InvalidPayload


@click.group("app")
def app() -> None:
    """The merchant's app at /app."""


@app.command("link")
@click.option("--shop", "shop_name", required=True, help="WooCommerce store URL as connected.")
@click.option("--user-id", default="0", show_default=True, help="The WordPress user the link is for.")
@click.option("--user-login", default="operator", show_default=True, help="That user's login (audit trails).")
@_fail_cleanly
def link(shop_name: str, user_id: str, user_login: str) -> None:
    """Print a signed, single-use link into the app for a WooCommerce store (opens once, within 5 minutes)."""
    from connector.merchant.auth import mint_link
    from connector.shops import resolve_shop

    c = _container()
    info = resolve_shop(c.uow(), shop_name)
    if info.platform != "woocommerce":
        raise InvalidPayload("app links are for WooCommerce stores; Shopify merchants open the app from their admin")
    click.echo(mint_link(c, info.id, user_id, user_login))


COMMANDS = (app,)
