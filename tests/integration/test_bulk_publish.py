"""Big catalogues: in-stock dates as one Shopify bulk mutation over the simulator (staged upload, run, result
file), on SQLite and PostgreSQL; WooCommerce batches a few at a time within the store's 429s."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from adapters import outbound
from adapters.shopify.catalog import ShopifyCatalog
from adapters.shopify.client import ShopifyGraphQL
from adapters.woocommerce.catalog import META_KEY, WooCommerceCatalog
from adapters.woocommerce.client import WooCommerceClient
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.bulk import BulkBusy
from connector.domain.model import Platform, ShopCredentials
from connector.domain.supply import PageDate
from connector.shop_settings import set_setting
from connector.shops import add_shop
from connector.supply.bulk_models import BulkPublish
from connector.supply.models import SkuEta, StoreSku
from connector.supply.publish import publish_dates
from sandbox.runner import start_sandbox
from sandbox.shopify_sim.ext_bulk import bulk_of

SHOP, TOKEN = "bulk.myshopify.com", "shpat_bulk"
STORE, KEY, SECRET = "https://bulk-woo.example", "ck_bulk", "cs_bulk"
N = 120  # five lines of 25 (the last of 20)
WOO_N = 450
START = date(2026, 12, 1)
NS = ("app--sim", "in_stock_date")


def seed() -> dict:
    return {"shopify": {"api_secret": "s", "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": TOKEN, "products": [
            {"title": f"P{p}", "variants": [{"sku": f"B-{p:03d}-{v}", "inventory_quantity": 0} for v in range(4)]}
            for p in range(N // 4)]}]},
        "woocommerce": {"stores": [{
            "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "webhook_secret": "w", "webhook_id": 1,
            "products": [{"name": f"Tea {n}", "sku": f"W-{n:03d}", "price": "3.00", "manage_stock": True,
                          "stock_quantity": 0, "backorders": "no"} for n in range(WOO_N)]}]}}


class CrashAfterRun(ShopifyCatalog):
    """The worker dies right after Shopify started the operation, before its id is recorded."""

    def bulk_run(self, staged_path: str, client_identifier: str):  # type: ignore[no-untyped-def]
        super().bulk_run(staged_path, client_identifier)
        raise SystemExit("worker killed")


class CrashBeforeRun(ShopifyCatalog):
    """The worker dies after recording that it asks for the run, before the request leaves."""

    def bulk_run(self, staged_path: str, client_identifier: str):  # type: ignore[no-untyped-def]
        raise SystemExit("worker killed")


@pytest.fixture
def world(database_url):
    outbound.configure(outbound.OutboundPolicy(allow_private_targets=True))
    sandbox = start_sandbox(seed())
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    shop = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token=TOKEN)).id
    store = add_shop(uow, box, Platform.WOOCOMMERCE, STORE, ShopCredentials(consumer_key=KEY,
                                                                             consumer_secret=SECRET)).id
    variants = sorted(sandbox.shopify.shop(SHOP).variants.values(), key=lambda v: v.sku)
    woo = sorted(sandbox.woocommerce.stores[STORE].products.values(), key=lambda p: p["sku"])
    with uow:
        for n, v in enumerate(variants):
            uow.session.add(StoreSku(shop_id=shop, sku=v.sku, product_id=str(v.product_id), variant_id=str(v.id),
                                     available=0))
            uow.session.add(SkuEta(shop_id=shop, sku=v.sku, expected_date=START + timedelta(days=n % 30),
                                   page_date=START + timedelta(days=n % 30), source="supplier_restock"))
        for product in woo:
            uow.session.add(StoreSku(shop_id=store, sku=product["sku"], product_id=str(product["id"]), available=0))
            uow.session.add(SkuEta(shop_id=store, sku=product["sku"], expected_date=START, page_date=START,
                                   source="supplier_restock"))
        uow.commit()
    set_setting(uow, shop, "publish.bulk_threshold", 50)
    shopify = ShopifyCatalog(ShopifyGraphQL(SHOP, TOKEN, api_base=sandbox.shopify_url))
    yield {"sandbox": sandbox, "uow": uow, "shop": shop, "store": store, "shopify": shopify, "variants": variants,
           "bulk": bulk_of(sandbox.shopify.graphql), "woo": WooCommerceCatalog(WooCommerceClient(
               STORE, KEY, SECRET, api_base=sandbox.woocommerce_url))}
    sandbox.stop()
    engine.dispose()


def on_pages(world) -> dict[str, str]:
    return {v.sku: v.metafields[NS]["value"] for v in world["variants"] if NS in v.metafields}


def rows(world) -> list[tuple[str, str | None, int, int]]:
    with world["uow"] as uow:
        return [(r.status, r.operation_status, r.written, r.failed)
                for r in uow.session.scalars(select(BulkPublish).order_by(BulkPublish.id))]


def errors(world) -> dict[str, str]:
    with world["uow"] as uow:
        return {e.sku: e.publish_error for e in uow.session.scalars(
            select(SkuEta).where(SkuEta.shop_id == world["shop"], SkuEta.publish_error.is_not(None)))}


def test_above_the_threshold_the_dates_go_as_one_bulk_mutation_and_only_once(world) -> None:
    report = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (report.written, report.failed, report.bulk_operations, report.batches) == (N, 0, 1, 0)
    assert world["bulk"].runs == [1] and world["sandbox"].shopify.graphql.throttled_count == 0
    pages = on_pages(world)
    assert len(pages) == N and pages["B-000-1"] == "2026-12-02"
    assert rows(world) == [("done", "COMPLETED", N, 0)]
    rerun = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (rerun.written, rerun.bulk_operations, rerun.batches) == (0, 0, 0) and world["bulk"].runs == [1]


def test_at_or_below_the_threshold_the_dates_go_in_calls_of_25(world) -> None:
    set_setting(world["uow"], world["shop"], "publish.bulk_threshold", N)
    report = publish_dates(world["uow"], world["shopify"], world["shop"])
    assert (report.written, report.bulk_operations, report.batches) == (N, 0, 5)
    assert world["bulk"].runs == [] and len(on_pages(world)) == N


def test_a_running_operation_is_polled_until_it_completes_and_meanwhile_nothing_else_runs(world) -> None:
    bulk = world["bulk"]
    bulk.gate.clear()  # Shopify is slow today: the operation stays RUNNING
    first = publish_dates(world["uow"], world["shopify"], world["shop"])
    assert first.bulk_waiting and first.bulk_waiting.startswith("gid://shopify/BulkOperation/")
    assert (first.written, first.batches) == (0, 0)  # the SKUs in flight are not also written call by call
    assert rows(world) == [("running", "CREATED", 0, 0)]
    again = publish_dates(world["uow"], world["shopify"], world["shop"])  # a second run: waits, starts nothing
    assert again.bulk_waiting == first.bulk_waiting and bulk.runs == [1]
    threading.Timer(0.3, bulk.gate.set).start()
    done = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (done.written, done.bulk_waiting) == (N, None) and len(on_pages(world)) == N
    assert bulk.max_running == 1 and rows(world) == [("done", "COMPLETED", N, 0)]


def test_the_simulator_refuses_a_second_bulk_mutation_like_shopify_before_2026_01(world) -> None:
    bulk, catalog = world["bulk"], world["shopify"]
    bulk.limit = 1
    bulk.gate.clear()
    dates = [PageDate(v.sku, str(v.product_id), str(v.id), START) for v in world["variants"][:30]]
    running = catalog.bulk_run(catalog.bulk_stage(dates), "one")
    with pytest.raises(BulkBusy, match="already in progress: " + running.id):
        catalog.bulk_run(catalog.bulk_stage(dates), "two")
    bulk.limit = 5  # 2026-01 and later: five at once, then LIMIT_REACHED
    for n in range(4):
        catalog.bulk_run(catalog.bulk_stage(dates), f"more-{n}")
    with pytest.raises(BulkBusy, match="limit reached"):
        catalog.bulk_run(catalog.bulk_stage(dates), "sixth")
    bulk.gate.set()
    assert bulk.wait_finished()


def test_a_line_with_user_errors_marks_its_skus_and_the_others_are_published(world) -> None:
    gone = world["variants"][30]  # line 2 (SKUs 25-49): the merchant deleted this variant meanwhile
    del world["sandbox"].shopify.shop(SHOP).variants[gone.sku]
    report = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (report.written, report.failed) == (N - 25, 25)
    failed = errors(world)
    assert set(failed) == {v.sku for v in world["variants"][25:50]}
    assert "bulk line 2" in failed[gone.sku] and "Owner does not exist" in failed[gone.sku]
    assert rows(world) == [("done", "COMPLETED", N - 25, 25)]
    retry = publish_dates(world["uow"], world["shopify"], world["shop"])  # 25 left, under the threshold: calls
    assert (retry.batches, retry.bulk_operations, retry.failed) == (1, 0, 25)


def test_a_failed_operation_keeps_what_it_did_and_the_rest_goes_out_next_time(world) -> None:
    world["bulk"].fail_after = 2  # Shopify gives up after two lines (INTERNAL_SERVER_ERROR, partial data)
    report = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (report.written, report.failed, report.bulk_operations) == (50, 0, 1)
    assert rows(world) == [("failed", "FAILED", 50, 0)] and len(on_pages(world)) == 50
    rest = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (rest.written, rest.bulk_operations) == (N - 50, 1) and len(on_pages(world)) == N


def test_a_crash_after_the_run_finds_the_operation_and_never_runs_it_twice(world) -> None:
    crashing = CrashAfterRun(world["shopify"].client)
    with pytest.raises(SystemExit):
        publish_dates(world["uow"], crashing, world["shop"])
    with world["uow"] as uow:
        [row] = uow.session.scalars(select(BulkPublish)).all()
        assert (row.status, row.operation_id) == ("staging", None) and row.run_asked_at is not None
    assert world["bulk"].wait_finished()
    report = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (report.written, report.bulk_operations) == (N, 0)
    assert world["bulk"].runs == [1] and rows(world) == [("done", "COMPLETED", N, 0)]


def test_a_crash_before_the_run_left_runs_it_once_on_resume(world) -> None:
    with pytest.raises(SystemExit):
        publish_dates(world["uow"], CrashBeforeRun(world["shopify"].client), world["shop"])
    assert world["bulk"].runs == []
    report = publish_dates(world["uow"], world["shopify"], world["shop"], wait_seconds=10)
    assert (report.written, world["bulk"].runs) == (N, [1])


@pytest.mark.slow
def test_the_staged_upload_refuses_a_forged_signature_and_a_file_over_20_mb(world) -> None:
    import requests

    client = world["shopify"].client
    data = client.execute("mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) { stagedTargets "
                          "{ url parameters { name value } } userErrors { message } } }",
                          {"i": [{"resource": "BULK_MUTATION_VARIABLES", "filename": "x.jsonl",
                                  "mimeType": "text/jsonl", "httpMethod": "POST"}]})
    target = data["stagedUploadsCreate"]["stagedTargets"][0]
    fields = {p["name"]: p["value"] for p in target["parameters"]}
    forged = requests.post(target["url"], data={**fields, "x-goog-signature": "0" * 64},
                           files={"file": ("x.jsonl", b"{}\n")}, timeout=10)
    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
    big = requests.post(target["url"], data=fields, files={"file": ("x.jsonl", b"x" * (20 * 1024 * 1024 + 1))},
                        timeout=30)
    assert big.status_code == 400 and b"EntityTooLarge" in big.content
    ok = requests.post(target["url"], data=fields, files={"file": ("x.jsonl", b"{}\n")}, timeout=10)
    assert ok.status_code == 201 and fields["key"].encode() in ok.content


@pytest.mark.slow
def test_woocommerce_batches_go_a_few_at_a_time_and_wait_out_429s(world) -> None:
    sim = world["sandbox"].woocommerce
    inner, lock, state = sim.app.wsgi_app, threading.Lock(), {"now": 0, "most": 0}

    def counting(environ, start_response):  # type: ignore[no-untyped-def]
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            time.sleep(0.05)
            return inner(environ, start_response)
        finally:
            with lock:
                state["now"] -= 1

    sim.app.wsgi_app = counting
    sim.inject_failures(2, 429, retry_after=0)
    report = publish_dates(world["uow"], world["woo"], world["store"])
    assert (report.written, report.failed, report.batches) == (WOO_N, 0, 5)
    assert state["most"] == 3  # publish.parallel_batches (default 3)
    products = sim.stores[STORE].products.values()
    assert sum(1 for p in products for m in p.get("meta_data", []) if m["key"] == META_KEY) == WOO_N
    set_setting(world["uow"], world["store"], "publish.parallel_batches", 1)
    with world["uow"] as uow:
        uow.session.execute(SkuEta.__table__.update().where(SkuEta.shop_id == world["store"])
                            .values(page_date=START + timedelta(days=1)))
        uow.commit()
    state["most"] = 0
    assert publish_dates(world["uow"], world["woo"], world["store"]).written == WOO_N and state["most"] == 1


def test_bad_publish_settings_are_refused_with_their_name(world) -> None:
    from connector.shop_settings import SettingsRefused

    for key, value in (("publish.bulk_threshold", 0), ("publish.bulk_threshold", "many"),
                       ("publish.parallel_batches", 5), ("publish.parallel_batches", True)):
        with pytest.raises(SettingsRefused, match=key):
            set_setting(world["uow"], world["shop"], key, value)
