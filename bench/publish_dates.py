"""Publishing benchmark: changed dates written to the Shopify simulator, per call and in bulk.

The simulator applies Shopify's standard-plan throttle (a leaky bucket of 1,000 cost points refilled at
100 points/s; every mutation costs 10). Per call, the connector publishes with metafieldsSet in batches of
25, pacing itself from the throttleStatus it reads in each response: its floor is the per-call throttle
bound ((calls x cost - bucket) / restore rate). Above ``publish.bulk_threshold`` (default 1,000) it stages
a JSONL file and runs one bulk mutation instead (bulkOperationRunMutation), which the throttle does not pace.

Two runs, each on a fresh simulated shop and database (setup not timed):

- baseline: ``--baseline`` SKUs (default 10,000) per call; wall time against its throttle bound, target
  within 1.2x, zero failures;
- bulk: ``--skus`` SKUs (default 100,000) through the bulk path; wall time until every date is on its page,
  against the per-call throttle bound for the same SKUs; target at most 0.5x, zero failures.

    .venv/bin/python bench/publish_dates.py [--skus 100000] [--baseline 10000]

The bulk figure measures the simulator, which runs the lines as fast as this machine executes them; Shopify's
own bulk throughput is not known here. This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta

BUCKET = 1000.0
RESTORE = 100.0
MUTATION_COST = 10
PER_CALL_TARGET = 1.2
BULK_TARGET = 0.5


@dataclass
class Run:
    skus: int
    wall: float
    calls: int
    throttled: int
    failed: int
    on_pages: int
    bulk_operations: int
    rerun_calls: int


def throttle_bound(skus: int) -> float:
    from adapters.shopify.catalog import METAFIELDS_PER_CALL

    calls = math.ceil(skus / METAFIELDS_PER_CALL)
    return max(0.0, (calls * MUTATION_COST - BUCKET) / RESTORE)


def run(skus: int, *, bulk: bool) -> Run:
    from sqlalchemy import insert

    from adapters.shopify.catalog import ShopifyCatalog
    from adapters.shopify.client import ShopifyGraphQL
    from connector.crypto import CredentialBox, generate_key
    from connector.db.engine import make_engine, upgrade
    from connector.db.uow import UnitOfWork
    from connector.domain.model import Platform, ShopCredentials
    from connector.shop_settings import set_setting
    from connector.shops import add_shop
    from connector.supply.models import SkuEta, StoreSku
    from connector.supply.publish import publish_dates
    from sandbox.runner import start_sandbox

    domain, token = "bench-dates.myshopify.com", "shpat_bench"
    per_product = 4
    seed = {"shopify": {"api_secret": "s", "shops": [{"domain": domain, "access_token": token, "products": [
        {"title": f"P{p}", "variants": [{"sku": f"B-{p:06d}-{v}", "inventory_quantity": 0}
                                        for v in range(per_product)]}
        for p in range(math.ceil(skus / per_product))]}]}, "woocommerce": {"stores": []}}
    sandbox = start_sandbox(seed, restore_rate=RESTORE, bucket_size=BUCKET)
    try:
        with tempfile.TemporaryDirectory(prefix="publish-bench-") as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            upgrade(engine)
            uow, box = UnitOfWork(engine), CredentialBox(generate_key())
            shop_id = add_shop(uow, box, Platform.SHOPIFY, domain, ShopCredentials(access_token=token)).id
            variants = list(sandbox.shopify.shop(domain).variants.values())[:skus]
            start = date(2026, 12, 1)
            with uow:
                assert uow.session is not None
                uow.session.execute(insert(StoreSku), [
                    {"shop_id": shop_id, "sku": v.sku, "product_id": str(v.product_id), "variant_id": str(v.id),
                     "available": 0, "backorders_allowed": False} for v in variants])
                uow.session.execute(insert(SkuEta), [
                    {"shop_id": shop_id, "sku": v.sku, "expected_date": start + timedelta(days=n % 60),
                     "page_date": start + timedelta(days=n % 60), "source": "supplier_restock"}
                    for n, v in enumerate(variants)])
                uow.commit()
            if not bulk:
                set_setting(uow, shop_id, "publish.bulk_threshold", max(1, skus))  # every date per call
            client = ShopifyGraphQL(domain, token, api_base=sandbox.shopify_url)
            catalog = ShopifyCatalog(client)
            started = time.perf_counter()
            report = publish_dates(uow, catalog, shop_id, wait_seconds=3600)
            wall = time.perf_counter() - started
            on_pages = sum(1 for v in variants if ("app--sim", "in_stock_date") in v.metafields)
            calls = catalog.calls
            publish_dates(uow, catalog, shop_id)
            engine.dispose()
    finally:
        sandbox.stop()
    return Run(len(variants), wall, calls, client.throttled_responses, report.failed, on_pages,
               report.bulk_operations, catalog.calls - calls)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=100_000, help="SKUs published in bulk")
    parser.add_argument("--baseline", type=int, default=10_000, help="SKUs published per call (0: skip)")
    args = parser.parse_args()
    if args.skus <= 1000:
        parser.error("--skus must be above the bulk threshold (1000)")

    from adapters import outbound
    from connector.logs import configure
    from connector.settings_registry import registry
    from connector.shop_settings import use as use_shop_settings

    configure("WARNING")
    use_shop_settings(registry())  # as bootstrap does: this bench builds its unit of work itself
    outbound.configure(outbound.OutboundPolicy(allow_private_targets=True))  # the simulator is on loopback
    print(f"throttle: bucket {BUCKET:.0f} points, restore {RESTORE:.0f} points/s, {MUTATION_COST} points a mutation")
    good = True
    if args.baseline:
        base = run(args.baseline, bulk=False)
        bound = throttle_bound(base.skus)
        ratio = base.wall / bound if bound else 0.0
        ok = ratio <= PER_CALL_TARGET and base.failed == 0 and base.on_pages == base.skus
        good = good and base.failed == 0 and base.on_pages == base.skus
        print(f"per call, {base.skus:,} SKUs:  {base.calls} calls, {base.throttled} throttled, {base.failed} failed, "
              f"{base.on_pages:,} on pages; {base.wall:.1f}s vs throttle bound {bound:.1f}s = {ratio:.2f}x "
              f"(target <= {PER_CALL_TARGET}x: {verdict(ok)}); rerun {base.rerun_calls} calls")
    bulk = run(args.skus, bulk=True)
    bound = throttle_bound(bulk.skus)
    ratio = bulk.wall / bound if bound else 0.0
    ok = ratio <= BULK_TARGET and bulk.failed == 0 and bulk.on_pages == bulk.skus
    good = good and bulk.failed == 0 and bulk.on_pages == bulk.skus
    print(f"bulk, {bulk.skus:,} SKUs:  {bulk.bulk_operations} bulk operation(s), {bulk.calls} calls, "
          f"{bulk.failed} failed, {bulk.on_pages:,} on pages; rerun {bulk.rerun_calls} calls")
    print(f"  per-call throttle bound for the same SKUs: {bound:.1f}s "
          f"({math.ceil(bulk.skus / 25)} calls x {MUTATION_COST} - {BUCKET:.0f}) / {RESTORE:.0f}")
    print(f"  bulk wall time: {bulk.wall:.1f}s  ratio {ratio:.2f}x  (target <= {BULK_TARGET}x: {verdict(ok)})")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
