"""Relay-style connections with opaque cursors, and Shopify's order search filter (dates only)."""

from __future__ import annotations

import base64
import functools
import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

from sandbox.shopify_sim.store import Order


def encode_cursor(value: str, numeric_id: int) -> str:
    return base64.b64encode(json.dumps({"last_id": numeric_id, "last_value": value}).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        raw = json.loads(base64.b64decode(cursor.encode()))
        return str(raw["last_value"]), int(raw["last_id"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}") from None


def connection(
    items: Sequence[Any],
    keys: Sequence[tuple[str, int]],
    render: Callable[[Any], dict[str, Any]],
    args: Mapping[str, Any],
) -> dict[str, Any]:
    """A Relay connection over ``items`` (already sorted by ``keys``), honouring first/after/last/before."""
    first: int | None = args.get("first")
    last: int | None = args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    indexed = list(zip(keys, items, strict=True))
    reverse = bool(args.get("reverse"))
    if reverse:
        indexed.reverse()
    start, end = 0, len(indexed)
    if args.get("after"):
        after = decode_cursor(args["after"])
        start = sum(1 for key, _ in indexed if (key >= after if reverse else key <= after))
    if args.get("before"):
        before = decode_cursor(args["before"])
        end = sum(1 for key, _ in indexed if (key > before if reverse else key < before))
    window = indexed[start:end]
    if first is not None:
        has_next, window = len(window) > first, window[:first]
        has_prev = start > 0
    else:
        last = last or 0
        has_prev, window = len(window) > last, window[-last:] if last else []
        has_next = end < len(indexed)
    edges = [{"cursor": encode_cursor(*key), "node": render(item)} for key, item in window]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


_FILTER = re.compile(r"(updated_at|created_at):\s*(>=|<=|>|<)?\s*['\"]?([^'\"\s]+)['\"]?")


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "": operator.eq,
}


def _compare(attribute: str, compare: Callable[[Any, Any], bool], bound: datetime, order: Order) -> bool:
    return compare(getattr(order, attribute).replace(microsecond=0), bound)


def order_filter(query: str | None) -> Callable[[Order], bool]:
    if not query:
        return lambda order: True
    tests: list[Callable[[Order], bool]] = []
    for field_name, op, raw in _FILTER.findall(query):
        try:
            bound = datetime.fromisoformat(raw)
        except ValueError:
            continue
        if bound.tzinfo is None:
            bound = bound.replace(tzinfo=UTC)
        compare = _OPERATORS[op]
        tests.append(functools.partial(_compare, field_name, compare, bound))
    return lambda order: all(test(order) for test in tests)
