"""Several orders in one GraphQL call: the checkout promises of a batch of orders (``nodes``) and their
backorder tags (``tagsAdd`` under one alias per order), for the batches of events that capture takes
together (connector/capture/batch.py, connector/capture/marks.py).

Each order keeps its own answer: a ``tagsAdd`` alias that returns ``userErrors`` is that order's
refusal, the others are tagged. A document the store refuses as a whole (a top-level error) is raised,
so the caller falls back to one call per order and learns which order it was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.queries import FULFILLMENT_ORDERS_PER_PROMISE
from connector.domain.errors import PlatformRejected

log = logging.getLogger(__name__)

ORDERS_PER_CALL = 25
"""Orders per document: 25 promise reads cost about 325 points, well under Shopify's 1,000 a query."""

PROMISE_POINTS = 5
"""What reading one order's checkout promise costs of the shop's budget, actual points (the order, its
fulfillment orders' connection and one fulfillment order with its delivery method; Shopify charges what
came back, not the 13 requested)."""
TAG_POINTS = 10
"""What tagging one order by a ``tagsAdd`` costs (a mutation; aliases are charged each). Many orders at
once go as one bulk mutation instead (adapters/shopify/bulk.py ``MARKS_BULK_POINTS``)."""

DELIVERY_PROMISES = """
query ConnectorDeliveryPromises($ids: [ID!]!, $first: Int!) {
  nodes(ids: $ids) {
    __typename
    ... on Order {
      id
      fulfillmentOrders(first: $first) {
        nodes {
          deliveryMethod {
            maxDeliveryDateTime
          }
        }
      }
    }
  }
}
"""
"""Shopify's own delivery promise of several orders (as queries.DELIVERY_PROMISE does for one)."""


def tags_add_document(count: int) -> str:
    """A mutation adding the same tags to ``count`` orders: ``$id0``..., one aliased ``tagsAdd`` each."""
    variables = ", ".join(f"$id{n}: ID!" for n in range(count))
    fields = "\n".join(f"  m{n}: tagsAdd(id: $id{n}, tags: $tags) {{\n    node {{\n      id\n    }}\n"
                       f"    userErrors {{\n      field\n      message\n    }}\n  }}" for n in range(count))
    return f"mutation ConnectorTagsAddMany($tags: [String!]!, {variables}) {{\n{fields}\n}}\n"


TAGS_ADD_MANY_EXAMPLE = tags_add_document(3)
"""The shape every ``tags_add_document`` has (the document tests validate it against the real schema)."""


def gid(resource: str, numeric: str) -> str:
    return f"gid://shopify/{resource}/{numeric}"


def delivery_promises(client: ShopifyGraphQL, order_ids: Sequence[str]) -> dict[str, datetime | None]:
    """Order id -> the latest ``maxDeliveryDateTime`` of its fulfillment orders (None: none stated, or
    the order is gone), ``ORDERS_PER_CALL`` orders a call."""
    found: dict[str, datetime | None] = {order_id: None for order_id in order_ids}
    ids = list(found)
    for start in range(0, len(ids), ORDERS_PER_CALL):
        chunk = ids[start:start + ORDERS_PER_CALL]
        data = client.execute(DELIVERY_PROMISES, {"ids": [gid("Order", order_id) for order_id in chunk],
                                                  "first": FULFILLMENT_ORDERS_PER_PROMISE})
        for order_id, node in zip(chunk, data.get("nodes") or [], strict=False):
            found[order_id] = latest_promise(order_id, node or {})
    return found


def latest_promise(order_id: str, order: Mapping[str, Any]) -> datetime | None:
    """The latest ``maxDeliveryDateTime`` over an order's fulfillment orders (None when none states one)."""
    latest: datetime | None = None
    for node in (order.get("fulfillmentOrders") or {}).get("nodes") or []:
        value = ((node or {}).get("deliveryMethod") or {}).get("maxDeliveryDateTime")
        if not isinstance(value, str):
            continue
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            log.warning("shopify maxDeliveryDateTime unreadable", extra={"order_id": order_id})
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        latest = moment if latest is None or moment > latest else latest
    return latest


def tag_orders(client: ShopifyGraphQL, order_ids: Sequence[str], tag: str) -> dict[str, PlatformRejected]:
    """Add ``tag`` to each order, ``ORDERS_PER_CALL`` a call; returns the refusals by order id (the
    ``userErrors`` of its alias). A failure of a whole call is raised (PlatformError)."""
    refused: dict[str, PlatformRejected] = {}
    for start in range(0, len(order_ids), ORDERS_PER_CALL):
        chunk = list(order_ids[start:start + ORDERS_PER_CALL])
        variables: dict[str, Any] = {"tags": [tag]}
        variables.update({f"id{n}": gid("Order", order_id) for n, order_id in enumerate(chunk)})
        data = client.execute(tags_add_document(len(chunk)), variables)
        for n, order_id in enumerate(chunk):
            try:
                raise_user_errors(data.get(f"m{n}"), "tagsAdd")
            except PlatformRejected as exc:
                refused[order_id] = exc
    log.info("shopify orders tagged %s", tag, extra={"orders": len(order_ids), "refused": len(refused)})
    return refused
