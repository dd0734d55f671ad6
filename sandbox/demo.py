"""`connector demo`: orders on both simulated stores, captured, marked and printed."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from connector.capture.reporting import list_backorders
from connector.logs import configure
from jobs.shops import reconcile, sync_marks
from sandbox.stack import LocalStack, start_stack

Echo = Callable[[str], None]
SOCKS = "shopify  1 x SOCKS-M (none in stock), cancelled later"


def run_demo(echo: Echo) -> int:
    configure("WARNING")
    logging.getLogger("connector").setLevel(logging.WARNING)
    started = time.monotonic()
    echo("Starting the sandbox (Shopify and WooCommerce simulators) and the connector on loopback...")
    # A Plus shop's API budget (1000 points/s): the simulator charges each query's requested cost and,
    # unlike Shopify, never refunds the unused part, so at a Standard rate the demo mostly waits for budget.
    with start_stack(shopify_restore_rate=1000.0) as stack:
        shop = next(iter(stack.sandbox.seed["shopify"]["shops"]))["domain"]
        store = stack.sandbox.seed["woocommerce"]["stores"][0]["store_url"]
        echo(f"  connector   {stack.url}  (embedded SQLite, in-process workers)")
        echo(f"  shopify     {stack.sandbox.shopify_url}  shop {shop}")
        echo(f"  woocommerce {stack.sandbox.woocommerce_url}  store {store}")
        _place_orders(stack, shop, store, echo)
        echo("Waiting for webhooks to be captured...")
        stack.wait_for_capture()
        echo("Running reconciliation (catches the webhook that was never delivered)...")
        for info in stack.shops.values():
            report = reconcile(info.id)
            sync_marks(info.id)
            echo(f"  {info.domain}: {report.seen} orders read, outcomes {report.outcomes}")
        stack.wait_for_capture()
        _print_results(stack, shop, store, echo)
        from sandbox import demo_supply

        demo_supply.run(stack, echo)  # supplier dates -> SKU dates -> both stores' product pages
        from sandbox import demo_notify

        demo_notify.run(stack, echo)  # customer messages, a cancel through the store, pile-up alerts
        from sandbox import demo_dropship

        demo_dropship.run(stack, echo)  # lines routed or not (why), ordered once, fulfilled with tracking
        from sandbox import demo_restock

        demo_restock.run(stack, echo)  # purchase order at the minimum, arrivals FCFS, paid on shipment, closed
        from sandbox import demo_install

        demo_install.run(stack, echo)  # a merchant installs on each platform
        echo(f"Done in {time.monotonic() - started:.1f}s.")
    return 0


def _place_orders(stack: LocalStack, shop: str, store: str, echo: Echo) -> None:
    shopify, woo = stack.sandbox.shopify, stack.sandbox.woocommerce
    echo("Placing orders:")
    def shopify_order(*lines: tuple[str, int], deliver: bool = True) -> Callable[[], Any]:
        return lambda: shopify.create_order(shop, [{"sku": sku, "quantity": qty} for sku, qty in lines],
                                            deliver_webhook=deliver)

    def woo_order(*lines: tuple[str, int]) -> Callable[[], Any]:
        return lambda: woo.create_order(store, [{"sku": sku, "quantity": qty} for sku, qty in lines])

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("shopify  2 x MUG-TRAIL (3 in stock)", shopify_order(("MUG-TRAIL", 2))),
        ("shopify  3 x MUG-TRAIL (1 left: 2 short)", shopify_order(("MUG-TRAIL", 3))),
        ("shopify  2 x LANTERN (1 in stock), webhook lost on the way", shopify_order(("LANTERN", 2), deliver=False)),
        (SOCKS, shopify_order(("SOCKS-M", 1))),
        ("shopify  1 x SOCKS-L + 1 x TENT-2P (in stock)", shopify_order(("SOCKS-L", 1), ("TENT-2P", 1))),
        ("woo      3 x TEA-SENCHA (2 in stock, 'notify': store writes Backordered meta)",
         woo_order(("TEA-SENCHA", 3))),
        ("woo      2 x HOOD-M (none in stock, 'yes': no meta, connector asks for stock)", woo_order(("HOOD-M", 2))),
        ("woo      1 x KETTLE + 1 x TEAPOT (in stock)", woo_order(("KETTLE", 1), ("TEAPOT", 1))),
    ]
    placed: dict[str, Any] = {}
    for label, action in steps:
        order = action()
        placed[label] = order
        echo(f"  {order.get('name') or '#' + str(order.get('number'))}  {label}")
    stack.wait_for_capture()
    socks = placed[SOCKS]
    shopify.cancel_order(shop, socks["id"])
    echo(f"  {socks['name']}  cancelled by the merchant")
    first = shopify.deliveries[1]
    shopify.redeliver(first.webhook_id)
    echo("  Shopify re-delivers one orders/create webhook (a duplicate)")


def _print_results(stack: LocalStack, shop: str, store: str, echo: Echo) -> None:
    from connector.cli import render_table

    rows: list[dict[str, Any]] = []
    for domain, info in stack.shops.items():
        for row in list_backorders(stack.container.uow(), info.id):
            rows.append({"platform": info.platform, **row, "marked in store": _mark(stack, info.platform, domain,
                                                                                      row["order_id"])})
    rows.sort(key=lambda row: (row["platform"], row["order_name"], row["line_id"]))
    echo("")
    echo("Backorders captured:")
    echo(render_table(rows, ["platform", "order_name", "sku", "quantity", "quantity_backordered", "status",
                             "marked in store"]))
    with stack.container.uow() as uow:
        counts = uow.events.count_by_status()
    echo("")
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    echo(f"Webhook inbox: {sum(counts.values())} events stored ({summary});"
         " the duplicate delivery was answered 200 and stored once.")


def _mark(stack: LocalStack, platform: str, domain: str, order_id: str) -> str:
    if platform == "shopify":
        tags = stack.sandbox.shopify.order(domain, order_id).get("tag_list", [])
        return "tag: " + ", ".join(tags) if tags else "-"
    order = stack.sandbox.woocommerce.order(domain, int(order_id))
    meta = {m["key"]: m["value"] for m in order.get("meta_data", [])}
    lines = json.loads(meta.get("_backorder_lines") or "[]")
    return f"note + _backorder_lines ({len(lines)} line)" if lines else "-"
