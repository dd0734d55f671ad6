"""The whole "know when" loop on the embedded default against the sandbox: supplier dates arrive,
become SKU and backorder dates, and appear on both stores' product pages; and the CLI as a user runs it."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from adapters.woocommerce.catalog import META_KEY
from connector.supply.repository import SupplyRepository
from connector.supply.suppliers import add_supplier
from jobs.supply import POLL_SUPPLIER, SYNC_CATALOG, enqueue_scheduled_poll, sync_supplier_schedules, trigger_for
from sandbox.runner import start_sandbox
from sandbox.stack import start_stack
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN
from tests.e2e.test_cli import connector, env  # noqa: F401  (the CLI fixture and runner)


def shopify_page(stack, domain: str, sku: str) -> str | None:
    found = stack.sandbox.shopify.shop(domain).variant(sku).metafields.get(("app--sim", "in_stock_date"))
    return found["value"] if found else None


def woo_page(stack, store_url: str, sku: str) -> str | None:
    store = stack.sandbox.woocommerce.stores[store_url]
    item = next(i for i in [*store.products.values(), *store.variations.values()] if i["sku"] == sku)
    return next((m["value"] for m in item["meta_data"] if m["key"] == META_KEY), None)


def supplier_spec(url: str) -> dict:
    return {"name": "sandbox-supplier", "kind": "http_json", "handling_days": 1, "transit_days": 1,
            "settings": {"url": url + "/api/cursor", "items_path": "items", "auth": {"type": "bearer"},
                         "pagination": {"type": "cursor", "page_size": 4, "size_param": "limit"},
                         "schedule": {"interval_minutes": 1}},
            "secret": {"token": SUPPLIER_TOKEN}}


@pytest.fixture
def stack():
    with start_stack() as running:
        yield running


def test_supplier_dates_reach_both_stores_pages_and_waiting_customers(stack) -> None:
    c = stack.container
    shop = next(i for i in stack.shops.values() if i.platform == "shopify")
    store = next(i for i in stack.shops.values() if i.platform == "woocommerce")
    soon = (datetime.now(UTC).date() + timedelta(days=20)).isoformat()
    later = (datetime.now(UTC).date() + timedelta(days=45)).isoformat()
    stack.sandbox.supplier.set_stock({"sku": "SOCKS-M", "quantity": 0, "restock_date": soon},
                                     {"sku": "HOOD-M", "quantity": 0, "restock_date": soon})
    supplier_ids = {info.id: add_supplier(c.uow(), c.box, info.id, supplier_spec(stack.sandbox.supplier_url),
                                          clients=c.supplier_client)
                    for info in (shop, store)}
    for info in (shop, store):
        c.queue.enqueue(POLL_SUPPLIER, supplier_ids[info.id])
        c.queue.enqueue(SYNC_CATALOG, info.id)
    c.queue.wait_idle(30)
    in_three = (datetime.fromisoformat(soon) + timedelta(days=2)).date().isoformat()
    assert shopify_page(stack, shop.domain, "SOCKS-M") == in_three
    assert woo_page(stack, store.domain, "HOOD-M") == in_three

    stack.sandbox.shopify.create_order(shop.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    stack.wait_for_capture()
    c.queue.wait_idle(30)
    with c.uow() as uow:
        [(_, _, expected, promised)] = uow.repo(SupplyRepository).open_backorder_dates(shop.id)
        assert expected.isoformat() == in_three == promised.isoformat()

    stack.sandbox.supplier.set_stock({"sku": "SOCKS-M", "restock_date": later})
    c.queue.enqueue(POLL_SUPPLIER, supplier_ids[shop.id])
    c.queue.wait_idle(30)
    slipped = (datetime.fromisoformat(later) + timedelta(days=2)).date().isoformat()
    assert shopify_page(stack, shop.domain, "SOCKS-M") == slipped
    with c.uow() as uow:
        [(_, _, expected, promised)] = uow.repo(SupplyRepository).open_backorder_dates(shop.id)
        assert (promised.isoformat(), expected.isoformat()) == (in_three, slipped)


def test_each_supplier_gets_its_own_schedule_and_changes_are_picked_up(stack) -> None:
    c = stack.container
    shop = next(iter(stack.shops.values()))
    spec = supplier_spec(stack.sandbox.supplier_url)
    supplier_id = add_supplier(c.uow(), c.box, shop.id, spec, clients=c.supplier_client)
    scheduler = BackgroundScheduler(timezone="UTC")
    assert sync_supplier_schedules(scheduler, c) == 1
    job = scheduler.get_job(f"supplier-{supplier_id}")
    # recorded for the Jobs page (an unchanged poll replaced by the next), for the supplier's shop
    assert job.func is enqueue_scheduled_poll and tuple(job.args) == (c, supplier_id, shop.id)
    assert str(job.trigger) == "interval[0:01:00]"
    spec["settings"]["schedule"] = {"cron": "*/15 * * * *"}
    add_supplier(c.uow(), c.box, shop.id, spec, clients=c.supplier_client)
    sync_supplier_schedules(scheduler, c)
    assert "cron" in str(scheduler.get_job(f"supplier-{supplier_id}").trigger)
    del spec["settings"]["schedule"]
    add_supplier(c.uow(), c.box, shop.id, spec, clients=c.supplier_client)
    assert sync_supplier_schedules(scheduler, c) == 0 and scheduler.get_job(f"supplier-{supplier_id}") is None
    assert str(trigger_for({"interval_minutes": 0.5})) == "interval[0:00:30]"


def test_the_cli_adds_lists_polls_and_shows_dates(env, tmp_path) -> None:  # noqa: F811
    sandbox = start_sandbox()
    try:
        domain = sandbox.seed["shopify"]["shops"][0]["domain"]
        token = sandbox.seed["shopify"]["shops"][0]["access_token"]
        connector(env, "shops", "add", "shopify", domain, "--access-token", token, "--api-base", sandbox.shopify_url)
        spec = tmp_path / "supplier.yaml"
        spec.write_text(f"""
