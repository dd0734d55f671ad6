"""The deferred-revenue view of `connector report` (connector/cli.py hands ``--deferred-revenue`` here)."""

from __future__ import annotations

import click

from connector.cli_support import render_table
from connector.db.uow import UnitOfWork


def echo_deferred_revenue(uow: UnitOfWork, shop_id: int, fmt: str) -> None:
    """Print the report as a table, ``json`` or ``csv``."""
    from connector.reports.deferred_revenue import COLUMNS, as_csv, as_json, shop_report

    rows = shop_report(uow, shop_id)
    if fmt == "json":
        click.echo(as_json(rows))
    elif fmt == "csv":
        click.echo(as_csv(rows), nl=False)
    else:
        click.echo(render_table([r.as_dict() for r in rows], list(COLUMNS)))
