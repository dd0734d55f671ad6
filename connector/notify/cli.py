"""`connector messages --shop S`, `connector alerts --shop S`, `connector notify run --shop S`."""

from __future__ import annotations

import json

import click

from connector.cli_support import _container, _fail_cleanly, render_table


@click.command()
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL as added.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--status", default=None, help="Comma-separated: sent,suppressed,pending,failed,uncertain.")
@_fail_cleanly
def messages(shop_name: str, as_json: bool, status: str | None) -> None:
    """The customer message log: every message sent or deliberately not sent, with its outcome."""
    from connector.notify.log import list_messages
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    rows = list_messages(c.uow(), info.id, status.split(",") if status else None)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        row["outcome"] = row["error"] or row["outcome"] or ""
    click.echo(render_table(rows, ["order_name", "kind", "date", "recipient", "status", "discount_code",
                                   "sent_at", "outcome"]))


@click.command()
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL as added.")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def alerts(shop_name: str, as_json: bool) -> None:
    """Pile-up alerts: one per threshold crossing of a SKU's open backorders."""
    from connector.notify.log import list_alerts
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    rows = list_alerts(c.uow(), info.id)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(render_table(rows, ["sku", "threshold", "limit", "observed", "crossed_at", "cleared_at", "status",
                                   "channels", "error"]))


@click.group()
def notify() -> None:
    """Customer messages and pile-up alerts."""


COMMANDS = (messages, alerts, notify,)
