"""`connector dropship decisions|orders|alerts|run|place|ship|terms`: drop-ship routing by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import click

from connector.cli_support import _container, _fail_cleanly, render_table
from connector.domain.errors import InvalidPayload
from connector.dropship import fulfillment_service as _service_settings  # noqa: F401  (dropship.fulfillment_*)


@click.group()
def dropship() -> None:
    """Drop-ship routing: why each line was (not) drop-shipped, supplier orders, tracking."""


@dropship.command("decisions")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def decisions(shop_name: str, as_json: bool) -> None:
    """The last routing decision of every line, with its reasons."""
    from connector.dropship.routing import latest_decisions
    from connector.shops import resolve_shop

    c = _container()
    rows = latest_decisions(c.uow(), resolve_shop(c.uow(), shop_name).id)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(render_table(rows, ["backorder_id", "order", "sku", "action", "quantity_dropship",
                                   "quantity_wait", "summary"]))


@dropship.command("orders")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def orders(shop_name: str, as_json: bool) -> None:
    """Every drop-ship order of the shop and its state at the supplier."""
    from connector.dropship.place import list_orders
    from connector.shops import resolve_shop

    c = _container()
    rows = list_orders(c.uow(), resolve_shop(c.uow(), shop_name).id)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(render_table(rows, ["id", "reference", "sku", "quantity", "shipped", "status",
                                   "supplier_reference", "attempts", "last_error"]))


@dropship.command("alerts")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@_fail_cleanly
def alerts(shop_name: str) -> None:
    """Drop-ship alerts sent to the merchant (supplier refused or down, store refused a fulfillment)."""
    from connector.dropship.alerts import list_alerts
    from connector.shops import resolve_shop

    c = _container()
    click.echo(render_table(list_alerts(c.uow(), resolve_shop(c.uow(), shop_name).id),
                            ["id", "kind", "created", "sent", "message"]))


@dropship.command("run")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@_fail_cleanly
def run(shop_name: str) -> None:
    """Route the shop's open backorders, place due drop-ship orders and poll shipments, now."""
    from connector.dropship import work
    from connector.shops import resolve_shop

    c = _container()
    shop_id = resolve_shop(c.uow(), shop_name).id
    routed, due = work.route(c, c.store_fulfillment(shop_id), shop_id)
    placed = {order_id: work.place_order(c, order_id) for order_id in due}
    pushed = work.poll_shipments(c, c.store_fulfillment(shop_id), shop_id)
    click.echo(f"routed {routed} line(s) to drop-ship; placed: "
               f"{', '.join(f'{k}={v}' for k, v in placed.items()) or 'none'}; fulfillments pushed: {pushed}")


@dropship.command("place")
@click.argument("order_id", type=int)
@_fail_cleanly
def place(order_id: int) -> None:
    """Place (or resolve after a crash) one drop-ship order with its supplier; safe to rerun."""
    from connector.dropship import work

    click.echo(f"drop-ship order {order_id}: {work.place_order(_container(), order_id)}")


@dropship.command("ship")
@click.argument("order_id", type=int)
@click.option("--quantity", type=int, required=True)
@click.option("--carrier", required=True)
@click.option("--number", "tracking_number", required=True)
@click.option("--url", "tracking_url", default=None)
@_fail_cleanly
def ship(order_id: int, quantity: int, carrier: str, tracking_number: str, tracking_url: str | None) -> None:
    """Enter a parcel a supplier without an API reported (by email); pushed to the store on the next poll."""
    from connector.domain.routing import Tracking
    from connector.dropship.fulfillment import add_parcel

    c = _container()
    added = add_parcel(c.uow(), order_id, f"manual-{tracking_number}", quantity,
                       Tracking(carrier, tracking_number, tracking_url), datetime.now(UTC))
    click.echo(f"drop-ship order {order_id}: parcel {tracking_number} " + ("recorded" if added else "already known"))


@dropship.command("terms")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL the supplier belongs to.")
@click.option("--supplier", "supplier_id", type=int, required=True, help="Supplier id (connector suppliers list).")
@click.option("--sku", required=True)
@click.option("--dropship/--no-dropship", "offers", default=True, help="Whether the supplier drop-ships this SKU.")
@click.option("--cost", default=None, help="The supplier's unit cost for drop-ship.")
@_fail_cleanly
def terms(shop_name: str, supplier_id: int, sku: str, offers: bool, cost: str | None) -> None:
    """Set a supplier's drop-ship terms for one SKU by hand (when its feed does not carry them)."""
    from connector.dropship.terms import set_terms
    from connector.shops import resolve_shop

    unit_cost = None
    if cost is not None:
        try:
            unit_cost = Decimal(cost)
        except InvalidOperation:
            raise InvalidPayload(f"--cost must be a number, got {cost!r}") from None
    c = _container()
    set_terms(c.uow(), supplier_id, sku, shop_id=resolve_shop(c.uow(), shop_name).id, dropship=offers,
              unit_cost=unit_cost)
    click.echo(f"supplier {supplier_id} {sku}: drop-ship {'yes' if offers else 'no'}"
               + (f", unit cost {unit_cost}" if unit_cost is not None else ""))


@dropship.group("service")
def service() -> None:
    """Shopify fulfillment-service mode: the connector as a fulfillment service with its own location."""


@service.command("enable")
@click.option("--shop", "shop_name", required=True, help="Shopify shop domain.")
@_fail_cleanly
def service_enable(shop_name: str) -> None:
    """Register the fulfillment service (fulfillmentServiceCreate) and switch the mode on."""
    from connector.dropship import work
    from connector.shops import resolve_shop

    c = _container()
    info = resolve_shop(c.uow(), shop_name)
    if info.platform != "shopify":
        raise InvalidPayload("fulfillment-service mode exists on Shopify only")
    click.echo(f"{info.domain}: fulfillment service location {work.enable_service(c, info.id)}")


@service.command("answer")
@click.option("--shop", "shop_name", required=True, help="Shopify shop domain.")
@_fail_cleanly
def service_answer(shop_name: str) -> None:
    """Accept or reject the pending fulfillment and cancellation requests now."""
    from connector.dropship import work
    from connector.shops import resolve_shop

    c = _container()
    click.echo(f"answered {work.answer_requests(c, resolve_shop(c.uow(), shop_name).id)} request(s)")

COMMANDS = (dropship,)
