"""`connector shops settings S` and `connector shops set S KEY VALUE`."""

from __future__ import annotations

import json

import click

from connector.cli import _container, _fail_cleanly, shops


@shops.command("settings")
@click.argument("shop_name")
@_fail_cleanly
def shops_settings(shop_name: str) -> None:
    """Show a shop's settings (its own values and the defaults)."""
    from connector.services.shop_settings import SETTINGS, all_settings
    from connector.services.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    for key, value in all_settings(c.uow(), info.id).items():
        click.echo(f"{key:<40} {json.dumps(value):<20} {SETTINGS[key].help}")


@shops.command("set")
@click.argument("shop_name")
@click.argument("key")
@click.argument("value")
@_fail_cleanly
def shops_set(shop_name: str, key: str, value: str) -> None:
    """Set one of a shop's settings; VALUE is JSON (true, 7, "text", {"a": 1})."""
    from connector.services.shop_settings import set_setting
    from connector.services.shops import resolve_shop

    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value  # a bare word is a string
    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    set_setting(c.uow(), info.id, key, parsed)
    click.echo(f"{info.domain}: {key} = {json.dumps(parsed)}")
