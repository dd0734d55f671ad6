"""Every GraphQL document the Shopify adapter sends is valid against Shopify's real 2026-04 schema."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from adapters.shopify import catalog, fulfillment, queries


@pytest.mark.parametrize("document", queries.ALL_DOCUMENTS + catalog.DOCUMENTS + fulfillment.DOCUMENTS,
                         ids=lambda d: d.split("(")[0].split()[-1])
def test_each_document_validates_against_the_real_admin_schema(shopify_schema, document: str) -> None:
    errors = validate(shopify_schema, parse(document))
    assert errors == [], [e.message for e in errors]


def test_all_documents_lists_every_document_constant_in_the_module() -> None:
    names = [name for name in vars(queries) if name.isupper()]
    constants = {
        name
        for name in names
        if isinstance(getattr(queries, name), str)
        and getattr(queries, name).lstrip().startswith(("query", "mutation"))
    }
    listed = {name for name in names if getattr(queries, name) in queries.ALL_DOCUMENTS}
    assert constants == listed


@pytest.mark.parametrize("document", __import__("adapters.shopify.subscriptions", fromlist=["DOCUMENTS"]).DOCUMENTS,
                         ids=lambda d: d.split("(")[0].split()[-1])
def test_each_subscription_document_validates_against_the_real_admin_schema(shopify_schema, document: str) -> None:
    errors = validate(shopify_schema, parse(document))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("document", __import__("adapters.shopify.orders_admin", fromlist=["DOCUMENTS"]).DOCUMENTS,
                         ids=lambda d: d.split("(")[0].split()[-1])
def test_each_notify_document_validates_against_the_real_schema_and_the_simulator_subset(shopify_schema,
                                                                                          document: str) -> None:
    from graphql import build_schema

    from connector.sandbox.shopify_sim.graphql_api import subset_sdl

    assert [e.message for e in validate(shopify_schema, parse(document))] == []
    assert [e.message for e in validate(build_schema(subset_sdl()), parse(document))] == []


@pytest.mark.parametrize("document", __import__("adapters.shopify.fulfillment_service",
                                                fromlist=["DOCUMENTS"]).DOCUMENTS,
                         ids=lambda d: d.split("(")[0].split()[-1])
def test_each_fulfillment_service_document_validates_against_the_real_schema_and_the_simulator(
        shopify_schema, document: str) -> None:
    from graphql import build_schema

    from connector.sandbox.shopify_sim.graphql_api import subset_sdl

    assert [e.message for e in validate(shopify_schema, parse(document))] == []
    assert [e.message for e in validate(build_schema(subset_sdl()), parse(document))] == []
