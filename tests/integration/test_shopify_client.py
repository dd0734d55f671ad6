"""The Shopify adapter against the simulator on loopback, on Shopify's real 2026-04 schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import GraphQLSchema

from adapters.http import HttpRetry, HttpTransport
from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from connector.domain.errors import PlatformAuthError, PlatformRejected
from connector.domain.model import BackorderMark, StockRef
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.shopify_sim.graphql_api import build_cached_schema

SHOP = "mugs.myshopify.com"
TOKEN = "shpat_client_test_token"


def seed() -> dict[str, Any]:
    return {
        "api_secret": "secret",
        "api_version": "2026-04",
        "shops": [
            {
                "domain": SHOP,
                "access_token": TOKEN,
                "products": [
                    {
                        "title": "Mug",
                        "variants": [
                            {
                                "sku": "MUG-BLUE",
                                "price": "12.00",
                                "inventory_quantity": 2,
                                "inventory_policy": "CONTINUE",
                            },
                            {
                                "sku": "MUG-RED",
                                "price": "12.00",
                                "inventory_quantity": 5,
                                "inventory_policy": "DENY",
                            },
                        ],
                    },
                    {
                        "title": "Gift card",
                        "variants": [
                            {
                                "sku": "GIFT",
                                "price": "25.00",
                                "inventory_quantity": 0,
                                "inventory_policy": "DENY",
                                "tracked": False,
                            }
                        ],
                    },
                ],
            }
        ],
    }


@pytest.fixture(scope="session")
def real_schema(shopify_schema_sdl: str) -> GraphQLSchema:
    """The simulator's schema from the real SDL, built once per session."""
    return build_cached_schema(shopify_schema_sdl)


def start(schema: GraphQLSchema, **kwargs: Any) -> tuple[ShopifySimulator, ServerHandle]:
    sim = ShopifySimulator(seed(), schema=schema, **kwargs)
    return sim, serve_in_thread(sim.app)


@pytest.fixture
def sim(real_schema: GraphQLSchema) -> Iterator[tuple[ShopifySimulator, ServerHandle]]:
    simulator, handle = start(real_schema, restore_rate=1000.0)  # a Plus shop's rate keeps tests quick
    yield simulator, handle
    handle.stop()


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        import time

        time.sleep(seconds)


def client_for(handle: ServerHandle, token: str = TOKEN, **kwargs: Any) -> ShopifyGraphQL:
    kwargs.setdefault(
        "transport", HttpTransport(retry=HttpRetry(max_attempts=4, base_delay=0.01), name="t")
    )
    return ShopifyGraphQL(SHOP, token, api_base=handle.url + "/", **kwargs)


def variant_id(sim: ShopifySimulator, sku: str) -> str:
    return str(sim.variant(SHOP, sku)["id"])


def test_stock_levels_read_policy_quantity_and_tracking_keyed_by_variant_id(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    platform = ShopifyPlatform(client_for(handle))
    simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 3}], deliver_webhook=False)
    refs = [StockRef(None, variant_id(simulator, sku)) for sku in ("MUG-BLUE", "MUG-RED", "GIFT")]
    refs.append(StockRef(None, "999"))

    levels = platform.stock_levels(refs)

    blue, red, gift = (levels[ref.key] for ref in refs[:3])
    assert (blue.available, blue.backorders_allowed, blue.sku, blue.shortage) == (-1, True, "MUG-BLUE", 1)
    assert (red.available, red.backorders_allowed) == (5, False)
    assert gift.tracked is False and gift.shortage == 0
    assert "999" not in levels


