"""Every paged Shopify query, at the page sizes the adapters send, stays under Shopify's single-query
limit of 1000 requested points (counted the way the simulator charges: 2 + first x node cost per
connection, 1 per object). A field added to a paged selection multiplies by the page size; this test
is what notices before a shop's reconciliation is refused ("Query cost is 1102")."""

from __future__ import annotations

import pytest
from graphql import parse

from adapters.shopify import batched, queries, sales_history
from sandbox.shopify_sim.cost import actual_cost, requested_cost
from sandbox.shopify_sim.graphql_api import build_cached_schema, subset_sdl

SINGLE_QUERY_LIMIT = 1000

PAGED = {
    "orders updated since (reconciliation)": (
        queries.ORDERS_UPDATED_SINCE,
        {"first": queries.ORDERS_PAGE_SIZE, "after": None, "query": "updated_at:>'2026-01-01'",
         "lines": queries.LINES_PER_ORDER_PAGE}),
    "an order's remaining line items": (
        queries.ORDER_LINE_ITEMS, {"id": "gid://shopify/Order/1", "first": queries.LINE_ITEMS_PAGE_SIZE,
                                   "after": None}),
    "sales history orders": (
        sales_history.SALES_ORDERS,
        {"first": sales_history.ORDERS_PER_PAGE, "after": None, "query": "created_at:<'2026-01-01'",
         "lines": sales_history.LINES_PER_ORDER}),
}


@pytest.mark.parametrize("name", sorted(PAGED))
def test_a_paged_query_at_its_page_size_costs_at_most_the_single_query_limit(name: str) -> None:
    document, variables = PAGED[name]
    cost = requested_cost(build_cached_schema(subset_sdl()), parse(document), variables)
    assert 0 < cost <= SINGLE_QUERY_LIMIT, f"{name}: {cost} points at its page size"


def test_the_actual_cost_counts_what_came_back_null_objects_and_missing_nodes_cost_nothing() -> None:
    schema = build_cached_schema(subset_sdl())
    document = parse(batched.DELIVERY_PROMISES)
    variables = {"ids": ["gid://shopify/Order/1", "gid://shopify/Order/2", "gid://shopify/Order/3"],
                 "first": queries.FULFILLMENT_ORDERS_PER_PROMISE}
    one = {"__typename": "Order", "id": "gid://shopify/Order/1",
           "fulfillmentOrders": {"nodes": [{"deliveryMethod": {"maxDeliveryDateTime": None}}]}}
    none = {"__typename": "Order", "id": "gid://shopify/Order/3", "fulfillmentOrders": {"nodes": []}}

    assert requested_cost(schema, document, variables) == 3 * (1 + 2 + queries.FULFILLMENT_ORDERS_PER_PROMISE * 2)
    # order 1: itself, its connection, one fulfillment order and its delivery method; order 2 null
    assert actual_cost(schema, document, variables, {"nodes": [one, None, none]}) == (1 + 2 + 2) + 0 + (1 + 2)
    assert actual_cost(schema, document, variables, {"nodes": [None, None, None]}) == 0


def test_a_fragment_on_another_type_costs_nothing_and_a_mutation_costs_what_it_requested() -> None:
    schema = build_cached_schema(subset_sdl())
    document = parse("query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Order { id customer { id } } "
                     "... on ProductVariant { id inventoryItem { id } } } }")
    variables = {"ids": ["gid://shopify/ProductVariant/1"]}
    variant = {"__typename": "ProductVariant", "id": "gid://shopify/ProductVariant/1", "inventoryItem": {"id": "x"}}
    assert actual_cost(schema, document, variables, {"nodes": [variant]}) == 1 + 1

    tags = parse(batched.tags_add_document(2))
    assert actual_cost(schema, tags, {}, {"m0": None, "m1": None}) == requested_cost(schema, tags, {}) == 20
