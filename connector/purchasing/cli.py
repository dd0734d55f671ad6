"""`connector purchase-orders list|show|propose|approve|send|cancel|receive|mark-sent|resend` and
`connector suppliers purchasing-terms` (attached to the suppliers group by connector/cli.py)."""

from __future__ import annotations

import json

import click

from connector.cli_support import _container, _fail_cleanly, render_table
from connector.domain.errors import InvalidPayload


@click.group("purchase-orders")
def purchase_orders() -> None:
    """Purchase orders: waiting backorders batched to the supplier's minimum, approved, sent, received."""


def _shop(c: object, shop_name: str) -> int:
    from connector.shops import resolve_shop

    return resolve_shop(c.uow(), shop_name).id  # type: ignore[attr-defined]


@purchase_orders.command("list")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--status", "statuses", multiple=True, help="Only orders in this status (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def list_command(shop_name: str, statuses: tuple[str, ...], as_json: bool) -> None:
    """Every purchase order of the shop."""
    from connector.purchasing.orders import list_orders

    c = _container()
    rows = list_orders(c.uow(), _shop(c, shop_name), statuses or None)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(render_table(rows, ["id", "supplier_id", "status", "trigger", "units", "value", "currency",
                                   "channel", "expected_date", "supplier_reference", "last_error"]))


@purchase_orders.command("show")
@click.argument("po_id", type=int)
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@_fail_cleanly
def show_command(po_id: int, shop_name: str) -> None:
    """One order: its lines, the backorders each covers, why it was proposed, its receipts (JSON)."""
    from connector.purchasing.orders import show_order

    c = _container()
    click.echo(json.dumps(show_order(c.uow(), _shop(c, shop_name), po_id), indent=2))


@purchase_orders.command("propose")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@_fail_cleanly
def propose_command(shop_name: str) -> None:
    """Batch the shop's waiting backorders into purchase orders now (what the hourly job does)."""
    from connector.purchasing import work

    c = _container()
    report = work.propose_orders(c, _shop(c, shop_name))
    click.echo(f"proposed: {', '.join(map(str, report.proposed)) or 'none'}; "
               f"approved at once: {', '.join(map(str, report.approved)) or 'none'}")
    for supplier, reasons in sorted(report.waiting.items()):
        click.echo(f"  {supplier}: waiting ({'; '.join(reasons)})")


@purchase_orders.command("approve")
@click.argument("po_id", type=int)
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--by", "approved_by", default="merchant (cli)", help="Who approves (recorded).")
@click.option("--send/--no-send", default=True, help="Send it to the supplier now (default).")
@_fail_cleanly
def approve_command(po_id: int, shop_name: str, approved_by: str, send: bool) -> None:
    """Approve a proposed order (and send it)."""
    from connector.purchasing import orders, work

    c = _container()
    status = orders.approve(c.uow(), _shop(c, shop_name), po_id, by=approved_by)
    if send and status == "approved":
        status = work.send_order(c, po_id)
    click.echo(f"purchase order {po_id}: {status}")


@purchase_orders.command("send")
@click.argument("po_id", type=int)
@_fail_cleanly
def send_command(po_id: int) -> None:
    """Send (or resolve after a crash) one approved order; safe to rerun."""
    from connector.purchasing import work

    click.echo(f"purchase order {po_id}: {work.send_order(_container(), po_id)}")


@purchase_orders.command("resend")
@click.argument("po_id", type=int)
@_fail_cleanly
def resend_command(po_id: int) -> None:
    """Send an e-mail order whose first send was interrupted again (same Message-ID)."""
    from connector.purchasing import work

    click.echo(f"purchase order {po_id}: {work.send_order(_container(), po_id, resend=True)}")


@purchase_orders.command("mark-sent")
@click.argument("po_id", type=int)
@click.option("--reference", default=None, help="The supplier's order number, if known.")
@_fail_cleanly
def mark_sent_command(po_id: int, reference: str | None) -> None:
    """Record that an e-mail order whose send was interrupted did reach the supplier."""
    from connector.purchasing.place import mark_sent

    click.echo(f"purchase order {po_id}: {mark_sent(_container().uow(), po_id, supplier_reference=reference).status}")


@purchase_orders.command("cancel")
@click.argument("po_id", type=int)
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@_fail_cleanly
def cancel_command(po_id: int, shop_name: str) -> None:
    """Cancel an order not yet sent; its backorders are free for the next proposal."""
    from connector.purchasing.orders import cancel

    c = _container()
    click.echo(f"purchase order {po_id}: {cancel(c.uow(), _shop(c, shop_name), po_id)}")


@purchase_orders.command("receive")
@click.argument("po_id", type=int)
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--sku", "items", multiple=True, required=True, metavar="SKU=UNITS",
              help="Units of a SKU received now (repeatable); partial receipts are fine.")
