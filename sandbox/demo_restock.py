"""Demo phase "Restock": the rest of a backorder's life (issue 13).

Several orders of one SKU wait below the supplier's minimum: no purchase order yet; more orders
arrive: one is placed at the supplier's minimum, rounded up to its case pack, exactly once, and its
date becomes the SKU's in-stock date. The supplier delivers a case: the connector reads it, sets the
units aside first come, first served (a priority-tagged order first) and releases those lines' holds;
the merchant counts the units into the store (inventory webhook) and nothing is set aside twice. An
order paid by an authorisation only is captured when it ships, for what shipped; the merchant ships
in parts; backorders close, the ``backorder`` tag comes off when nothing waits, time to fill is
recorded. A pre-order bought under the connector's selling plan gets the case pack's spare pair and
Shopify charges its balance at fulfillment. On WooCommerce, stock saved in the admin is set aside and
completing the order closes it.

``run`` returns a ``Story`` (ids and platform order ids) so tests/e2e/test_demo_restock.py can assert
the outcomes in the database and the simulators, not the printed text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connector import shop_settings
from connector.db.models import Backorder, Order, OrderLine
from connector.dropship.models import FulfillmentHoldRecord
from connector.dropship.terms import set_terms as set_unit_cost
from connector.payments.models import OrderPayment
from connector.purchasing import orders as purchase_orders
from connector.purchasing import work as purchasing
from connector.purchasing.terms import set_terms as set_purchasing_terms
from connector.restock.models import Allocation
from connector.supply.models import SkuEta
from connector.supply.suppliers import add_supplier, poll_supplier
from sandbox.serve import serve_in_thread
from sandbox.shopify_sim import ext_charges
from sandbox.shopify_sim.ext_inventory import set_inventory
from sandbox.shopify_sim.ext_merchant_fulfillment import fulfill, unfulfilled
from sandbox.shopify_sim.ext_selling_plans import place_preorder
from sandbox.stack import LocalStack
from sandbox.supplier_sim import SupplierSimulator
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN

Echo = Callable[[str], None]

SKU = "SOCKS-L"
"""Wool socks, size L (12.00 in the seed store): sold on backorder (policy CONTINUE)."""
WOO_SKU = "HOOD-L"
"""The tea hoodie in L on the WooCommerce store (backorders allowed, 3 in stock in the seed)."""
MOQ, CASE_PACK, LEAD_DAYS, UNIT_COST = 10, 6, 12, Decimal("4.00")
PRIORITY_TAG = "vip"
SUPPLIER = "sock-mill"
MERCHANT = "support@sandbox.example"
"""Where merchant alerts go (the sandbox SMTP sink), as in the notify phase."""


@dataclass
class Story:
    """What the phase did, for its test."""

    shop_id: int = 0
    woo_shop_id: int = 0
    supplier_id: int = 0
    desk: Any = None
    """The wholesaler's purchase-order desk (sandbox/supplier_sim/purchase_orders.py)."""
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Label (A, B, C, D, E: in the order they were placed) -> the Shopify order as the store made it."""
    waiting_reasons: list[str] = field(default_factory=list)
    """Why nothing was ordered while the SKU was below the minimum."""
    po_id: int = 0
    supplier_order: str = ""
    woo_order: dict[str, Any] = field(default_factory=dict)
    eta_after_order: str = ""
    """The SKU's in-stock date and its source once the purchase order was placed."""
    captured_before_shipping: int = 0
    """Captures the gateway received before anything shipped (must stay 0)."""


def run(stack: LocalStack, echo: Echo) -> Story:
    story = Story()
    echo("")
    echo("Restock: a purchase order at the supplier's minimum, stock arriving first come first served, "
         "payment taken on shipment")
    wholesaler = SupplierSimulator({"auth": {"type": "bearer", "token": SUPPLIER_TOKEN}, "po_lead_time_days": LEAD_DAYS,
                                    "items": [{"sku": SKU, "quantity": 0, "unit_cost": str(UNIT_COST)}]})
    server = serve_in_thread(wholesaler.app)  # the sock mill: sells by the case, ships in about two weeks
    story.desk = wholesaler.purchase_orders
    try:
        _shopify(stack, echo, story, server.url)
        _woocommerce(stack, echo, story)
        _summary(stack, echo, story)
    finally:
        server.stop()
    return story


