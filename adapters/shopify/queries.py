"""Every GraphQL document the connector sends to Shopify's Admin API.

Each one is validated against the real schema in ``tests/unit/test_shopify_documents.py``.
Page sizes keep each query's requested cost under Shopify's single-query limit (1000 points):
Shopify charges 2 + first x (cost of one node) for a connection and 1 per object.
"""

from __future__ import annotations

ORDERS_PAGE_SIZE = 20
"""Orders per page of ``ORDERS_UPDATED_SINCE`` (20: the page with its lines, their custom attributes, the
order's tags and locale costs about 880 points; 25 went over the 1000-point limit)."""

LINES_PER_ORDER_PAGE = 10
"""Line items read with each order; orders with more lines are completed by ``ORDER_LINE_ITEMS``."""

LINE_ITEMS_PAGE_SIZE = 100
"""Line items per page of ``ORDER_LINE_ITEMS`` (cost about 2 + 100 x 3)."""

NODES_PER_QUERY = 250
"""Shopify's limit on input arrays, so the most ids one ``nodes`` query may carry."""

STOCK_LEVELS = """
query ConnectorStockLevels($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    ... on ProductVariant {
      id
      legacyResourceId
      sku
      inventoryPolicy
      inventoryQuantity
      inventoryItem {
        id
        tracked
      }
    }
  }
}
"""

_LINE_ITEM_FIELDS = """
        id
        quantity
        currentQuantity
        unfulfilledQuantity
        sku
        title
        name
        customAttributes {
          key
          value
        }
        variant {
          legacyResourceId
        }
        product {
          legacyResourceId
        }
"""

ORDERS_UPDATED_SINCE = (
    """
query ConnectorOrdersUpdatedSince($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      legacyResourceId
      name
      email
      createdAt
      updatedAt
      cancelledAt
      displayFinancialStatus
      tags
      currencyCode
      customerLocale
      customAttributes {
        key
        value
      }
      lineItems(first: $lines) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {"""
    + _LINE_ITEM_FIELDS
    + """        }
      }
    }
  }
}
"""
)

ORDER_BY_ID = (
    """
query ConnectorOrderById($id: ID!, $lines: Int!) {
  order(id: $id) {
    id
    legacyResourceId
    name
    email
    createdAt
    updatedAt
    cancelledAt
    displayFinancialStatus
    tags
    currencyCode
    customerLocale
    customAttributes {
      key
      value
    }
    lineItems(first: $lines) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {"""
    + _LINE_ITEM_FIELDS
    + """        discountedUnitPriceAfterAllDiscountsSet {
          shopMoney {
            amount
          }
        }
      }
    }
  }
}
"""
)
"""One order as reconciliation reads it, with each line's price paid. A fulfillments/* webhook carries a
fulfillment, not the order, so the order's current state is read (connector/shipping/events.py). The paged
read leaves prices out: two objects a line take 25 orders x 10 lines over the 1000-point query limit."""

ORDER_LINE_ITEMS = (
    """
query ConnectorOrderLineItems($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {"""
    + _LINE_ITEM_FIELDS
    + """      }
    }
  }
}
"""
)

TAGS_ADD = """
mutation ConnectorTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node {
      id
    }
    userErrors {
      field
      message
    }
  }
}
"""

TAGS_REMOVE = """
mutation ConnectorTagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) {
    node {
      id
    }
    userErrors {
      field
      message
    }
  }
}
"""

FULFILLMENT_ORDERS_PER_PROMISE = 5
"""Fulfillment orders read for an order's delivery promise: one per location and split, rarely more than a
few. The requested cost grows with it (20 cost 43 points an order, 5 cost 13), and it is asked per short order."""

DELIVERY_PROMISE = """
query ConnectorDeliveryPromise($id: ID!, $first: Int!) {
  order(id: $id) {
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
"""
"""Shopify's own delivery promise: asked once per order that has backorders (connector/capture/promise.py)."""

ALL_DOCUMENTS: tuple[str, ...] = (STOCK_LEVELS, ORDERS_UPDATED_SINCE, ORDER_LINE_ITEMS, TAGS_ADD, TAGS_REMOVE,
                                  DELIVERY_PROMISE, ORDER_BY_ID)
