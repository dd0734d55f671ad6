"""The merchant's payment commands against the Shopify simulator on SQLite and PostgreSQL: `connector
payments list` shows each order's route, state and amounts, `connector payments capture` takes the
money now by the exactly-once path, and a `connector` process killed with SIGKILL after the gateway
captured but before its own commit leaves exactly one capture when the command is run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import main
from sandbox.shopify_sim import ext_charges
from sandbox.stack import start_stack
from tests.support.dropship_support import process_env
from tests.support.payments_support import DOMAIN, Setup

BIN = Path(sys.executable).parent


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


def test_the_merchant_lists_payments_and_captures_an_order_by_its_name(stack):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.authorize(s.sim, DOMAIN, sim_id)
    s.ship(order_id, "SOCKS-M", 1, "fulfillment:1")
    runner, env = CliRunner(), {**process_env(stack), "CONNECTOR_LOG_LEVEL": "WARNING"}
    empty = runner.invoke(main, ["payments", "list", "--shop", DOMAIN, "--json"], env=env)
    assert empty.exit_code == 0 and json.loads(empty.output) == [], empty.output
    name = s.sim.order(DOMAIN, sim_id)["name"]
    captured = runner.invoke(main, ["payments", "capture", "--shop", DOMAIN, name], env=env)
    assert captured.exit_code == 0, captured.output
    assert captured.output.strip() == f"order {name}: captured (captured), 24.00"
    assert [c["amount"] for c in s.captures()] == ["24.00"]
    listed = runner.invoke(main, ["payments", "list", "--shop", DOMAIN, "--json"], env=env)
    [row] = json.loads(listed.output)
    assert (row["order"], row["route"], row["state"], row["authorized"], row["captured"], row["due"]) == (
        name, "authorization", "captured", "24.00", "24.00", "0.00")
    assert row["expires"] is not None and row["last_error"] is None
    table = runner.invoke(main, ["payments", "list", "--shop", DOMAIN], env=env)
    assert "authorization" in table.output and "captured" in table.output
    again = runner.invoke(main, ["payments", "capture", "--shop", DOMAIN, name], env=env)
    assert again.output.strip() == f"order {name}: captured (nothing to collect)" and len(s.captures()) == 1
    unknown = runner.invoke(main, ["payments", "capture", "--shop", DOMAIN, "#99999"], env=env)
    assert unknown.exit_code == 1 and "no order '#99999' in this shop" in unknown.output


def test_a_capture_process_killed_between_the_gateway_and_its_commit_captures_exactly_once_on_the_rerun(
        stack, tmp_path):
    s = Setup(stack)
    sim_id, order_id = s.order([("SOCKS-M", 2, "12.00")], backordered={"SOCKS-M": 2})
    ext_charges.authorize(s.sim, DOMAIN, sim_id)
    s.ship(order_id, "SOCKS-M", 2, "fulfillment:1")
    name = s.sim.order(DOMAIN, sim_id)["name"]
    ext_charges.stall_captures(s.sim, DOMAIN, 60)  # the gateway captures, then holds its answer
    log_path = tmp_path / "capture.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([str(BIN / "connector"), "payments", "capture", "--shop", DOMAIN, name],
                                  env=process_env(stack), stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not s.captures() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert s.captures(), "the process never reached the gateway: " + log_path.read_text(errors="replace")
        assert [(c.kind, c.state, c.reference) for c in s.charges(order_id)] == [("capture", "pending", None)]
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    ext_charges.stall_captures(s.sim, DOMAIN, 0)

    rerun = subprocess.run([str(BIN / "connector"), "payments", "capture", "--shop", DOMAIN, name],
                           env=process_env(stack), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert rerun.stdout.strip() == f"order {name}: captured (captured), 24.00"
    assert [c["amount"] for c in s.captures()] == ["24.00"]  # found on read-back, never captured again
    [charge] = s.charges(order_id)
    assert (charge.state, charge.amount, charge.final) == ("succeeded", Decimal("24.00"), True)
    assert charge.reference == f"gid://shopify/OrderTransaction/{s.captures()[0]['txn']}"
    assert s.payment(order_id).state == "captured"
