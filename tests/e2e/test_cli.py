"""The `connector` command as a user runs it: real processes, real files, real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from connector.crypto import generate_key

CONNECTOR = shutil.which("connector", path=str(Path(sys.executable).parent)) or "connector"


@pytest.fixture
def env(tmp_path):
    values = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SHOPIFY_", "DATABASE_URL"))}
    values.update({"DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "CONNECTOR_SECRET_KEY": generate_key(),
                   "SHOPIFY_API_SECRET": "cli-secret", "CONNECTOR_API_TOKEN": "cli-token",
                   "CONNECTOR_LOG_LEVEL": "WARNING", "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"})
    return values


def connector(env, *args, check=True, timeout=60):
    result = subprocess.run([CONNECTOR, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"connector {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_shops_are_added_listed_and_never_shown_with_credentials(env):
    connector(env, "shops", "add", "shopify", "cli-shop.myshopify.com", "--access-token", "shpat_SECRET1",
              "--api-base", "http://127.0.0.1:9")
    connector(env, "shops", "add", "woocommerce", "https://cli-tea.example", "--consumer-key", "ck_SECRET2",
              "--consumer-secret", "cs_SECRET3", "--webhook-secret", "wh_SECRET4")
    listed = connector(env, "shops", "list", "--json").stdout
    shops = json.loads(listed)
    assert [(s["platform"], s["domain"], s["api_base"]) for s in shops] == [
        ("shopify", "cli-shop.myshopify.com", "http://127.0.0.1:9"), ("woocommerce", "https://cli-tea.example", None)]
    text = connector(env, "shops", "list").stdout
    assert "SECRET" not in listed + text
    db = Path(env["DATABASE_URL"].removeprefix("sqlite:///")).read_bytes()
    assert b"SECRET" not in db


def test_adding_the_same_shop_twice_is_a_clear_error(env):
    connector(env, "shops", "add", "shopify", "twice.myshopify.com", "--access-token", "t")
    again = connector(env, "shops", "add", "shopify", "twice.myshopify.com", "--access-token", "t", check=False)
    assert again.returncode == 1 and "already installed" in again.stderr


def test_an_api_base_with_a_path_is_refused(env):
    result = connector(env, "shops", "add", "shopify", "p.myshopify.com", "--access-token", "t",
                       "--api-base", "http://127.0.0.1:9/admin", check=False)
    assert result.returncode == 1 and "scheme and host" in result.stderr


def test_a_missing_secret_key_stops_the_command_naming_it(env):
    env.pop("CONNECTOR_SECRET_KEY")
    result = connector(env, "shops", "add", "shopify", "k.myshopify.com", "--access-token", "t", check=False)
    assert result.returncode == 2 and "CONNECTOR_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_to_start_without_the_shopify_secret(env):
    env.pop("SHOPIFY_API_SECRET")
    result = connector(env, "serve", "--port", str(free_port()), check=False)
    assert result.returncode == 2 and "SHOPIFY_API_SECRET" in result.stderr


def test_backorders_for_an_unknown_shop_is_a_clear_error(env):
    result = connector(env, "backorders", "--shop", "ghost.myshopify.com", check=False)
    assert result.returncode == 1 and "no shop" in result.stderr


def test_backorders_json_is_an_empty_list_for_a_new_shop(env):
    connector(env, "shops", "add", "shopify", "new.myshopify.com", "--access-token", "t")
    assert json.loads(connector(env, "backorders", "--shop", "new.myshopify.com", "--json").stdout) == []


def test_db_upgrade_works_on_postgresql(env, postgres_url):
    env["DATABASE_URL"] = postgres_url
    assert "up to date" in connector(env, "db", "upgrade").stdout
    connector(env, "shops", "add", "shopify", "pg.myshopify.com", "--access-token", "t")
    assert "pg.myshopify.com" in connector(env, "shops", "list").stdout


def test_serve_upgrades_an_empty_sqlite_file_and_answers_healthz(env, tmp_path):
    port = free_port()
    process = subprocess.Popen([CONNECTOR, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                if response.status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"serve never became healthy: {process.stderr.read() if process.poll() else ''}")
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["status"] == "ready"
        assert (tmp_path / "cli.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_sandbox_command_serves_both_simulators(env):
    shopify_port, woo_port = free_port(), free_port()
    process = subprocess.Popen([CONNECTOR, "sandbox", "--shopify-port", str(shopify_port),
                                "--woocommerce-port", str(woo_port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                created = requests.post(f"http://127.0.0.1:{woo_port}/_sandbox/orders", timeout=2, json={
                    "store": "https://sandbox-tea.example", "lines": [{"sku": "KETTLE", "quantity": 1}],
                    "deliver_webhook": False})
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert created.status_code in (200, 201)
        response = requests.post(f"http://127.0.0.1:{shopify_port}/admin/api/2026-04/graphql.json", timeout=5,
                                 headers={"X-Shopify-Access-Token": "shpat_sandbox_outdoors"},
                                 json={"query": "{ variantOfNothing { id } }"})
        body = response.json()  # an invalid document: rejected the way Shopify does (200 with errors)
        assert response.status_code == 200 and "errors" in body and "variantOfNothing" in body["errors"][0]["message"]
        unauthorised = requests.get(f"http://127.0.0.1:{woo_port}/wp-json/wc/v3/orders", timeout=5)
        assert unauthorised.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_demo_runs_end_to_end_and_exits_zero(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SHOPIFY_", "DATABASE_URL"))}
    result = subprocess.run([CONNECTOR, "demo"], env=clean, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Backorders captured" in out
    for expected in ("MUG-TRAIL", "LANTERN", "TEA-SENCHA", "HOOD-M", "cancelled", "tag: backorder",
                     "_backorder_lines"):
        assert expected in out
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # the demo leaves nothing behind in the working directory
