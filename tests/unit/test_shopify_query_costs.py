"""Every paged Shopify query, at the page sizes the adapters send, stays under Shopify's single-query
limit of 1000 requested points (counted the way the simulator charges: 2 + first x node cost per
connection, 1 per object). A field added to a paged selection multiplies by the page size; this test
is what notices before a shop's reconciliation is refused ("Query cost is 1102")."""

from __future__ import annotations

import pytest
from graphql import parse

from adapters.shopify import queries, sales_history
from sandbox.shopify_sim.cost import requested_cost
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
