"""Demo phase "Tell": customer messages and pile-up alerts, delivered to the sandbox's SMTP sink.

Runs after the know-when phase, on the dates it wrote: capture notices (or silence inside the
grace period), an apology with a consolation code after a supplier slip, an FTC delay notice whose
signed cancel link the customer follows (the store cancels and refunds), once-only on rerun, and a
pile-up alert. Prints the messages sent and those deliberately not sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select

from connector import shop_settings
from connector.db.models import Backorder
from connector.notify.log import list_messages
from connector.notify.models import DelayDecision
from connector.supply.models import Supplier
from jobs.notify import check_pileups, evaluate_backorders
from sandbox.stack import LocalStack

Echo = Callable[[str], None]
SLIP_SKU = "MUG-TRAIL"


def run(stack: LocalStack, echo: Echo) -> None:
    from connector.cli import render_table

    sink = stack.sandbox.smtp
    echo("")
    echo(f"Tell: customer messages by email through the sandbox SMTP sink at {sink.host}:{sink.port}")
    for info in stack.shops.values():
        name = "Trail Outfitters" if info.platform == "shopify" else "Tea Corner"
        for key, value in (("notify.sender_name", name), ("notify.sender_email", "orders@sandbox.example"),
                           ("notify.support_email", "help@sandbox.example"),
                           ("notify.consolation", {"min_slip_days": 10, "type": "percentage", "amount": 10,
                                                   "valid_days": 90}),
                           ("notify.delay_policy", "cancel_and_refund"),
                           ("alerts.thresholds", {"count": None, "age_days": None, "value": 60}),
                           ("alerts.email", "support@sandbox.example")):
            shop_settings.set_setting(stack.container.uow(), info.id, key, value)
        _ensure_dates(stack, info.id)
    echo("  merchant settings: grace 7 days, shipping promise 30 days, 10% code for slips of 10+ days, "
         "unanswered delays cancelled and refunded")
    for info in stack.shops.values():
        report = evaluate_backorders(info.id)
        echo(f"  {info.domain}: decided {report.describe()}; {report.sent} emails sent")

    echo("")
    _slip(stack, echo)
    for info in stack.shops.values():
        report = evaluate_backorders(info.id)
        echo(f"  {info.domain}: decided {report.describe()}; {report.sent} emails sent")

    echo("")
    _customer_cancels(stack, echo)

    echo("")
    echo("Running the evaluation again on both shops (a rerun, as a duplicate event or a crash would cause):")
    before = len(sink.messages)
    for info in stack.shops.values():
        evaluate_backorders(info.id)
    echo(f"  {len(sink.messages) - before} new emails: each (backorder, kind, date) is sent once")

    for info in stack.shops.values():
        alerts = check_pileups(info.id)
        for sku, threshold in alerts.crossed:
            echo(f"  pile-up alert for {info.domain}: {sku} crossed the {threshold} threshold (emailed once)")

    rows: list[dict[str, Any]] = []
    for info in stack.shops.values():
        for row in list_messages(stack.container.uow(), info.id):
            rows.append({"platform": info.platform, **row,
                         "status": "NOT SENT (grace)" if row["status"] == "suppressed" else row["status"],
                         "code": row["discount_code"] or ""})
    echo("")
    echo("Message log (connector messages --shop S):")
    echo(render_table(rows, ["platform", "order_name", "kind", "date", "recipient", "status", "code"]))
    echo("")
    echo("SMTP sink inbox:")
    echo(render_table([{"to": ", ".join(m.recipients), "subject": m.subject} for m in sink.messages],
                      ["to", "subject"]))


def _ensure_dates(stack: LocalStack, shop_id: int) -> None:
    """Backorders without a date from the know-when phase get one, so every kind of message shows."""
    today = datetime.now(UTC).date()
    with stack.container.uow() as uow:
        for index, backorder in enumerate(uow.backorders.list(shop_id, ["open"])):
            if backorder.expected_date is None:
                backorder.expected_date = today + timedelta(days=(3, 20, 45)[index % 3])
                backorder.dates_updated_at = datetime.now(UTC)
        uow.commit()


def _slip(stack: LocalStack, echo: Echo) -> None:
    """The supplier pushes SLIP_SKU back three weeks; the know-when side picks it up."""
    from connector.supply.dates import refresh_dates
    from connector.supply.suppliers import poll_supplier

    later = datetime.now(UTC).date() + timedelta(days=21)
    echo(f"The supplier slips {SLIP_SKU}: restock now {later.isoformat()} (changed at the supplier while it runs)")
    requests.post(f"{stack.sandbox.supplier_url}/control/stock",
                  json={"items": [{"sku": SLIP_SKU, "quantity": 0, "restock_date": later.isoformat()}]}, timeout=5)
    c = stack.container
    for info in stack.shops.values():
        with c.uow() as uow:
            supplier_ids = list(uow.session.scalars(select(Supplier.id).where(  # type: ignore[union-attr]
                Supplier.shop_id == info.id)))
        for supplier_id in supplier_ids:
            poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
        refresh_dates(c.uow(), info.id)


def _customer_cancels(stack: LocalStack, echo: Echo) -> None:
    """The customer of the first delay notice follows its signed cancel link and confirms."""
    notice = next((m for m in stack.sandbox.smtp.messages if "please choose" in m.subject), None)
    if notice is None:
        echo("No delay notice was due, so no customer link to follow.")
        return
    link = re.search(r"(http://\S+/orders/\S+/cancel)", notice.part("plain"))
    assert link is not None, "a delay notice always carries its cancel link"
    echo(f"The customer opens the cancel link of '{notice.subject}':")
    page = requests.get(link.group(1), timeout=5)
    echo(f"  GET  -> {page.status_code}, a confirmation page (nothing changes on a GET)")
    done = requests.post(link.group(1), timeout=5)
    echo(f"  POST -> {done.status_code}, answer recorded; the connector cancels through the store")
    stack.container.queue.wait_idle(20)
    again = requests.post(link.group(1), timeout=5)
    echo(f"  POST again -> {again.status_code} (links are single use)")
    with stack.container.uow() as uow:
        decided = uow.session.scalars(select(DelayDecision).where(  # type: ignore[union-attr]
            DelayDecision.outcome.startswith("cancelled")))
        for decision in decided:
            backorder = uow.session.get(Backorder, decision.backorder_id)  # type: ignore[union-attr]
            assert backorder is not None
            order, line = backorder.line.order, backorder.line
            shop = uow.shops.get(order.shop_id)
            assert shop is not None
            if shop.platform == "shopify":
                from sandbox.shopify_sim.ext_payments import money

                state = stack.sandbox.shopify.order(shop.domain, order.platform_order_id)
                left = {str(item["id"]): item["current_quantity"] for item in state["line_items"]}
                refunds = money(stack.sandbox.shopify, shop.domain, order.platform_order_id)["refunds"]
                seen = (f"cancelled_at={state.get('cancelled_at')}; line {line.sku}: {line.quantity} ordered, "
                        f"{left.get(line.platform_line_id)} left; refunds={[r['amount'] for r in refunds]}, "
                        f"financial_status={state.get('financial_status')}")
            else:
                state = stack.sandbox.woocommerce.order(shop.domain, int(order.platform_order_id))
                seen = f"status={state.get('status')}, refunds={[r['total'] for r in state.get('refunds', [])]}"
            echo(f"  store order {order.name} ({shop.platform}): {seen}; outcome {decision.outcome}")
