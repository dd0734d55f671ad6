"""The simulated GraphQL Admin endpoint: validate, charge the bucket, execute against the schema."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from sandbox.shopify_sim.access import APP_SCOPES, denied_fields
from sandbox.shopify_sim.cost import MAX_QUERY_COST, LeakyBucket, actual_cost, requested_cost
from sandbox.shopify_sim.pagination import connection, order_filter
from sandbox.shopify_sim.store import (
    Order,
    Shop,
    gid,
    graphql_line,
    graphql_time,
    graphql_variant,
)

log = logging.getLogger(__name__)

THROTTLED_ERROR = {
    "message": "Throttled",
    "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
}


def subset_sdl() -> str:
    """The hand-written schema subset shipped with the simulator."""
    return resources.files(__package__).joinpath("subset.graphql").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=4)
def build_cached_schema(sdl: str) -> GraphQLSchema:
    """Build (once per SDL text) a schema; the real Admin schema takes seconds to build."""
    return build_schema(sdl, assume_valid=True)


@functools.lru_cache(maxsize=512)
def checked_document(schema: GraphQLSchema, query: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """A query's parsed document and its validation errors against ``schema`` (the document None and the
    syntax error when it does not parse), once per schema and query text: a client sends the same few
    documents over and over (with other variables), and parsing and validating the connector's two capture
    documents (adapters/shopify/batched.py) took 1.7 and 2.7 ms each, a request. Documents are only read
    after this (execution, access and cost walk them)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error,)
    return document, tuple(validate(schema, document))


def _error_code(message: str) -> str:
    for pattern, code in (
        ("Cannot query field", "undefinedField"),
        ("Unknown argument", "argumentNotAccepted"),
        ("is required, but it was not provided", "missingRequiredArguments"),
        ("Unknown type", "undefinedType"),
        ("Variable", "variableMismatch"),
        ("Syntax Error", "parseError"),
    ):
        if pattern in message:
            return code
    return "validationError"


