"""`connector jobs runs [--status S] [--limit N] [--json]`: recent durable job runs (job_runs)."""

from __future__ import annotations

import json

import click

from connector.cli_support import _container, _fail_cleanly, render_table
from connector.db.models_jobs import RUN_STATUSES

COLUMNS = ["id", "job", "args", "shop_id", "status", "attempts", "requeues", "enqueued_at", "finished_at",
           "last_error"]


@click.command("runs")
@click.option("--status", type=click.Choice(RUN_STATUSES), default=None, help="Only runs with this status.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_fail_cleanly
def jobs_runs(status: str | None, limit: int, as_json: bool) -> None:
    """List recent recorded one-off job runs, newest first, with the count per status."""
    from connector.db.job_runs_sweep import counts, recent

    c = _container(auto_upgrade=True)
    rows = recent(c.engine, status=status, limit=limit)
    totals = counts(c.engine)
    if as_json:
        click.echo(json.dumps({"counts": totals, "runs": rows}, default=str))
        return
    click.echo("  ".join(f"{name}: {count}" for name, count in totals.items()))
    shown = [{**row, "args": json.dumps(row["args"]), "enqueued_at": _when(row["enqueued_at"]),
              "finished_at": _when(row["finished_at"]), "last_error": (row["last_error"] or "")[:60]}
             for row in rows]
    click.echo(render_table(shown, COLUMNS))


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else ""

JOBS_COMMANDS = (jobs_runs,)
