"""Every GraphQL document the connector sends to Shopify is valid on every Admin API version it accepts,
checked against that version's REAL schema (../shared/fixtures/schemas), not the simulator's subset.

The documents are found by scanning adapters/shopify/*.py for module constants that hold a query or
a mutation, so a new document is checked without anyone remembering to list it.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate
from graphql.execution.values import get_variable_values

import adapters.shopify
from connector.domain.shopify_access import API_VERSIONS
from tests.conftest import shared_fixture


def every_document() -> dict[str, str]:
    """module.CONSTANT -> document, for each query or mutation constant in adapters/shopify."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(adapters.shopify.__path__):
        module = importlib.import_module(f"adapters.shopify.{info.name}")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation")):
                found[f"{info.name}.{name}"] = value
    return found


DOCUMENTS = every_document()


@functools.lru_cache(maxsize=4)
def real_schema(version: str) -> GraphQLSchema:
    sdl = shared_fixture(f"schemas/shopify_admin_{version}.graphql").read_text(encoding="utf-8")
    return build_schema(sdl, assume_valid=True)


def test_the_scan_finds_every_module_s_documents() -> None:
    listed: list[Any] = []
    for info in pkgutil.iter_modules(adapters.shopify.__path__):
        listed += list(getattr(importlib.import_module(f"adapters.shopify.{info.name}"), "DOCUMENTS", ()))
    from adapters.shopify import queries

    listed += list(queries.ALL_DOCUMENTS)
    assert set(listed) <= set(DOCUMENTS.values())
    assert len(DOCUMENTS) >= 36 and "access.GRANTED_SCOPES" in DOCUMENTS


@pytest.mark.parametrize("version", API_VERSIONS)
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_validates_against_the_real_schema_of_each_accepted_version(version: str, name: str) -> None:
    errors = validate(real_schema(version), parse(DOCUMENTS[name]))
    assert errors == [], f"{name} is invalid on Admin API {version}: {[e.message for e in errors]}"


def test_a_document_invalid_on_a_version_fails_this_check() -> None:
    """The check bites: 2025-07 (not accepted) refuses the documents that use what it lacks."""
    refused = {name for name, document in DOCUMENTS.items() if validate(real_schema("2025-07"), parse(document))}
    assert refused == {"refunds.REFUND_CREATE", "subscriptions.WEBHOOK_SUBSCRIPTIONS",
                       "subscriptions.WEBHOOK_SUBSCRIPTION_CREATE", "fulfillment_service.SERVICE_CREATE",
                       "bulk.BULK_OPERATION", "bulk.BULK_MUTATIONS_SINCE"}  # 2025-07 has no bulkOperation(s)
    assert "2025-07" not in API_VERSIONS


class RecordingClient:
    """Answers just enough for create_discount and keeps what was sent."""

    shop_domain = "mugs.myshopify.com"

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sent.append((document, dict(variables or {})))
        if "order(" in document:
            return {"order": {"id": "gid://shopify/Order/1", "customer": {"id": "gid://shopify/Customer/7"}}}
        node = {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/1"}, "userErrors": []}
        return {"discountCodeBasicCreate": node, "discountCodeFreeShippingCreate": node}


def variable_errors(schema: GraphQLSchema, document: str, variables: dict[str, Any]) -> list[str]:
    operation = next(d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables)
    return [e.message for e in coerced] if isinstance(coerced, list) else []


@pytest.mark.parametrize("version", API_VERSIONS)
@pytest.mark.parametrize("kind", ["percentage", "free_shipping"])
def test_the_consolation_discount_variables_are_valid_input_on_each_accepted_version(version: str,
                                                                                      kind: str) -> None:
    from datetime import UTC, datetime

    from adapters.shopify.orders_admin import ShopifyOrdersAdmin

    client = RecordingClient()
    admin = ShopifyOrdersAdmin(client)  # type: ignore[arg-type]
    admin.create_discount("SORRY-1", kind=kind, amount=10, customer_email="c@example.com", title="Sorry",
                          ends_at=datetime(2027, 1, 1, tzinfo=UTC), idempotency_key="k", order_id="1")
    document, variables = client.sent[-1]
    assert "discountCode" in document
    assert variable_errors(real_schema(version), document, variables) == []


def test_the_discount_context_input_is_what_2025_07_would_refuse() -> None:
    from datetime import UTC, datetime

    from adapters.shopify.orders_admin import ShopifyOrdersAdmin

    client = RecordingClient()
    ShopifyOrdersAdmin(client).create_discount(  # type: ignore[arg-type]
        "SORRY-2", kind="percentage", amount=10, customer_email="c@example.com", title="Sorry",
        ends_at=datetime(2027, 1, 1, tzinfo=UTC), idempotency_key="k", order_id="1")
    document, variables = client.sent[-1]
    assert any("context" in message for message in variable_errors(real_schema("2025-07"), document, variables))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_simulator_subset_serves_every_document(name: str) -> None:
    from sandbox.shopify_sim.graphql_api import build_cached_schema, subset_sdl

    assert [e.message for e in validate(build_cached_schema(subset_sdl()), parse(DOCUMENTS[name]))] == []