name: acme
kind: http_json
handling_days: 1
settings:
  url: {sandbox.supplier_url}/api/link?per_page=3
  auth: {{type: bearer}}
  pagination: {{type: link}}
  schedule: {{interval_minutes: 5}}
secret: {{token: {SUPPLIER_TOKEN}}}
""")
        added = connector(env, "suppliers", "add", "--shop", domain, "--file", str(spec)).stdout
        assert "supplier 'acme' saved" in added
        listed = json.loads(connector(env, "suppliers", "list", "--json").stdout)
        assert [(s["name"], s["schedule"]) for s in listed] == [("acme", {"interval_minutes": 5})]
        connector(env, "dates", "--shop", domain, "--sync-catalog")
        polled = connector(env, "suppliers", "poll", "acme", "--shop", domain).stdout
        # the sandbox supplier lists 10 SKUs, the store sells 5 of them: only those are stored
        assert "acme: ok; 10 rows, 0 bad, 5 changed, 5 not sold by the shop (not stored)" in polled
        assert "product pages:" in polled
        rows = {r["sku"]: r for r in json.loads(connector(env, "dates", "--shop", domain, "--json").stdout)}
        socks = rows["SOCKS-M"]
        assert socks["page_date"] == socks["published_date"] != ""
        assert shopify_page_direct(sandbox, domain, "SOCKS-M") == socks["page_date"]
        history = connector(env, "suppliers", "history", "acme", "--shop", domain).stdout
        assert "ok" in history
        bad = connector(env, "suppliers", "poll", "nobody", "--shop", domain, check=False)
        assert bad.returncode == 1 and "no supplier named 'nobody'" in bad.stderr
    finally:
        sandbox.stop()


def shopify_page_direct(sandbox, domain: str, sku: str) -> str | None:
    found = sandbox.shopify.shop(domain).variant(sku).metafields.get(("app--sim", "in_stock_date"))
    return found["value"] if found else None


def test_connector_sandbox_prints_the_supplier_url(env) -> None:  # noqa: F811
    from tests.e2e.test_cli import CONNECTOR, free_port

    port = free_port()
    process = subprocess.Popen([CONNECTOR, "sandbox", "--shopify-port", str(free_port()), "--woocommerce-port",
                                str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while not any(line.startswith("supplier simulator:") for line in lines) and len(lines) < 30:
            lines.append(process.stdout.readline())
        assert lines[-1].startswith("supplier simulator:    http://127.0.0.1:"), lines
    finally:
        process.terminate()
        process.wait(timeout=10)
