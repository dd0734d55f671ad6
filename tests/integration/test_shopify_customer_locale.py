"""The customer's language on orders read over GraphQL (reconciliation, ORDER_BY_ID): Shopify's
``customerLocale``, answered by the simulator on the real 2026-04 schema and on its own subset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.http import HttpRetry, HttpTransport
from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from sandbox.serve import serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.shopify_sim.graphql_api import build_cached_schema, subset_sdl

SHOP = "mugs.myshopify.com"
TOKEN = "shpat_locale_test_token"


def seed() -> dict[str, Any]:
    variant = {"sku": "MUG-BLUE", "price": "12.00", "inventory_quantity": 0, "inventory_policy": "CONTINUE"}
    return {"api_secret": "secret", "api_version": "2026-04",
            "shops": [{"domain": SHOP, "access_token": TOKEN, "products": [{"title": "Mug", "variants": [variant]}]}]}


@pytest.fixture(params=["real-2026-04", "subset"])
def sim(request: pytest.FixtureRequest, shopify_schema_sdl: str) -> Iterator[tuple[ShopifySimulator, ShopifyPlatform]]:
    sdl = shopify_schema_sdl if request.param == "real-2026-04" else subset_sdl()
    simulator = ShopifySimulator(seed(), schema=build_cached_schema(sdl), restore_rate=1000.0)
    handle = serve_in_thread(simulator.app)
    client = ShopifyGraphQL(SHOP, TOKEN, api_base=handle.url + "/",
                            transport=HttpTransport(retry=HttpRetry(max_attempts=2, base_delay=0.01), name="t"))
    yield simulator, ShopifyPlatform(client)
    handle.stop()


def test_an_order_read_by_id_carries_the_customers_locale(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, platform = sim
    dutch = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], deliver_webhook=False,
                                   customer_locale="nl-NL")
    unknown = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], deliver_webhook=False)

    read = platform.order(str(dutch["id"]))
    assert read is not None and read.locale == "nl-NL"
    other = platform.order(str(unknown["id"]))
    assert other is not None and other.locale is None


def test_reconciliation_reads_each_orders_locale(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, platform = sim
    for locale in ("nl", "en-US", None):
        simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], deliver_webhook=False,
                               customer_locale=locale)

    snapshots = list(platform.orders_updated_since(datetime.now(UTC) - timedelta(hours=1)))

    assert [s.locale for s in snapshots] == ["nl", "en-US", None]


def test_the_webhook_body_and_the_graphql_read_agree_on_the_locale(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, platform = sim
    body = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], deliver_webhook=False,
                                  customer_locale="nl-BE")
    assert body["customer_locale"] == "nl-BE"
    webhook = platform.parse_order(body)
    read = platform.order(str(body["id"]))
    assert read is not None and webhook.locale == read.locale == "nl-BE"
