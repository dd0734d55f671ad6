"""The deferred-revenue view of `connector report` (connector/cli.py hands ``--deferred-revenue`` here)."""

from __future__ import annotations

from datetime import datetime

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


def echo_kpis(uow: UnitOfWork, shop_id: int, shop: str, date_from: datetime | None, date_to: datetime | None,
              fmt: str) -> list[str] | None:
    """Print the KPIs as ``json`` or ``csv`` (and return None), or return the text lines (``text``) for the
    caller to print under its status counts. Raises ValueError for a period that ends before it starts."""
    from connector.reports.kpis import as_csv, as_json, as_text, period_from, shop_kpis

    period = period_from(date_from.date() if date_from else None, date_to.date() if date_to else None)
    kpis = shop_kpis(uow, shop_id, shop, period)
    if fmt == "json":
        click.echo(as_json(kpis))
        return None
    if fmt == "csv":
        click.echo(as_csv(kpis), nl=False)
        return None
    return as_text(kpis)