def _shopify_error(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        formatted["path"] = list(error.path)
    formatted["extensions"] = {"code": (error.extensions or {}).get("code") or _error_code(error.message)}
    return formatted


class AdminGraphQL:
    """Executes Admin API documents for one simulator; shop state lives in ``Shop`` objects."""

    def __init__(
        self,
        schema: GraphQLSchema,
        bucket_factory: Callable[[], LeakyBucket],
        on_order_changed: Callable[[Shop, Order], None],
    ) -> None:
        self.schema = schema
        self._bucket_factory = bucket_factory
        self._buckets: dict[str, LeakyBucket] = {}
        self._on_order_changed = on_order_changed
        self.throttled_count = 0
        from sandbox.shopify_sim.extensions import EXTENSIONS

        self.extensions: list[Callable[[AdminGraphQL, Shop], dict[str, Any]]] = list(EXTENSIONS)

    def bucket(self, shop: Shop) -> LeakyBucket:
        if shop.domain not in self._buckets:
            self._buckets[shop.domain] = self._bucket_factory()
        return self._buckets[shop.domain]

    def handle(self, shop: Shop, body: Mapping[str, Any], *, granted: frozenset[str] | None = None,
               schema: GraphQLSchema | None = None) -> dict[str, Any]:
        """One POST body in, one Shopify-shaped JSON response out (always HTTP 200).

        ``schema`` is the schema of the API version asked for (default: the simulator's own);
        ``granted`` the access scopes of the token (None: every scope): a root field outside them is
        refused with ACCESS_DENIED, as Shopify does, and nothing of the operation runs."""
        schema = schema or self.schema
        query = body.get("query")
        variables = body.get("variables") or {}
        if not isinstance(query, str) or not query.strip():
            return {
                "errors": [{"message": "No query string was present", "extensions": {"code": "parseError"}}]
            }
        document, errors = checked_document(schema, query)
        if errors:
            return {"errors": [_shopify_error(e) for e in errors]}
        assert document is not None
        denied = denied_fields(document, body.get("operationName"), granted)
        if denied:
            return {"data": {error["path"][0]: None for error in denied}, "errors": denied}
        bucket = self.bucket(shop)
        cost = requested_cost(schema, document, variables, body.get("operationName"))
        limit = min(MAX_QUERY_COST, bucket.size)
        if cost > limit:
            return {
                "errors": [
                    {
                        "message": f"Query cost is {cost}, which exceeds the single query max cost "
                        f"limit ({int(limit)}).",
                        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": int(limit)},
                    }
                ]
            }
        charge = bucket.charge(cost)
        if not charge.allowed:
            self.throttled_count += 1
            return {
                "errors": [THROTTLED_ERROR],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": cost,
                        "actualQueryCost": None,
                        "throttleStatus": bucket.status(charge.available),
                    }
                },
            }
        result = execute_sync(
            schema,
            document,
            root_value=self._root(shop),
            context_value={"granted": granted},
            variable_values=variables,
            operation_name=body.get("operationName"),
        )
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [_shopify_error(e) for e in result.errors]
        actual = actual_cost(schema, document, variables, result.data, body.get("operationName"))
        available = bucket.refund(cost - actual)
        response["extensions"] = {
            "cost": {
                "requestedQueryCost": cost,
                "actualQueryCost": actual,
                "throttleStatus": bucket.status(available),
            }
        }
        return response

    # -- resolvers --------------------------------------------------------------------------------

    def _root(self, shop: Shop) -> dict[str, Any]:
        def nodes(info: Any, ids: list[str]) -> list[dict[str, Any] | None]:
            return [self._node(shop, node_id) for node_id in ids]

        def orders(info: Any, **args: Any) -> dict[str, Any]:
            sort_key = args.get("sortKey", "PROCESSED_AT")
            attribute = (
                "updated_at" if sort_key == "UPDATED_AT" else "id" if sort_key == "ID" else "created_at"
            )
            matching = [o for o in shop.orders.values() if order_filter(args.get("query"))(o)]
            matching.sort(key=lambda o: (getattr(o, attribute), o.id))
            keys = [(str(getattr(o, attribute)), o.id) for o in matching]
            return connection(matching, keys, self._order, args)

        def variants(info: Any, **args: Any) -> dict[str, Any]:
            items = sorted(shop.variants.values(), key=lambda v: v.id)
            return connection(items, [(str(v.id), v.id) for v in items], graphql_variant, args)

        def tags_add(info: Any, id: str, tags: list[str]) -> dict[str, Any]:  # noqa: A002
            return self._tags(shop, id, tags, add=True)

        def tags_remove(info: Any, id: str, tags: list[str]) -> dict[str, Any]:  # noqa: A002
            return self._tags(shop, id, tags, add=False)

        def current_installation(info: Any) -> dict[str, Any]:
            granted = (info.context or {}).get("granted")
            handles = sorted(granted) if granted is not None else list(APP_SCOPES)
            return {"id": "gid://shopify/AppInstallation/1",
                    "accessScopes": [{"handle": h, "description": h.replace("_", " ")} for h in handles]}

        roots: dict[str, Any] = {
            "currentAppInstallation": current_installation,
            "nodes": nodes,
            "node": lambda info, id: self._node(shop, id),
            "order": lambda info, id: self._node(shop, id, "Order"),
            "productVariant": lambda info, id: self._node(shop, id, "ProductVariant"),
            "orders": orders,
            "productVariants": variants,
            "tagsAdd": tags_add,
            "tagsRemove": tags_remove,
        }
        for extension in self.extensions:  # feature modules add root fields (see extensions.py)
            roots.update(extension(self, shop))
        return roots

    def _node(self, shop: Shop, node_id: str, only: str | None = None) -> dict[str, Any] | None:
        match = re.fullmatch(r"gid://shopify/(\w+)/(\d+)", node_id)
        if not match or (only and match.group(1) != only):
            return None
        resource, number = match.group(1), int(match.group(2))
        if resource == "ProductVariant":
            variant = shop.variant_by_id(number)
            return graphql_variant(variant) if variant else None
        if resource == "Order" and number in shop.orders:
            return self._order(shop.orders[number])
        return None

    def _order(self, order: Order) -> dict[str, Any]:
        def line_items(info: Any, **args: Any) -> dict[str, Any]:
            return connection(
                order.lines, [(str(line.id), line.id) for line in order.lines], graphql_line, args
            )

        fields: dict[str, Any] = {
            "__typename": "Order",
            "id": gid("Order", order.id),
            "legacyResourceId": str(order.id),
            "name": order.name,
            "email": order.email,
            "customer": {"id": gid("Customer", order.customer_id)} if order.customer_id else None,
            "createdAt": graphql_time(order.created_at),
            "updatedAt": graphql_time(order.updated_at),
            "cancelledAt": graphql_time(order.cancelled_at),
            "closed": False,
            "displayFinancialStatus": order.financial_status.upper(),
            "displayFulfillmentStatus": "UNFULFILLED",
            "tags": sorted(order.tags),
            "customAttributes": [{"key": a["name"], "value": a.get("value")} for a in order.note_attributes],
            "customerLocale": order.customer_locale,
            "lineItems": line_items,
        }
        from sandbox.shopify_sim.extensions import ORDER_FIELDS

        for extra in ORDER_FIELDS:  # feature modules add Order fields (see extensions.py)
            fields.update(extra(self, order))
        return fields

    def _tags(self, shop: Shop, node_id: str, tags: list[str], *, add: bool) -> dict[str, Any]:
        match = re.fullmatch(r"gid://shopify/Order/(\d+)", node_id)
        order = shop.orders.get(int(match.group(1))) if match else None
        if order is None:
            return {"node": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}
        cleaned = [t.strip() for t in tags if t.strip()]
        before = list(order.tags)
        if add:
            order.tags.extend(t for t in cleaned if t.lower() not in {x.lower() for x in order.tags})
        else:
            order.tags[:] = [t for t in order.tags if t.lower() not in {x.lower() for x in cleaned}]
        if order.tags != before:
            self._on_order_changed(shop, order)
        return {"node": {"__typename": "Order", "id": gid("Order", order.id)}, "userErrors": []}
