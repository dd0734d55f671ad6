"""`connector dropship ...` as a merchant runs it, in its own process, against the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.stack import start_stack
from tests.support.dropship_support import add_dropship_supplier, enable, process_env, restock_in, shop, terms

BIN = Path(sys.executable).parent


@pytest.fixture
def stack():  # type: ignore[no-untyped-def]
    with start_stack() as running:
        yield running


def connector(stack, *args: str) -> str:  # type: ignore[no-untyped-def]
    done = subprocess.run([str(BIN / "connector"), "dropship", *args], env=process_env(stack),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_run_routes_places_and_fulfils_and_the_merchant_reads_why(stack):
    sim = stack.sandbox
    sim.supplier.dropship.ship_delay = 0.3
    info = shop(stack, "shopify")
    sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
    supplier_id = add_dropship_supplier(stack, info.id)
    terms(stack, supplier_id, "SOCKS-M", "1.00")
    enable(stack, info.id)
    sim.shopify.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    stack.wait_for_capture()
    restock_in(stack, info.id)

    first = connector(stack, "run", "--shop", info.domain)
    assert first.startswith("routed 1 line(s) to drop-ship; placed: ") and "=placed" in first
    deadline = time.monotonic() + 20
    while "fulfillments pushed: 1" not in connector(stack, "run", "--shop", info.domain):
        assert time.monotonic() < deadline, "never fulfilled"
        time.sleep(0.3)
    [decision] = json.loads(connector(stack, "decisions", "--shop", info.domain, "--json"))
    assert decision["action"] == "dropship" and "margin via sandbox-supplier" in decision["summary"]
    orders = connector(stack, "orders", "--shop", info.domain)
    assert "SOCKS-M" in orders and "shipped" in orders and "DS-1001" in orders
    assert len(sim.supplier.dropship.orders) == 1
    assert connector(stack, "alerts", "--shop", info.domain).strip() == "(none)"
