"""Query cost and the leaky bucket, modelled on Shopify's GraphQL Admin rate limits.

Cost, roughly as Shopify calculates the requested cost: scalars and enums 0, each object 1,
a connection 2 + first x (cost of one node), a list fetched by ``ids`` len(ids) x (cost of one),
each mutation field 10.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
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
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)), None
    )
    if operation is None:
        return 0
    if operation.operation == OperationType.MUTATION:
        return MUTATION_COST * sum(1 for s in operation.selection_set.selections if isinstance(s, FieldNode))
    root = schema.query_type
    if root is None:
        return 0
    return _selection_cost(schema, operation.selection_set, root, fragments, variables)


def _selection_cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(schema, selection, parent, fragments, variables)
        elif isinstance(selection, InlineFragmentNode):
            target = (
                schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            )
            total += _selection_cost(schema, selection.selection_set, target or parent, fragments, variables)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                target = schema.get_type(fragment.type_condition.name.value) or parent
                total += _selection_cost(schema, fragment.selection_set, target, fragments, variables)
    return total


def _field_cost(
    schema: GraphQLSchema,
    node: FieldNode,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    name = node.name.value
    fields = getattr(parent, "fields", None)
    if name.startswith("__") or not fields or name not in fields:
        return 0
    named = get_named_type(fields[name].type)
    if not (is_object_type(named) or is_abstract_type(named)):
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

    def status(self, available: float | None = None) -> dict[str, Any]:
        return {
            "maximumAvailable": float(self.size),
            "currentlyAvailable": int(self.available() if available is None else available),
            "restoreRate": float(self.restore_rate),
        }
