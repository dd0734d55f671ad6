"""Demo phase "Drop-ship": backordered lines routed by the merchant's rules, one not routed (with
its reason), the supplier's order placed once, shipped with tracking, fulfilled in Shopify, and a
waiting line held INVENTORY_OUT_OF_STOCK."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from connector import shop_settings
from connector.db.models import Backorder
from connector.dropship.models import FulfillmentHoldRecord
from connector.dropship.place import list_orders
from connector.dropship.routing import latest_decisions
from connector.supply.suppliers import add_supplier, poll_supplier
from sandbox.serve import serve_in_thread
from sandbox.shopify_sim.ext_fulfillment import fulfillments
from sandbox.stack import LocalStack
from sandbox.supplier_sim import SupplierSimulator
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN

Echo = Callable[[str], None]
DESK_ITEMS = [{"sku": "SOCKS-M", "quantity": 25, "dropship": True, "unit_cost": "1.00"},
              {"sku": "LANTERN", "quantity": 5, "dropship": True, "unit_cost": "33.00"},
              {"sku": "MUG-TRAIL", "quantity": 40, "dropship": False, "unit_cost": "6.00"}]
"""The desk's catalogue with its drop-ship terms: socks (sold at 12.00) leave a good margin, the
lantern (sold at 39.00) too little after the fee, mugs are not drop-shipped."""


def run(stack: LocalStack, echo: Echo) -> None:
    domain = stack.sandbox.seed["shopify"]["shops"][0]["domain"]
    info = stack.shops[domain]
    echo("")
    echo("Drop-ship: the supplier's drop-ship desk ships backordered lines straight to the customer")
    desk = SupplierSimulator({"auth": {"type": "bearer", "token": SUPPLIER_TOKEN}, "items": DESK_ITEMS,
                              "dropship_ship_delay": 0.5})
    server = serve_in_thread(desk.app)  # a separate warehouse, a week away from the store's shelves
    try:
        _run(stack, echo, info, desk, server.url)
    finally:
        server.stop()


def _run(stack: LocalStack, echo: Echo, info: Any, desk: SupplierSimulator, url: str) -> None:
    from connector.cli import render_table
    from jobs.dropship import poll_shipments, route_dropship

    c = stack.container
    sim = stack.sandbox
    domain = info.domain
    supplier_id = add_supplier(c.uow(), c.box, info.id, {
        "name": "dropship-desk", "kind": "http_json", "handling_days": 2, "transit_days": 5,
        "settings": {"url": f"{url}/api/all", "auth": {"type": "bearer"},
                     "mapping": {"dropship": "dropship", "unit_cost": "unit_cost"},
                     "dropship": {"mode": "api", "url": f"{url}/api/dropship/orders"}},
        "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
    report = poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
    echo(f"  drop-ship desk at {url}: poll {report.status}, {report.rows_total} SKUs with drop-ship flag and cost")
    rules = {"dropship.enabled": True, "dropship.max_wait_days": 3, "dropship.min_margin_percent": 15,
             "dropship.served_countries": ["US", "CA"], "dropship.fee": 2}
    for key, value in rules.items():
        shop_settings.set_setting(c.uow(), info.id, key, value)
    echo("  rules: " + ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in rules.items()))
    order = sim.shopify.create_order(domain, [{"sku": "SOCKS-M", "quantity": 2}])
    echo(f"  {order['name']}  shopify  2 x SOCKS-M (none in stock) to Louisville, US")
    lantern = sim.shopify.create_order(domain, [{"sku": "LANTERN", "quantity": 1}])
    echo(f"  {lantern['name']}  shopify  1 x LANTERN (none left) to Louisville, US")
    stack.wait_for_capture()

    routed = route_dropship(info.id)
    c.queue.wait_idle(10)
    echo(f"  routing: {routed} line(s) to drop-ship; every open backorder got a decision with its reasons:")
    rows = [{**d, "summary": _short(d["summary"])} for d in latest_decisions(c.uow(), info.id)]
    echo(render_table(rows, ["order", "sku", "action", "quantity_dropship", "quantity_wait", "summary"]))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not _fulfilled(stack, info.id):
        poll_shipments(info.id)
        time.sleep(0.3)
    echo("  supplier orders (placed once per idempotency key):")
    echo(render_table(list_orders(c.uow(), info.id), ["reference", "sku", "quantity", "shipped", "status",
                                                      "supplier_reference"]))
    made = fulfillments(sim.shopify.shop(domain), int(order["id"]))
    echo(f"  the desk received {len(desk.dropship.posts)} order call(s) for {len(desk.dropship.orders)} order(s)")
    for fulfillment in made:
        tracking = fulfillment["trackingInfo"][0]
        echo(f"  {order['name']} fulfilled in Shopify: {fulfillment['totalQuantity']} unit(s), "
             f"{tracking['company']} {tracking['number']} {tracking['url']}")
    with c.uow() as uow:
        holds = [h.hold_id or "-" for h in uow.session.scalars(select(FulfillmentHoldRecord).where(  # type: ignore[union-attr]
            FulfillmentHoldRecord.shop_id == info.id, FulfillmentHoldRecord.status == "held"))]
    echo(f"  {len(holds)} waiting line(s) held INVENTORY_OUT_OF_STOCK in Shopify (hold ids kept: "
         f"{', '.join(holds[:3])}{' ...' if len(holds) > 3 else ''})")
    filled = _fulfilled(stack, info.id)
    echo(f"  backorder of {order['name']}: " + (f"fulfilled at {filled}" if filled else "not fulfilled yet"))


def _fulfilled(stack: LocalStack, shop_id: int) -> Any:
    with stack.container.uow() as uow:
        return uow.session.scalar(select(Backorder.closed_at).where(  # type: ignore[union-attr]
            Backorder.shop_id == shop_id, Backorder.status == "fulfilled"))


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
