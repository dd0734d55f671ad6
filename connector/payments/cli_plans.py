"""`connector payments plans|plans-sync`: the shop's pre-order selling plan group and its variants.

``PAYMENTS_COMMANDS`` go into the ``payments`` command group (the payments feature's, connector/payments/cli.py);
``payments`` here is the group they get when that feature's is not installed (connector/cli.py decides)."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from connector.cli_support import _container, _fail_cleanly, render_table


@click.group()
def payments() -> None:
    """Payment on shipment: the pre-order selling plan group (Shopify deferred purchase options)."""


@click.command("plans")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def plans(shop_name: str, as_json: bool) -> None:
    """The shop's selling plan group, its plan and the variants attached to it."""
    from connector.payments.selling_plans import plan_view
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    view = plan_view(c.uow(), resolve_shop(c.uow(), shop_name).id)
    if as_json:
        click.echo(json.dumps(asdict(view), indent=2))
        return
    click.echo(f"route: {view.route}")
    click.echo(f"group: {view.group_id or '(none)'}  plan: {view.plan_id or '-'}  synced: {view.synced_at or 'never'}")
    if view.settings:
        click.echo(f"plan: {view.settings.get('name')} (checkout {view.settings.get('deposit_percent')}%, balance "
                   f"{view.settings.get('balance_trigger')}, inventory reserved {view.settings.get('reserve')})")
    if view.last_error:
        click.echo(f"last error: {view.last_error}")
    click.echo(render_table(view.variants, ["variant_id", "sku", "attached_at"]))


@click.command("plans-sync")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@_fail_cleanly
def plans_sync(shop_name: str) -> None:
    """Bring the selling plan group in line with the settings and the backorder variants now."""
    from connector.payments.selling_plans import sync_plans
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    shop_id = resolve_shop(c.uow(), shop_name).id
    report = sync_plans(c.uow(), c.selling_plans(shop_id), shop_id)
    click.echo(report.describe())
    for reason in report.reasons:
        click.echo(f"  {reason}")


PAYMENTS_COMMANDS = (plans, plans_sync)