# -- Shopify: ordered, received, allocated, paid on shipment, closed ------------------------------------------------


def _shopify(stack: LocalStack, echo: Echo, story: Story, url: str) -> None:
    c, sim = stack.container, stack.sandbox.shopify
    info = next(i for i in stack.shops.values() if i.platform == "shopify")
    story.shop_id = info.id
    for key, value in {"restock.priority_tags": [PRIORITY_TAG], "payments.enabled": True, "dropship.enabled": True,
                       "alerts.email": MERCHANT}.items():  # drop-ship on: lines that wait are held in the store
        shop_settings.set_setting(c.uow(), info.id, key, value)
    story.supplier_id = add_supplier(c.uow(), c.box, info.id, {
        "name": SUPPLIER, "kind": "http_json",
        "settings": {"url": f"{url}/api/all", "auth": {"type": "bearer"}, "mapping": {"unit_cost": "unit_cost"}},
        "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
    poll_supplier(c.uow(), c.box, story.supplier_id, clients=c.supplier_client)
    set_purchasing_terms(c.uow(), story.supplier_id, shop_id=info.id, changes={
        "channel": "api", "url": f"{url}/api/purchase-orders", "currency": "USD", "lead_time_days": LEAD_DAYS,
        "min_order_quantity": MOQ, "case_pack": CASE_PACK})
    set_unit_cost(c.uow(), story.supplier_id, SKU, shop_id=info.id, dropship=False, unit_cost=UNIT_COST)
    echo(f"  supplier {SUPPLIER} at {url}: {SKU} at {UNIT_COST} a pair, minimum order {MOQ}, case pack {CASE_PACK}, "
         f"lead time {LEAD_DAYS} days (purchase orders over its API)")
    echo(f"  shop settings: purchasing.mode approval, restock.priority_tags ['{PRIORITY_TAG}'], payments.enabled")
    for earlier in _unshipped(sim, info.domain):  # an order from before (in stock) leaves the shelf first
        fulfill(sim, info.domain, earlier)
        echo(f"  the warehouse ships {sim.order(info.domain, earlier)['name']}, an earlier {SKU} order it had in stock")
    set_inventory(sim, info.domain, SKU, available=0)  # the last pairs sold at a market: the store counts 0
    stack.wait_for_capture()
    ext_charges.allow_multi_capture(sim, info.domain)  # Shopify Plus: an authorisation may be captured in parts
    _order_to_the_minimum(stack, echo, story, info)
    _receive(stack, echo, story, info)
    _ship(stack, echo, story, info)


def _order_to_the_minimum(stack: LocalStack, echo: Echo, story: Story, info: Any) -> None:
    from jobs.dropship import route_dropship
    from jobs.selling_plans import sync_selling_plans
    from jobs.supply import sync_catalog

    c, sim = stack.container, stack.sandbox.shopify

    def place(label: str, quantity: int, note: str, *, authorised: bool = False, tags: tuple[str, ...] = ()) -> None:
        order = sim.create_order(info.domain, [{"sku": SKU, "quantity": quantity}], tags=tags,
                                 financial_status="authorized" if authorised else "paid")
        if authorised:  # the checkout only authorised the card (Shopify Payments: 7 days to capture)
            ext_charges.authorize(sim, info.domain, order["id"])
        story.orders[label] = order
        echo(f"  {order['name']}  ordered {_clock(order['created_at'])}  {quantity} x {SKU}  {note}")

    echo(f"Orders for {SKU} (none in stock, sold on backorder):")
    place("A", 2, "card authorised only: captured when it ships", authorised=True)
    place("B", 2, "paid at checkout")
    stack.wait_for_capture()
    report = _quietly(purchasing.propose_orders, c, info.id)
    story.waiting_reasons = report.waiting.get(SUPPLIER, [])
    echo(f"  purchasing run: no purchase order yet, {_waiting_text(stack, info.id)} "
         f"({story.waiting_reasons[0] if story.waiting_reasons else 'no reason given'})")
    place("C", 3, "paid at checkout")
    place("D", 3, f"paid at checkout, tagged {PRIORITY_TAG.upper()}", tags=("wholesale", PRIORITY_TAG.upper()))
    stack.wait_for_capture()
    route_dropship(info.id)  # nobody drop-ships socks: the lines wait, held INVENTORY_OUT_OF_STOCK in Shopify
    stack.wait_for_capture()
    echo(f"  drop-ship routing: nobody drop-ships {SKU}; {_held(stack, info.id)} waiting lines held "
         f"INVENTORY_OUT_OF_STOCK in Shopify")

    report = _quietly(purchasing.propose_orders, c, info.id)
    [story.po_id] = report.proposed
    detail = purchase_orders.show_order(c.uow(), info.id, story.po_id)
    [line] = detail["lines"]
    echo(f"  purchasing run: {_waiting_text(stack, info.id)}: purchase order {story.po_id} proposed "
         f"({detail['trigger']}): {line['ordered']} x {SKU}, the minimum {MOQ} rounded up to cases of {CASE_PACK}, "
         f"worth {detail['value']} {detail['currency']}, covering "
         + ", ".join(sorted(f"{_name(stack, b['backorder_id'])} ({b['units']})" for b in line["backorders"])))
    subjects = [m.message["Subject"] for m in stack.sandbox.smtp.to(MERCHANT)
                if str(m.message["Subject"]).startswith("A purchase order")]
    echo(f"  the merchant gets an e-mail ({subjects[-1] if subjects else 'not sent'!r}) and approves: "
         f"connector purchase-orders approve {story.po_id} --shop {info.domain}")
    purchase_orders.approve(c.uow(), info.id, story.po_id, by="merchant (demo)")
    status = purchasing.send_order(c, story.po_id)
    purchasing.send_order(c, story.po_id)  # the send job run again (a retry, a second worker): already placed
    again = purchasing.propose_orders(c, info.id)
    [placed] = purchase_orders.list_orders(c.uow(), info.id)
    story.supplier_order = str(placed["supplier_reference"])
    echo(f"  sent over the supplier's API with an idempotency key: {status} as {story.supplier_order}, expected "
         f"{placed['expected_date']}; the supplier got {len(story.desk.orders)} order from "
         f"{len(story.desk.posts)} call(s); the next run proposes {len(again.proposed)} more")
    stack.wait_for_capture()
    sync_catalog(info.id)  # the supply job's catalogue read (the store now counts -10) and the dates after it
    stack.wait_for_capture()
    story.eta_after_order = _eta(stack, info.id)
    echo(f"  {SKU}'s in-stock date is now {story.eta_after_order}; its waiting backorders expect "
         f"{', '.join(sorted({str(r['expected']) for r in _rows(stack, info.id, SKU)}))}")

    shop_settings.set_setting(c.uow(), info.id, "payments.route", "selling_plan")  # deposit 0%, rest on fulfillment
    report = sync_selling_plans(info.id)
    echo(f"  pre-order purchase option for variants sold on backorder (payments.route selling_plan): {report}")
    order = place_preorder(sim, info.domain, [{"sku": SKU, "quantity": 1}])
    story.orders["E"] = order
    stack.wait_for_capture()
    echo(f"  {order['name']}  ordered {_clock(order['created_at'])}  1 x {SKU}  bought under the plan: nothing "
         f"charged at checkout, the balance on a vaulted card due when it ships (not in the purchase order: it came "
         f"after)")


def _receive(stack: LocalStack, echo: Echo, story: Story, info: Any) -> None:
    from jobs.payments import collect_payments
    from jobs.restock import release_allocated_holds

    c, sim = stack.container, stack.sandbox.shopify
    echo("")
    story.desk.deliver(story.supplier_order, {SKU: CASE_PACK})  # the first case leaves the mill
    received = purchasing.poll_receipts(c, info.id)
    echo(f"The supplier delivers the first case; the connector reads the purchase order at the supplier: received "
         f"{received.get(story.po_id, {}).get(SKU, 0)} x {SKU}")
    _allocations(stack, info.id, echo)
    released = release_allocated_holds(info.id)
    echo(f"  holds released on the {released} lines that got their units (ready to ship); "
         f"{_held(stack, info.id)} still held")
    set_inventory(sim, info.domain, SKU, delta=CASE_PACK)  # the merchant counts the case into Shopify
    stack.wait_for_capture()
    echo(f"  the merchant counts the case into Shopify (inventory_levels/update reaches the connector): "
         f"{_allocated_units(stack, info.id)} units set aside in all, none twice")
    outcome = collect_payments(info.id)
    story.captured_before_shipping = len(_captures(stack, info.domain, story.orders["A"]))
    echo(f"  payment pass: {outcome}; captured on {story.orders['A']['name']}: "
         f"{story.captured_before_shipping} (nothing has shipped)")


def _ship(stack: LocalStack, echo: Echo, story: Story, info: Any) -> None:
    from jobs.payments import collect_payments
    from jobs.restock import release_allocated_holds

    c, sim = stack.container, stack.sandbox.shopify

    def ship(label: str, units: int | None, tracking: str) -> None:
        order = story.orders[label]
        fulfill(sim, info.domain, order["id"], None if units is None else {order["line_items"][0]["id"]: units},
                tracking_number=tracking)
        stack.wait_for_capture()
        collect_payments(info.id)  # what the job does 20 s after the shipment webhook

    echo("")
    a = story.orders["A"]
    echo("The merchant ships from the warehouse (fulfillments/create, orders/partially_fulfilled, orders/fulfilled):")
    ship("A", 1, "9400100000000000000001")
    echo(f"  {a['name']} 1 of 2 pairs: {_order_state(stack, info, a)}")
    ship("A", 1, "9400100000000000000002")
    echo(f"  {a['name']} the other pair: {_order_state(stack, info, a)}")
    ship("D", None, "9400100000000000000003")
    echo(f"  {story.orders['D']['name']} all 3: {_order_state(stack, info, story.orders['D'])}")

    story.desk.deliver(story.supplier_order)  # the second case
    received = purchasing.poll_receipts(c, info.id)
    echo(f"The second case arrives: received {received.get(story.po_id, {}).get(SKU, 0)} x {SKU}")
    _allocations(stack, info.id, echo)
    release_allocated_holds(info.id)
    set_inventory(sim, info.domain, SKU, delta=CASE_PACK)
    stack.wait_for_capture()
    for label, tracking in (("B", "9400100000000000000004"), ("C", "9400100000000000000005")):
        ship(label, None, tracking)
        echo(f"  {story.orders[label]['name']} shipped: {_order_state(stack, info, story.orders[label])}")
    e = story.orders["E"]
    fulfill(sim, info.domain, e["id"], tracking_number="9400100000000000000006")
    charged = ext_charges.charge_on_fulfillment(sim, info.domain, e["id"])  # Shopify charges the vaulted card
    stack.wait_for_capture()
    collect_payments(info.id)
    echo(f"  {e['name']} shipped (the case pack's spare pair), Shopify charges the balance at fulfillment "
         f"({charged}): {_order_state(stack, info, e)}")


# -- WooCommerce: stock saved in the admin, order completed ---------------------------------------------------------


def _woocommerce(stack: LocalStack, echo: Echo, story: Story) -> None:
    sim = stack.sandbox.woocommerce
    info = next(i for i in stack.shops.values() if i.platform == "woocommerce")
    story.woo_shop_id = info.id
    echo("")
    order = sim.create_order(info.domain, [{"sku": WOO_SKU, "quantity": 5}])
    echo(f"WooCommerce: #{order['number']} 5 x {WOO_SKU} with 3 in stock")
    story.woo_order = order
    stack.wait_for_capture()
    echo(f"  backorder {_rows(stack, info.id, WOO_SKU)[0]['status']}; {_woo_mark(stack, info.domain, order['id'])}")
    product = sim.update_stock(info.domain, WOO_SKU, 0)  # two received: -2 -> 0, saved in wp-admin
    stack.wait_for_capture()
    echo(f"  the merchant saves stock 0 (two received; product.updated for product {product['id']}): backorder "
         f"{_rows(stack, info.id, WOO_SKU)[0]['status']}")
    sim.update_order(info.domain, order["id"], {"status": "completed"})
    stack.wait_for_capture()
    row = _rows(stack, info.id, WOO_SKU)[0]
    echo(f"  the merchant completes #{order['number']}: backorder {row['status']} via {row['via']}; "
         f"{_woo_mark(stack, info.domain, order['id'])}")


# -- reading what happened ----------------------------------------------------------------------------------------


def _rows(stack: LocalStack, shop_id: int, sku: str | None = None) -> list[dict[str, Any]]:
    with stack.container.uow() as uow:
        query = (select(Order.name, Order.platform_order_id, Order.tags, Order.ordered_at, Backorder.id, Backorder.sku,
                        Backorder.quantity_backordered, Backorder.quantity_allocated, Backorder.quantity_shipped,
                        Backorder.status, Backorder.fulfilled_via, Backorder.created_at, Backorder.closed_at,
                        Backorder.expected_date)
                 .join(OrderLine, OrderLine.id == Backorder.order_line_id).join(Order, Order.id == OrderLine.order_id)
                 .where(Backorder.shop_id == shop_id).order_by(Order.ordered_at, Backorder.id))
        if sku is not None:
            query = query.where(Backorder.sku == sku)
        return [{"order": name, "order_id": order_id, "tags": tags or "", "ordered_at": ordered_at, "id": bid,
                 "sku": bsku, "units": short, "allocated": allocated or 0, "shipped": shipped or 0, "status": status,
                 "via": via, "created_at": created, "closed_at": closed, "expected": expected}
                for (name, order_id, tags, ordered_at, bid, bsku, short, allocated, shipped, status, via, created,
                     closed, expected) in uow.session.execute(query)]  # type: ignore[union-attr]


def _name(stack: LocalStack, backorder_id: int) -> str:
    with stack.container.uow() as uow:
        return str(uow.session.scalar(select(Order.name).join(OrderLine, OrderLine.order_id == Order.id)  # type: ignore[union-attr]
                                      .join(Backorder, Backorder.order_line_id == OrderLine.id)
                                      .where(Backorder.id == backorder_id)))


def _waiting_text(stack: LocalStack, shop_id: int) -> str:
    waiting = sum(r["units"] - r["allocated"] - r["shipped"] for r in _rows(stack, shop_id, SKU)
                  if r["status"] in ("open", "allocated"))
    return f"waiting: {waiting} of {MOQ} units"


def _held(stack: LocalStack, shop_id: int) -> int:
    with stack.container.uow() as uow:
        return len(list(uow.session.scalars(select(FulfillmentHoldRecord.id).join(  # type: ignore[union-attr]
            Backorder, Backorder.id == FulfillmentHoldRecord.backorder_id).where(
            FulfillmentHoldRecord.shop_id == shop_id, FulfillmentHoldRecord.status == "held", Backorder.sku == SKU))))


def _eta(stack: LocalStack, shop_id: int) -> str:
    with stack.container.uow() as uow:
        eta = uow.session.scalar(select(SkuEta).where(SkuEta.shop_id == shop_id, SkuEta.sku == SKU))  # type: ignore[union-attr]
        return "-" if eta is None else f"{eta.expected_date} (source {eta.source})"


def _allocated_units(stack: LocalStack, shop_id: int) -> int:
    with stack.container.uow() as uow:
        return sum(uow.session.scalars(select(Allocation.quantity).where(Allocation.shop_id == shop_id)))  # type: ignore[union-attr]


def _allocations(stack: LocalStack, shop_id: int, echo: Echo) -> None:
    from connector.cli import render_table

    with stack.container.uow() as uow:
        given: dict[int, list[str]] = {}
        for allocation in uow.session.scalars(select(Allocation).where(  # type: ignore[union-attr]
                Allocation.shop_id == shop_id).order_by(Allocation.id)):
            given.setdefault(allocation.backorder_id, []).append(f"{allocation.quantity} ({allocation.source})")
    found = _rows(stack, shop_id, SKU)
    found.sort(key=lambda r: (PRIORITY_TAG not in _tags(r["tags"]), r["ordered_at"], int(r["order_id"])))
    found = [r for r in found if r["id"] in given or r["status"] in ("open", "allocated")]
    rows = [{"order": r["order"], "ordered": _clock(r["ordered_at"]), "tags": ", ".join(_tags(r["tags"])) or "-",
             "short": r["units"], "set aside": " + ".join(given.get(r["id"], [])) or "-", "status": r["status"],
             "expected": r["expected"]} for r in found]
    echo("  set aside first come, first served (the priority tag first, then order time and number), "
         "expected date today:")
    echo(render_table(rows, ["order", "tags", "ordered", "short", "set aside", "status", "expected"]))


def _unshipped(sim: Any, domain: str) -> list[int]:
    """Ids of the shop's open orders with units of the SKU still to ship."""
    shop = sim.shop(domain)
    return [order.id for order in list(shop.orders.values()) if order.cancelled_at is None
            and any(line.variant.sku == SKU and left for line in order.lines
                    for line_id, left in unfulfilled(shop, order).items() if line_id == line.id)]


def _captures(stack: LocalStack, domain: str, order: dict[str, Any]) -> list[str]:
    """Amounts the simulated gateway captured or charged on the order, in order."""
    return [c["amount"] for c in ext_charges.charges(stack.sandbox.shopify, domain)["captures"]
            if str(c["order"]) == str(order["id"])]


def _order_state(stack: LocalStack, info: Any, order: dict[str, Any]) -> str:
    [row] = [r for r in _rows(stack, info.id, SKU) if r["order_id"] == str(order["id"])]
    tags = stack.sandbox.shopify.order(info.domain, order["id"]).get("tag_list", [])
    filled = "" if row["closed_at"] is None else f" via {row['via']}, time to fill {_duration(row)}"
    paid = order.get("financial_status") == "paid"
    verb = "captured" if order.get("financial_status") == "authorized" else "charged"
    money = "paid at checkout" if paid else f"{verb} {' + '.join(_captures(stack, info.domain, order)) or 'nothing'}"
    return (f"backorder {row['status']} ({row['shipped']}/{row['units']} shipped){filled}; store tags "
            f"{', '.join(tags) or '(none)'}; {money}")


def _duration(row: dict[str, Any]) -> str:
    """Time to fill: closed - created (the backorder's own times), '-' while it waits."""
    if row["closed_at"] is None:
        return "-"
    seconds = int((row["closed_at"] - row["created_at"]).total_seconds())
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m {seconds % 60:02d}s"


def _woo_mark(stack: LocalStack, domain: str, order_id: int) -> str:
    order = stack.sandbox.woocommerce.order(domain, int(order_id))
    meta = {m["key"]: m["value"] for m in order.get("meta_data", [])}
    lines = json.loads(meta.get("_backorder_lines") or "[]")
    notes = order.get("notes", [])
    last = str(notes[-1].get("note", "")) if notes else ""
    return (f"store status {order['status']}, _backorder_lines meta {len(lines)} line(s), latest note "
            f"'{last[:90]}'")


def _summary(stack: LocalStack, echo: Echo, story: Story) -> None:
    from connector.cli import render_table

    domain = next(d for d, i in stack.shops.items() if i.id == story.shop_id)
    with stack.container.uow() as uow:
        payments = {str(order_id): (route, state) for order_id, route, state in uow.session.execute(  # type: ignore[union-attr]
            select(Order.platform_order_id, OrderPayment.route, OrderPayment.state)
            .join(OrderPayment, OrderPayment.order_id == Order.id))}
    rows = []
    for shop_id, sku in ((story.shop_id, SKU), (story.woo_shop_id, WOO_SKU)):
        for r in _rows(stack, shop_id, sku):
            charged = " + ".join(_captures(stack, domain, {"id": r["order_id"]})) if shop_id == story.shop_id else ""
            route, state = payments.get(r["order_id"], ("", ""))
            rows.append({"order": r["order"], "sku": r["sku"], "units": r["units"], "status": r["status"],
                         "filled via": r["via"] or "-", "time to fill": _duration(r),
                         "charged": f"{charged} ({state})" if charged else
                         "paid at checkout" if route == "paid_at_checkout" else "-"})
    echo("")
    echo("Backorders of this story at the end (time to fill = closed - created):")
    echo(render_table(rows, ["order", "sku", "units", "status", "filled via", "time to fill", "charged"]))


def _quietly(call: Callable[..., Any], *args: Any) -> Any:
    """Run ``call`` without the merchant-alert log line (the demo tells the alert in its own words)."""
    logger = logging.getLogger("connector.dropship.place")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return call(*args)
    finally:
        logger.setLevel(level)


def _clock(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment.strftime("%H:%M:%S")


def _tags(stored: str) -> list[str]:
    """The order's store tags as the connector stored them, less its own mark."""
    return [t for t in (part.strip().lower() for part in stored.split(",")) if t and t != "backorder"]
