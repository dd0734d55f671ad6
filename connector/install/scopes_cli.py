"""`connector shops scopes S`: the access scopes a Shopify shop granted, and what each feature needs."""

from __future__ import annotations

import click

from connector.cli_support import _container, _fail_cleanly


@click.command("scopes")
@click.argument("shop_name")
@_fail_cleanly
def shops_scopes(shop_name: str) -> None:
    """Read the scopes a Shopify shop granted (stored on the shop) and list each feature's needs."""
    from connector.domain import shopify_access
    from connector.install.scopes import reauthorize_url, record_granted_scopes
    from connector.shop_settings import all_settings
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    granted = record_granted_scopes(c, info.id)
    click.echo(f"{info.domain}: granted {', '.join(granted) or '(none)'}")
    values = all_settings(c.uow(), info.id)
    lacking: list[str] = []
    for feature in shopify_access.FEATURES:
        missing = shopify_access.missing(granted, feature.scopes)
        state = "on " if feature.enabled(values) else "off"
        verdict = f"MISSING {', '.join(missing)}" if missing else "ok"
        click.echo(f"  {state} {feature.name:<20} {', '.join(feature.scopes):<60} {verdict}")
        if missing and feature.enabled(values):
            lacking += missing
    if lacking:
        url = reauthorize_url(c, info.domain, shopify_access.minimal((*granted, *c.settings.shopify_scopes, *lacking)))
        where = url or "open the app from the shop admin (app.url and shopify.api_key are not configured here)"
        click.echo(f"re-authorise to grant {', '.join(shopify_access.minimal(lacking))}: {where}")

SHOPS_COMMANDS = (shops_scopes,)
