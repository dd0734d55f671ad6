"""`connector shops uninstall S`."""

from __future__ import annotations

import click

from connector.cli_support import _container, _fail_cleanly


@click.command("uninstall")
@click.argument("shop_name")
@_fail_cleanly
def shops_uninstall(shop_name: str) -> None:
    """Mark a shop uninstalled: its jobs stop and its tokens are discarded; its records stay."""
    from connector.privacy.privacy import uninstall
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    uninstall(c, info.id)
    click.echo(f"{info.domain}: uninstalled")


SHOPS_COMMANDS = (shops_uninstall,)