@_fail_cleanly
def receive_command(po_id: int, shop_name: str, items: tuple[str, ...]) -> None:
    """Record units received; they are allocated first come, first served to waiting backorders."""
    from connector.purchasing.orders import show_order
    from connector.purchasing.receive import record_receipt

    units: dict[str, int] = {}
    for item in items:
        sku, sep, count = item.rpartition("=")
        if not sep or not sku.strip() or not count.strip().isdigit():
            raise InvalidPayload(f"--sku must be SKU=UNITS with whole units, got {item!r}")
        units[sku.strip()] = units.get(sku.strip(), 0) + int(count)
    c = _container()
    show_order(c.uow(), _shop(c, shop_name), po_id)  # the shop's own order, or InvalidPayload
    report = record_receipt(c.uow(), po_id, units, source="merchant")
    click.echo(f"purchase order {po_id}: {report.status}; received "
               f"{', '.join(f'{k}={v}' for k, v in report.received.items()) or 'nothing'}; allocated "
               f"{', '.join(f'{k}={v}' for k, v in report.allocated.items()) or 'nothing'}")


@click.command("purchasing-terms")
@click.argument("supplier_id", type=int)
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL the supplier belongs to.")
@click.option("--moq", "min_order_quantity", type=int, default=None, help="Minimum order quantity per SKU line.")
@click.option("--case-pack", type=int, default=None, help="Units per case: lines are rounded up to whole cases.")
@click.option("--min-value", "min_order_value", default=None, help="Minimum order value per purchase order.")
@click.option("--currency", default=None, help="Three-letter currency of the costs and minimum value.")
@click.option("--lead-time", "lead_time_days", type=int, default=None, help="Days from order to delivery.")
@click.option("--channel", type=click.Choice(["api", "email"]), default=None)
@click.option("--url", default=None, help="The supplier's purchase-order API (channel api).")
@click.option("--email", default=None, help="Where purchase sheets go (channel email).")
@click.option("--format", "sheet_format", type=click.Choice(["csv", "pdf"]), default=None,
              help="Purchase sheet attached to the e-mail (channel email): csv or pdf.")
@click.option("--sku", default=None, help="Set --moq, --case-pack and --supplier-sku for this SKU only.")
@click.option("--supplier-sku", default=None, help="The supplier's code for --sku.")
@click.option("--clear", is_flag=True, help="Remove the terms: the supplier is no longer ordered from.")
@click.option("--receipt-feed", "receipt_source", default=None, metavar="SOURCE",
              help="Feed whose rows name our purchase orders and the units shipped (path or URL; 'supplier': the "
                   "supplier's own feed source). With --receipt-column.")
@click.option("--receipt-column", "receipt_columns", multiple=True, metavar="FIELD=COLUMN",
              help="Column of po_reference, received_quantity or sku in the receipt feed (repeatable).")
@_fail_cleanly
def purchasing_terms(supplier_id: int, shop_name: str, sku: str | None, supplier_sku: str | None, clear: bool,
                     receipt_source: str | None, receipt_columns: tuple[str, ...], **options: object) -> None:
    """Set a supplier's purchasing terms (minimums, case pack, lead time, how orders are sent)."""
    from connector.purchasing.terms import set_terms

    changes = {k: v for k, v in options.items() if v is not None}
    if receipt_source is not None or receipt_columns:
        columns = dict(item.partition("=")[::2] for item in receipt_columns)
        changes["receipt_feed"] = {"mapping": columns,
                                   **({"source": receipt_source} if receipt_source not in (None, "supplier") else {})}
    if sku is not None:
        changes = {k: v for k, v in changes.items() if k in ("min_order_quantity", "case_pack")}
        if supplier_sku is not None:
            changes["supplier_sku"] = supplier_sku
    c = _container()
    terms = set_terms(c.uow(), supplier_id, changes, shop_id=_shop(c, shop_name), sku=sku, clear=clear)
    click.echo(f"supplier {supplier_id}: " + ("no purchasing terms" if terms is None
                                              else json.dumps(terms.to_json(), sort_keys=True)))


COMMANDS = (purchase_orders,)
SUPPLIERS_COMMANDS = (purchasing_terms,)
"""Subcommands of `connector suppliers` (connector/supply/cli.py's group), attached by connector/cli.py."""
