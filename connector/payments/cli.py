"""`connector payments list|capture|run`: payment on shipment per order, and the merchant's manual
trigger. The selling-plan commands (cli_plans.py) join the same group (connector/cli.py assembles it)."""

from __future__ import annotations

import json
from typing import Any

import click

from connector.cli_support import _container, _fail_cleanly, render_table

COLUMNS = ["order", "route", "state", "authorized", "captured", "due", "currency", "expires", "held", "last_error"]


@click.group()
def payments() -> None:
    """Payment on shipment: captures and balances taken when backordered goods ship."""


@payments.command("list")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def list_command(shop_name: str, as_json: bool) -> None:
    """The payment state of every order the connector defers: route, state, amounts, expiry, last error."""
    from connector.payments.work import list_payments, route
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    shop_id = resolve_shop(c.uow(), shop_name).id
    rows = list_payments(c.uow(), shop_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(_route_line(route(c.uow(), shop_id)))
    click.echo(render_table(rows, COLUMNS))


def _route_line(chosen: Any) -> str:
    """How the shop's backorder sales are paid, as the merchant reads it (the deprecated setting named)."""
    line = f"payments.route: {chosen.route}"
    if chosen.legacy:
        line += (" (from payments.enabled true, deprecated: run `connector shops set <shop> payments.route "
                 "authorization` to keep it)")
    return line


@payments.command("capture")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.argument("order")
@_fail_cleanly
def capture_command(shop_name: str, order: str) -> None:
    """Take the money of ORDER now, by the same exactly-once path as the automatic pass.

    ORDER is the store's order name (#1001) or id. Takes the rest of an authorisation, or the balance on
    a vaulted card."""
    from connector.payments.work import capture_now, find_order
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    shop_id = resolve_shop(c.uow(), shop_name).id
    order_id = find_order(c.uow(), shop_id, order)
    outcome = capture_now(c.uow(), c.store_payments(shop_id), shop_id, order_id)
    click.echo(f"order {order}: {outcome.state} ({outcome.action})"
               + (f", {outcome.amount}" if outcome.amount else "") + (f": {outcome.detail}" if outcome.detail else ""))


@payments.command("run")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@_fail_cleanly
def run_command(shop_name: str) -> None:
    """Run the collection pass now: capture or charge what shipped or is ready to ship."""
    from connector.payments import work
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    shop_id = resolve_shop(c.uow(), shop_name).id
    chosen = work.route(c.uow(), shop_id)
    plans = (c.selling_plans(shop_id) if chosen.route == "selling_plan"
             and work.platform_of(c.uow(), shop_id) == "shopify" else None)
    click.echo(_route_line(chosen))
    report = work.collect_shop(c.uow(), c.store_payments(shop_id), shop_id, plans=plans)
    click.echo(report.describe())
    for outcome in report.outcomes:
        click.echo(f"  order {outcome.order_id}: {outcome.state} ({outcome.action})")
    for order_id, why in report.failed.items():
        click.echo(f"  order {order_id}: not settled: {why}")


COMMANDS = (payments,)
