"""Commands of reorder advice: ``connector sales-history --shop S`` (read the history, then fold captured
orders, with a progress bar, then compute and store the advice) and the ``--reorder`` view of
``connector report`` (``echo_reorder``)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import click

from connector.cli_support import _container, _fail_cleanly, render_table
from connector.db.uow import UnitOfWork

COLUMNS = ("sku", "status", "reorder_by", "quantity", "reorder_point", "on_hand", "on_order", "daily_rate",
           "trend", "lead_time_days", "supplier", "reason")


def echo_reorder(uow: UnitOfWork, shop_id: int, fmt: str) -> None:
    """Print the advice, most urgent first, as a table, ``json`` or ``csv``: the stored advice when it is
    fresh for the shop's today, else computed now (and stored; connector/reorder/stored.py)."""
    from connector.reorder.stored import current_advice

    advice = current_advice(uow, shop_id)
    if fmt == "json":
        click.echo(json.dumps([a.as_dict() for a in advice], indent=2))
        return
    rows = [{**{k: v for k, v in a.as_dict().items() if k in COLUMNS}, "reason": a.summary} for a in advice]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        click.echo(render_table(rows, list(COLUMNS)))


@click.command("sales-history")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--restart", is_flag=True, help="Read the whole history again (nothing is counted twice).")
@_fail_cleanly
def sales_history(shop_name: str, restart: bool) -> None:
    """Read the shop's order history once (resumes where it stopped), then fold captured orders."""
    from connector.reorder.history import fold_captured, progress, read_history
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    shop_id = resolve_shop(c.uow(), shop_name).id
    state = progress(c.uow(), shop_id)
    if state.status != "done" or restart:
        with click.progressbar(length=state.orders_total or 0, label="orders read",
                               show_pos=True) as bar:
            def on_page(now: object) -> None:
                bar.length = getattr(now, "orders_total", None) or getattr(now, "orders_read", 0)
                bar.update(getattr(now, "orders_read", 0) - bar.pos)

            state = read_history(c.uow(), c.sales_history(shop_id), shop_id, datetime.now(UTC),
                                 on_page=on_page, restart=restart)
    folded = fold_captured(c.uow(), shop_id, datetime.now(UTC))
    from connector.reorder.stored import recompute

    advised = len(recompute(c.uow(), shop_id)) if state.status == "done" else 0
    click.echo(f"history {state.status}: {state.orders_read} orders in {state.pages} pages; "
               f"{folded} captured orders folded; advice for {advised} SKUs stored")


COMMANDS = (sales_history,)
