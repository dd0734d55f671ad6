"""Drop-ship orders at the supplier, against the sandbox on SQLite and PostgreSQL: a worker process
killed with SIGKILL between the supplier's answer and its own commit, supplier refusals, a supplier
that is down, and the purchase sheet by email for a supplier without an API (real SMTP server)."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.domain.clock import utcnow
from connector.dropship import place as dropship_service
from connector.dropship.models import DropshipAlert
from connector.dropship.routing import latest_decisions, route_shop
from jobs.dropship import place_dropship_order, poll_shipments, store_for
from sandbox.shopify_sim import ext_fulfillment as fo_ext
from sandbox.stack import start_stack
from tests.support.dropship_support import (
    MERCHANT,
    add_dropship_supplier,
    dropship_orders,
    enable,
    process_env,
    restock_in,
    shop,
    terms,
)

BIN = Path(sys.executable).parent


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


def routed_order(stack, quantity: int = 2, *, orders: int = 1, **supplier_options) -> tuple[object, int, list[int]]:  # type: ignore[no-untyped-def]
    """A Shopify order line of SOCKS-M backordered, its restock a month away, routed to drop-ship."""
    sim = stack.sandbox
    info = shop(stack, "shopify")
    sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
    supplier_id = add_dropship_supplier(stack, info.id, **supplier_options)
    terms(stack, supplier_id, "SOCKS-M", "1.00")
    enable(stack, info.id)
    for _ in range(orders):
        sim.shopify.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": quantity}])
    stack.wait_for_capture()
    restock_in(stack, info.id)
    report = route_shop(stack.container.uow(), store_for(info.id), info.id)
    assert len(report.routed) == orders, report
    return info, supplier_id, report.routed


def test_a_worker_killed_between_the_supplier_call_and_the_commit_orders_exactly_once_on_rerun(stack, tmp_path):
    info, _, [order_id] = routed_order(stack)
    desk = stack.sandbox.supplier.dropship
    desk.stall_seconds = 60  # the supplier stores the order, then holds its answer
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([str(BIN / "connector"), "dropship", "place", str(order_id)],
                                  env=process_env(stack), stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not desk.orders and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert desk.orders, "the worker never reached the supplier: " + log_path.read_text(errors="replace")
        [row] = dropship_orders(stack, info.id)
        assert row.status == "sending" and row.supplier_reference is None  # between call and commit
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    desk.stall_seconds = 0

    rerun = subprocess.run([str(BIN / "connector"), "dropship", "place", str(order_id)], env=process_env(stack),
                           capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"drop-ship order {order_id}: placed" in rerun.stdout
    [row] = dropship_orders(stack, info.id)
    [supplier_order] = desk.orders.values()
    assert row.status == "placed" and row.supplier_reference == supplier_order["id"]
    assert desk.posts == [row.idempotency_key]  # resolved by asking for the key, never ordered again
    assert place_dropship_order(order_id) == "placed" and len(desk.orders) == 1


def test_a_supplier_refusal_puts_the_line_back_to_waiting_and_emails_the_merchant_once(stack):
    info, _, [order_id] = routed_order(stack)
    sim = stack.sandbox
    sim.supplier.dropship.reject_next = "out_of_stock"

    assert place_dropship_order(order_id) == "rejected"
    [row] = dropship_orders(stack, info.id)
    assert row.status == "rejected" and "out_of_stock" in (row.last_error or "")
    decision = latest_decisions(stack.container.uow(), info.id)[-1]
    assert decision["action"] == "wait" and "supplier refused" in decision["summary"]
    [mail] = sim.smtp.to(MERCHANT)
    assert "refused a drop-ship order" in mail.subject
    assert row.reference in mail.part("plain") and "waits for restock again" in mail.part("plain")
    with stack.container.uow() as uow:
        [alert] = uow.session.scalars(select(DropshipAlert).where(DropshipAlert.shop_id == info.id)).all()
        assert alert.kind == "supplier_rejected" and alert.sent_at is not None

    assert place_dropship_order(order_id) == "rejected"  # rerun: no second order, no second email
    assert sim.supplier.dropship.orders == {} and len(sim.smtp.to(MERCHANT)) == 1


def test_an_invalid_address_is_refused_as_such(stack):
    info, _, [order_id] = routed_order(stack)
    stack.sandbox.supplier.dropship.reject_next = "address_invalid"
    assert place_dropship_order(order_id) == "rejected"
    assert "address_invalid" in (dropship_orders(stack, info.id)[0].last_error or "")


def test_a_supplier_that_is_down_is_retried_with_backoff_and_does_not_block_later_lines(stack):
    info, supplier_id, [first, second] = routed_order(stack, quantity=1, orders=2, max_attempts=1)
    sim = stack.sandbox
    c = stack.container
    supplier = c.dropship_supplier(supplier_id)

    sim.supplier.inject(status=503, count=1)
    before = utcnow()
    assert dropship_service.place_order(c.uow(), supplier, first) == dropship_service.PlaceResult("retry", 30.0)
    assert dropship_service.place_order(c.uow(), supplier, second).status == "placed"  # not blocked
    rows = {r.id: r for r in dropship_orders(stack, info.id)}
    assert rows[first].status == "retry" and rows[first].attempts == 1
    assert rows[first].next_attempt_at >= before + timedelta(seconds=29)
    assert dropship_service.due_orders(c.uow(), info.id) == []  # waits for its backoff

    sim.supplier.inject(status=503, count=1)  # down again: the wait doubles
    assert dropship_service.place_order(c.uow(), supplier, first) == dropship_service.PlaceResult("retry", 60.0)
    assert dropship_service.place_order(c.uow(), supplier, first).status == "placed"
    assert len(sim.supplier.dropship.orders) == 2


def test_a_supplier_without_an_api_gets_a_csv_purchase_sheet_by_email_once(stack):
    info, _, [order_id] = routed_order(stack, quantity=3, mode="email", email="orders@supplier.example")
    sim = stack.sandbox

    assert place_dropship_order(order_id) == "placed"
    [mail] = sim.smtp.to("orders@supplier.example")
    [row] = dropship_orders(stack, info.id)
    assert mail.message["X-Idempotency-Key"] == row.idempotency_key
    assert row.supplier_reference == mail.message["Message-ID"]
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    sheet = list(csv.DictReader(io.StringIO(attachment.get_content())))
    assert sheet == [{"reference": row.reference, "sku": "SOCKS-M", "quantity": "3", "name": "Bob Norman",
                      "company": "", "address1": "Chestnut Street 92", "address2": "", "city": "Louisville",
                      "province": "Kentucky", "zip": "40202", "country_code": "US", "phone": "'+1(502)-459-2181",
                      "email": "customer@example.com"}]
    assert place_dropship_order(order_id) == "placed" and len(sim.smtp.to("orders@supplier.example")) == 1
    assert sim.supplier.dropship.orders == {}  # nothing went to the supplier's API


def test_tracking_a_supplier_without_an_api_emails_back_is_entered_by_hand_and_reaches_the_store(stack, tmp_path):
    info, _, [order_id] = routed_order(stack, quantity=2, mode="email", email="orders@supplier.example")
    assert place_dropship_order(order_id) == "placed"
    entered = subprocess.run([str(BIN / "connector"), "dropship", "ship", str(order_id), "--quantity", "2",
                              "--carrier", "DHL", "--number", "JD0146", "--url", "https://dhl.example/JD0146"],
                             env=process_env(stack), capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert entered.returncode == 0 and "parcel JD0146 recorded" in entered.stdout, entered.stdout + entered.stderr
    assert poll_shipments(info.id) == 1
    [row] = dropship_orders(stack, info.id)
    assert row.status == "shipped"
    [made] = [f for fs in fo_ext._state(stack.sandbox.shopify.shop(info.domain))["fulfillments"].values()
              for f in fs]
    assert made["trackingInfo"] == [{"company": "DHL", "number": "JD0146", "url": "https://dhl.example/JD0146"}]
