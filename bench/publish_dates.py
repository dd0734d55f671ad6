"""Publishing benchmark: 10,000 SKUs with changed dates written to the Shopify simulator.

The simulator applies Shopify's standard-plan throttle (a leaky bucket of 1,000 cost points
refilled at 100 points/s; every mutation costs 10). The connector publishes with metafieldsSet in
batches of 25, pacing itself from the throttleStatus it reads in each response.

Setup (not timed): a simulated shop with N variants, the catalogue mirror and a new date for every
SKU stored directly in the database. Timed: ``publish_dates`` until every date is on its page.
Prints calls made, throttled responses, wall time, the theoretical minimum
((calls x cost - bucket) / restore rate) and the ratio; target within 1.2x, zero failures.

    .venv/bin/python bench/publish_dates.py [--skus 10000]

This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import date, timedelta

BUCKET = 1000.0
RESTORE = 100.0
MUTATION_COST = 10
TARGET = 1.2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=10_000)
    args = parser.parse_args()

    from adapters.shopify.catalog import METAFIELDS_PER_CALL, ShopifyCatalog
    from adapters.shopify.client import ShopifyGraphQL
    from connector.crypto import CredentialBox, generate_key
    from connector.db.engine import make_engine, upgrade
    from connector.db.uow import UnitOfWork
    from connector.domain.model import Platform, ShopCredentials
    from connector.logs import configure
    from connector.settings_registry import registry
    from connector.shop_settings import use as use_shop_settings
    from connector.shops import add_shop
    from connector.supply.models import SkuEta, StoreSku
    from connector.supply.publish import publish_dates
    from sandbox.runner import start_sandbox

    configure("WARNING")
    use_shop_settings(registry())  # as bootstrap does: this bench builds its unit of work itself
    domain, token = "bench-dates.myshopify.com", "shpat_bench"
    per_product = 4
    seed = {"shopify": {"api_secret": "s", "shops": [{"domain": domain, "access_token": token, "products": [
        {"title": f"P{p}", "variants": [{"sku": f"B-{p:05d}-{v}", "inventory_quantity": 0}
                                        for v in range(per_product)]}
        for p in range(math.ceil(args.skus / per_product))]}]}, "woocommerce": {"stores": []}}
    sandbox = start_sandbox(seed, restore_rate=RESTORE, bucket_size=BUCKET)
    with tempfile.TemporaryDirectory(prefix="publish-bench-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        uow, box = UnitOfWork(engine), CredentialBox(generate_key())
        shop_id = add_shop(uow, box, Platform.SHOPIFY, domain, ShopCredentials(access_token=token)).id
        variants = list(sandbox.shopify.shop(domain).variants.values())[:args.skus]
        start = date(2026, 12, 1)
        with uow:
            for n, v in enumerate(variants):
                uow.session.add(StoreSku(shop_id=shop_id, sku=v.sku, product_id=str(v.product_id),
                                         variant_id=str(v.id), available=0))
                day = start + timedelta(days=n % 60)
                uow.session.add(SkuEta(shop_id=shop_id, sku=v.sku, expected_date=day, page_date=day,
                                       source="supplier_restock"))
            uow.commit()
        client = ShopifyGraphQL(domain, token, api_base=sandbox.shopify_url)
        catalog = ShopifyCatalog(client)
        started = time.perf_counter()
        report = publish_dates(uow, catalog, shop_id)
        wall = time.perf_counter() - started
        on_pages = sum(1 for v in variants if ("app--sim", "in_stock_date") in v.metafields)
        rerun = publish_dates(uow, catalog, shop_id)
        engine.dispose()
    sandbox.stop()
    calls = math.ceil(len(variants) / METAFIELDS_PER_CALL)
    minimum = max(0.0, (calls * MUTATION_COST - BUCKET) / RESTORE)
    ratio = wall / minimum if minimum else 0.0  # everything fits in the full bucket: no wait is needed
    print(f"SKUs with changed dates:  {len(variants):,}")
    print(f"throttle:                 bucket {BUCKET:.0f} points, restore {RESTORE:.0f} points/s, "
          f"{MUTATION_COST} points a mutation")
    print(f"calls made:               {catalog.calls} (metafieldsSet x {METAFIELDS_PER_CALL})")
    print(f"throttled responses:      {client.throttled_responses} (simulator counted "
          f"{sandbox.shopify.graphql.throttled_count})")
    print(f"failures:                 {report.failed}; dates on pages: {on_pages:,}")
    print(f"wall time:                {wall:.1f}s")
    print(f"theoretical minimum:      {minimum:.1f}s  ratio {ratio:.2f}x  "
          f"(target <= {TARGET}x, zero failures: "
          f"{'met' if ratio <= TARGET and report.failed == 0 and on_pages == len(variants) else 'MISSED'})")
    print(f"rerun with nothing changed: {rerun.batches} calls")
    return 0 if report.failed == 0 and on_pages == len(variants) else 1


if __name__ == "__main__":
    sys.exit(main())
