"""`connector keys rotate`, `connector shops health S` (`connector shops uninstall S`: connector/privacy/cli.py)."""

from __future__ import annotations

import json

import click

from connector.cli_support import _container, _fail_cleanly


@click.group()
def keys() -> None:
    """CONNECTOR_SECRET_KEY management."""


@keys.command("rotate")
@_fail_cleanly
def keys_rotate() -> None:
    """Re-encrypt every stored secret with the first key of CONNECTOR_SECRET_KEY ("new,old").

    Afterwards the old key can be removed from CONNECTOR_SECRET_KEY.
    """
    from connector.install.keys import rotate_all

    c = _container(auto_upgrade=True)
    report = rotate_all(c.uow(), c.box)
    for name, count in sorted(report.rotated.items()):
        click.echo(f"re-encrypted {count:>5}  {name}")
    if report.sealed:
        click.echo(f"sealed       {report.sealed:>5}  shop settings stored in plain text before sealing")
    if report.unreadable:
        click.echo(f"{len(report.unreadable)} value(s) no configured key decrypts: "
                   + ", ".join(report.unreadable[:20]), err=True)
        raise SystemExit(1)
    click.echo("done: every stored secret now uses the first key; the others can be removed")


@click.command("health")
@click.argument("shop_name")
@_fail_cleanly
def shops_health(shop_name: str) -> None:
    """Check the shop's webhook subscriptions and repair what is missing or disabled; read the shop's
    brand (Shopify) or identity (WooCommerce) and say why it could not be read (brand_error, null when
    read or not asked)."""
    from connector.install.health import check_subscriptions
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    report = check_subscriptions(c, info.id)
    click.echo(json.dumps({"shop": info.domain, "status": report.status, "ok": report.ok,
                           "created": report.created, "reactivated": report.reactivated, "removed": report.removed,
                           "brand_error": report.brand_error}))

COMMANDS = (keys,)

SHOPS_COMMANDS = (shops_health,)