def test_stock_levels_split_more_than_250_ids_into_several_queries(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    platform = ShopifyPlatform(client_for(handle))
    refs = [StockRef(None, str(n)) for n in range(1, 300)] + [
        StockRef(None, variant_id(simulator, "MUG-RED"))
    ]
    before = simulator.admin_calls

    levels = platform.stock_levels(refs)

    assert list(levels) == [variant_id(simulator, "MUG-RED")]
    assert simulator.admin_calls - before == 2


def test_mark_and_unmark_tag_the_order_in_the_store(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    platform = ShopifyPlatform(client_for(handle), backorder_tag="on-backorder")
    order = simulator.create_order(SHOP, [{"sku": "MUG-BLUE", "quantity": 3}], deliver_webhook=False)
    marks = [BackorderMark(str(order["line_items"][0]["id"]), "MUG-BLUE", 1)]

    platform.mark_backordered(str(order["id"]), marks)
    platform.mark_backordered(str(order["id"]), marks)
    assert simulator.order(SHOP, order["id"])["tag_list"] == ["on-backorder"]

    platform.unmark_backordered(str(order["id"]))
    platform.unmark_backordered(str(order["id"]))
    assert simulator.order(SHOP, order["id"])["tag_list"] == []


def test_marking_an_unknown_order_raises_the_user_errors(sim) -> None:  # type: ignore[no-untyped-def]
    platform = ShopifyPlatform(client_for(sim[1]))
    with pytest.raises(PlatformRejected, match="tagsAdd userErrors: id: Order does not exist"):
        platform.mark_backordered("42", [])


def test_orders_updated_since_pages_through_more_than_fifty_orders_oldest_first(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    platform = ShopifyPlatform(client_for(handle))
    base = datetime(2026, 1, 1, tzinfo=UTC)
    simulator.create_order(
        SHOP, [{"sku": "MUG-BLUE", "quantity": 1}], deliver_webhook=False, created_at=base - timedelta(days=1)
    )
    created = [
        simulator.create_order(
            SHOP,
            [{"sku": "MUG-BLUE", "quantity": 1}],
            deliver_webhook=False,
            created_at=base + timedelta(minutes=n),
        )
        for n in range(57)
    ]
    many_lines = [{"sku": "MUG-BLUE", "quantity": 1}] * 8 + [{"sku": "MUG-RED", "quantity": 1}] * 5
    big = simulator.create_order(
        SHOP, many_lines, deliver_webhook=False, created_at=base + timedelta(hours=2)
    )
    before = simulator.admin_calls

    snapshots = list(platform.orders_updated_since(base))

    assert [s.order_id for s in snapshots] == [str(o["id"]) for o in [*created, big]]
    answered = simulator.admin_calls - before - simulator.throttled_count
    assert answered == 3 + 1  # three pages of 25, one follow-up for the 13-line order
    last = snapshots[-1]
    assert len(last.lines) == 13
    assert [line.line_id for line in last.lines] == [str(line["id"]) for line in big["line_items"]]
    first = snapshots[0]
    assert first.name == created[0]["name"] and first.updated_at == base
    assert first.lines[0].variant_id == variant_id(simulator, "MUG-BLUE")
    assert first.lines[0].product_id == str(created[0]["line_items"][0]["product_id"])
    assert first.financial_status == "paid" and first.cancelled is False


def test_orders_updated_since_reads_the_units_left_after_an_order_edit(sim) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    platform = ShopifyPlatform(client_for(handle))
    order = simulator.create_order(
        SHOP, [{"sku": "MUG-BLUE", "quantity": 5}, {"sku": "MUG-RED", "quantity": 2}], deliver_webhook=False
    )
    blue, red = (str(line["id"]) for line in order["line_items"])
    edited = simulator.edit_order(SHOP, order["id"], {blue: 2, red: 0}, deliver_webhook=False)
    assert [line["quantity"] for line in edited["line_items"]] == [5, 2]  # Shopify keeps the removed units

    [snapshot] = list(platform.orders_updated_since(datetime.now(UTC) - timedelta(hours=1)))

    assert [(line.line_id, line.quantity) for line in snapshot.lines] == [(blue, 2), (red, 0)]


def test_a_tiny_bucket_makes_calls_wait_and_then_succeed(real_schema: GraphQLSchema) -> None:
    # each call requests 14 points (7 variants) and is charged 2 (one exists): 13 left after the first,
    # so every later call waits for the one point its request lacks
    simulator, handle = start(real_schema, bucket_size=15, restore_rate=20)
    try:
        sleep = RecordingSleep()
        platform = ShopifyPlatform(client_for(handle, sleep=sleep))
        refs = [StockRef(None, variant_id(simulator, "MUG-BLUE"))] * 1 + [
            StockRef(None, str(n)) for n in range(6)
        ]
        client = platform.client

        results = [platform.stock_levels(refs) for _ in range(8)]

        assert all(len(r) == 1 for r in results)
        assert sleep.calls, "the client waited for budget"
        assert simulator.throttled_count == client.throttled_responses
        assert simulator.throttled_count + len(sleep.calls) >= 1
    finally:
        handle.stop()


def test_throttled_answers_are_retried_until_they_pass(real_schema: GraphQLSchema) -> None:
    simulator, handle = start(real_schema, bucket_size=15, restore_rate=20)  # as above: 14 asked, 2 charged
    try:
        clients = [ShopifyPlatform(client_for(handle, sleep=RecordingSleep())) for _ in range(3)]
        refs = [StockRef(None, variant_id(simulator, "MUG-RED"))] + [StockRef(None, str(n)) for n in range(6)]
        for _ in range(4):
            for platform in clients:
                assert len(platform.stock_levels(refs)) == 1
        assert simulator.throttled_count > 0
        assert sum(p.client.throttled_responses for p in clients) == simulator.throttled_count
    finally:
        handle.stop()


@pytest.mark.parametrize("status", [503, 429])
def test_injected_server_errors_and_429s_are_retried(sim, status: int) -> None:  # type: ignore[no-untyped-def]
    simulator, handle = sim
    platform = ShopifyPlatform(client_for(handle))
    simulator.inject_failures(2, status=status)

    levels = platform.stock_levels([StockRef(None, variant_id(simulator, "MUG-RED"))])

    assert len(levels) == 1
    assert simulator.admin_calls == 3


def test_a_bad_token_raises_platform_auth_error_without_leaking_the_token(sim) -> None:  # type: ignore[no-untyped-def]
    platform = ShopifyPlatform(client_for(sim[1], token="shpat_wrong_secret_value"))
    with pytest.raises(PlatformAuthError) as caught:
        platform.stock_levels([StockRef(None, "1")])
    assert "shpat_wrong_secret_value" not in str(caught.value)
    assert "Invalid API key" in str(caught.value)


def test_an_invalid_document_raises_platform_rejected_with_shopifys_message(sim) -> None:  # type: ignore[no-untyped-def]
    client = client_for(sim[1])
    with pytest.raises(PlatformRejected, match="Cannot query field 'nope' on type 'QueryRoot'"):
        client.execute("{ nope }")


def test_a_query_over_the_single_query_cost_limit_is_rejected(sim) -> None:  # type: ignore[no-untyped-def]
    client = client_for(sim[1])
    with pytest.raises(PlatformRejected, match="MAX_COST_EXCEEDED|exceeds the single query max cost"):
        client.execute("{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { id } } } } }")
