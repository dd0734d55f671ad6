"""Query cost and the leaky bucket, modelled on Shopify's GraphQL Admin rate limits.

Cost, roughly as Shopify calculates the requested cost: scalars and enums 0, each object 1,
a connection 2 + first x (cost of one node), a list fetched by ``ids`` len(ids) x (cost of one),
each mutation field 10.

The requested cost is what a query must find in the bucket to run; the bucket is then charged its
actual cost, counted the same way on what came back (an object that is null costs nothing, a
connection 2 + its returned nodes), and the difference goes back to the bucket. Shopify: "The actual
cost is based on the results returned, since the query can end early due to an object type field
returning null, or connection fields returning fewer edges than requested"
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits), and a response's
``currentlyAvailable`` reflects the actual cost, not the requested one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
)
from graphql.type import GraphQLNamedType

MUTATION_COST = 10
MAX_QUERY_COST = 1000
"""Shopify's limit on a single query's requested cost."""


def requested_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    operation_name: str | None = None,
) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    if operation.operation == OperationType.MUTATION:
        return MUTATION_COST * sum(1 for s in operation.selection_set.selections if isinstance(s, FieldNode))
    root = schema.query_type
    if root is None:
        return 0
    return _selection_cost(schema, operation.selection_set, root, fragments, variables)


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    data: Mapping[str, Any] | None,
    operation_name: str | None = None,
) -> int:
    """What a query that ran cost, counted on the ``data`` it returned; never more than its requested
    cost (a mutation costs what it requested: 10 a mutation field)."""
    requested = requested_cost(schema, document, variables, operation_name)
    operation = _operation(document, operation_name)
    if operation is None or operation.operation == OperationType.MUTATION or schema.query_type is None:
        return requested
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    spent = _returned_cost(schema, operation.selection_set, schema.query_type, fragments, data or {})
    return min(requested, spent)


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return next((o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)),
                None)


def _fields(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    typename: str | None = None,
) -> Iterator[tuple[FieldNode, GraphQLNamedType]]:
    """The fields a selection asks of an object of type ``parent``, with the type each is a field of, through
    its inline fragments and fragment spreads; with ``typename`` (a returned object's ``__typename``), not
    those of fragments on another object type."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, parent
            continue
        if isinstance(selection, InlineFragmentNode):
            condition, inner = selection.type_condition, selection.selection_set
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            fragment = fragments[selection.name.value]
            condition, inner = fragment.type_condition, fragment.selection_set
        else:
            continue
        target = (schema.get_type(condition.name.value) if condition else None) or parent
        if typename and is_object_type(target) and target.name != typename:
            continue  # a fragment on another type: not part of this object
        yield from _fields(schema, inner, target, fragments, typename)


def _returned_cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    value: Mapping[str, Any],
) -> int:
    """The cost of the objects under ``selection_set`` that ``value`` (one returned object) holds."""
    return sum(_returned_field_cost(schema, node, of, fragments, value)
               for node, of in _fields(schema, selection_set, parent, fragments, value.get("__typename")))


def _returned_field_cost(
    schema: GraphQLSchema,
    node: FieldNode,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    value: Mapping[str, Any],
) -> int:
    named = _object_type_of(node, parent)
    if named is None:
        return 0
    returned = value.get(node.alias.value if node.alias else node.name.value)
    if returned is None:
        return 0  # null: the query ended there

    def each(item: Any) -> int:
        if not isinstance(item, Mapping):
            return 0
        return _returned_cost(schema, node.selection_set, named, fragments, item)

    items = returned if isinstance(returned, list) else [returned]
    if named.name.endswith("Edge") or named.name == "PageInfo":
        return sum(each(item) for item in items)
    if named.name.endswith("Connection"):
        return 2 + sum(each(item) for item in items)  # its nodes/edges count as they came back
    if isinstance(returned, list):  # nodes(ids:) or a plain list: each object that came back
        return sum(1 + each(item) for item in items if item is not None)
    return 1 + each(returned)


def _selection_cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    return sum(_field_cost(schema, node, of, fragments, variables)
               for node, of in _fields(schema, selection_set, parent, fragments))


def _field_cost(
    schema: GraphQLSchema,
    node: FieldNode,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    named = _object_type_of(node, parent)
    if named is None:
        return 0
    inner = _selection_cost(schema, node.selection_set, named, fragments, variables)
    if named.name.endswith("Edge") or named.name == "PageInfo":
        return inner
    if named.name.endswith("Connection"):
        size = _int_argument(node, "first", variables) or _int_argument(node, "last", variables) or 1
        return 2 + size * inner
    ids = _list_length(node, "ids", variables)
    if ids is not None:
        return ids * (1 + inner)
    return 1 + inner


def _object_type_of(node: FieldNode, parent: GraphQLNamedType) -> GraphQLNamedType | None:
    """The object, interface or union type a field of ``parent`` returns (None: a scalar, an enum, an
    introspection field or a field the type does not have: they cost nothing)."""
    name = node.name.value
    fields = getattr(parent, "fields", None)
    if name.startswith("__") or not fields or name not in fields:
        return None
    named = get_named_type(fields[name].type)
    return named if is_object_type(named) or is_abstract_type(named) else None


def _argument(node: FieldNode, name: str) -> Any:
    return next((a.value for a in node.arguments or () if a.name.value == name), None)


def _int_argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    value = _argument(node, name)
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, VariableNode):
        raw = variables.get(value.name.value)
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    return None


def _list_length(node: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    value = _argument(node, name)
    if isinstance(value, ListValueNode):
        return len(value.values)
    if isinstance(value, VariableNode):
        raw = variables.get(value.name.value)
        return len(raw) if isinstance(raw, list) else 1 if raw is not None else None
    return None


@dataclass
class Charge:
    allowed: bool
    requested: int
    available: float


class LeakyBucket:
    """Cost points: ``size`` at most, refilled at ``restore_rate`` points per second. Thread-safe."""

    def __init__(self, size: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if size <= 0 or restore_rate <= 0:
            raise ValueError("bucket size and restore rate must be positive")
        self.size = size
        self.restore_rate = restore_rate
        self._clock = clock
        self._available = size
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.size, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def charge(self, cost: int) -> Charge:
        with self._lock:
            self._refill()
            if cost > self._available:
                return Charge(False, cost, self._available)
            self._available -= cost
            return Charge(True, cost, self._available)

    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._available

    def refund(self, points: float) -> float:
        """Give back points charged but not spent (requested minus actual cost); the points now available."""
        with self._lock:
            self._refill()
            self._available = min(self.size, self._available + max(0.0, points))
            return self._available

    def status(self, available: float | None = None) -> dict[str, Any]:
        return {
            "maximumAvailable": float(self.size),
            "currentlyAvailable": int(self.available() if available is None else available),
            "restoreRate": float(self.restore_rate),
        }
