"""ShopifyPlatform: the StorePlatform port for one Shopify shop.

Webhook bodies are REST Order JSON (numeric ids); API reads use GraphQL and are mapped to the same
numeric ids (``legacyResourceId`` or the numeric tail of a gid) so both sources agree.

A line's quantity is what is still on the order: ``current_quantity`` (GraphQL ``currentQuantity``),
"the number of units ordered, excluding refunded and removed units". ``quantity`` keeps the units an
order edit removed or a refund took off, so it is read only from payloads without the current one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.shopify import batched, bulk, queries, shipments
from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.inventory import parse_inventory_level
from connector.domain.allocation import order_tags
from connector.domain.errors import InvalidPayload, PlatformRejected
from connector.domain.kpis import codes_of
from connector.domain.line_promise import ship_choice
from connector.domain.model import MAX_ID, BackorderMark, OrderLine, OrderSnapshot, StockLevel, StockRef
from connector.domain.promise import collect_attributes
from connector.domain.stock_events import StockChange

log = logging.getLogger(__name__)

DEFAULT_BACKORDER_TAG = "backorder"


def gid(resource: str, numeric_id: str | int) -> str:
    """``gid://shopify/<resource>/<id>`` for a numeric id."""
    return f"gid://shopify/{resource}/{numeric_id}"


def numeric_id(value: str | int | None) -> str | None:
    """The numeric id of a gid or a plain id, as a string (None stays None)."""
    if value is None:
        return None
    text = str(value)
    tail = text.rsplit("/", 1)[-1].split("?", 1)[0]
    return tail or None


class ShopifyPlatform:
    """StorePlatform over Shopify's GraphQL Admin API."""

    def __init__(self, client: ShopifyGraphQL, *, backorder_tag: str = DEFAULT_BACKORDER_TAG) -> None:
        if not backorder_tag:
            raise ValueError("backorder_tag must not be empty")
        self.client = client
        self.backorder_tag = backorder_tag

    # -- webhooks -------------------------------------------------------------------------------

    def parse_order(self, payload: Mapping[str, Any]) -> OrderSnapshot:
        """A REST Order JSON (orders/create|updated|cancelled webhook body) as a snapshot."""
        if not isinstance(payload, Mapping):
            raise InvalidPayload(f"shopify order: expected a JSON object, got {type(payload).__name__}")
        if "order" in payload and "line_items" not in payload and isinstance(payload["order"], Mapping):
            payload = payload["order"]
        order_id = _required_id(payload, "id", "order")
        where = f"shopify order {order_id}"
        raw_lines = payload.get("line_items")
        if not isinstance(raw_lines, list):
            raise InvalidPayload(f"{where}: line_items missing or not a list")
        shipped = shipments.rest_shipped(payload)
        return OrderSnapshot(
            order_id=order_id,
            name=str(payload.get("name") or f"#{payload.get('order_number', order_id)}"),
            created_at=_datetime(payload, "created_at", where),
            updated_at=_datetime(payload, "updated_at", where),
            lines=tuple(_rest_line(line, where, shipped) for line in raw_lines),
            cancelled=payload.get("cancelled_at") is not None,
            customer_email=payload.get("email") or None,
            financial_status=payload.get("financial_status"),
            tags=order_tags(payload.get("tags")),
            attributes=collect_attributes(payload.get("note_attributes"), "name", "value"),
            ship_choice=ship_choice(collect_attributes(payload.get("note_attributes"), "name", "value")),
            attribute_kind="note_attributes",
            currency=shipments.currency(payload.get("currency")),
            locale=locale_text(payload.get("customer_locale")),
            discount_codes=codes_of(payload.get("discount_codes")),
            customer_first_name=first_name(payload.get("customer"), payload.get("billing_address"),
                                           payload.get("shipping_address")),
            status_url=web_address(payload.get("order_status_url")),
        )

    def parse_stock_change(self, payload: Mapping[str, Any]) -> StockChange:
        """An inventory_levels/update body (a REST InventoryLevel) as the inventory item it moved."""
        return parse_inventory_level(payload)

    # -- stock ----------------------------------------------------------------------------------

    def stock_levels(self, refs: Sequence[StockRef]) -> dict[str, StockLevel]:
        keys = list(dict.fromkeys(ref.key for ref in refs))
        levels: dict[str, StockLevel] = {}
        for start in range(0, len(keys), queries.NODES_PER_QUERY):
            chunk = keys[start : start + queries.NODES_PER_QUERY]
            data = self.client.execute(
                queries.STOCK_LEVELS, {"ids": [gid("ProductVariant", key) for key in chunk]}
            )
            for node in data.get("nodes") or []:
                if not node or node.get("__typename", "ProductVariant") != "ProductVariant":
                    continue
                key = numeric_id(node.get("legacyResourceId") or node.get("id"))
                if key is None:
                    continue
                levels[key] = StockLevel(
                    key=key,
                    available=node.get("inventoryQuantity"),
                    backorders_allowed=node.get("inventoryPolicy") == "CONTINUE",
                    tracked=bool((node.get("inventoryItem") or {}).get("tracked", True)),
                    sku=node.get("sku") or None,
                    inventory_item_id=numeric_id((node.get("inventoryItem") or {}).get("id")),
                )
        return levels

    # -- marking --------------------------------------------------------------------------------

    def mark_backordered(self, order_id: str, marks: Sequence[BackorderMark]) -> None:
        """Tag the order (tagsAdd is idempotent on Shopify's side)."""
        variables = {"id": gid("Order", order_id), "tags": [self.backorder_tag]}
        data = self.client.execute(queries.TAGS_ADD, variables)
        raise_user_errors(data.get("tagsAdd"), "tagsAdd")
        log.info(
            "shopify order tagged %s",
            self.backorder_tag,
            extra={"order_id": order_id, "lines": [m.line_id for m in marks]},
        )

    def mark_many(self, marks: Mapping[str, Sequence[BackorderMark]]) -> dict[str, PlatformRejected]:
        """Tag several orders (the tag does not carry their lines), a few dozen a call
        (adapters/shopify/batched.py); returns each refused order's error; a failure of a whole call is raised."""
        return batched.tag_orders(self.client, list(marks), self.backorder_tag)

    bulk_marks_min = bulk.MARKS_BULK_MIN

    def mark_bulk(self, order_ids: Sequence[str]) -> str:
        """BulkMarks: tag the orders by one bulk mutation, line n tagging ``order_ids[n]``; returns the
        operation's id (BulkBusy when the shop's bulk mutations are at Shopify's limit)."""
        return bulk.tag_orders(self.client, order_ids, self.backorder_tag).id

    def bulk_marks_outcome(self, operation_id: str) -> dict[int, tuple[str, ...]] | None:
        """BulkMarks: None while the operation runs; once finished, what each line it reached returned
        (its errors, empty when tagged) by line number; lines it never reached are absent. An operation
        Shopify no longer knows reached none."""
        try:
            operation = bulk.read_operation(self.client, operation_id)
        except PlatformRejected:
            log.warning("shopify bulk tagging unknown", extra={"operation": operation_id})
            return {}
        if not operation.finished:
            return None
        url = operation.url or operation.partial_url
        if not url:
            return {}
        return {result.line: result.errors for result in bulk.read_results(self.client, url, "tagsAdd")}

    def unmark_backordered(self, order_id: str) -> None:
        variables = {"id": gid("Order", order_id), "tags": [self.backorder_tag]}
        data = self.client.execute(queries.TAGS_REMOVE, variables)
        raise_user_errors(data.get("tagsRemove"), "tagsRemove")
        log.info("shopify order untagged %s", self.backorder_tag, extra={"order_id": order_id})

    # -- checkout promise -----------------------------------------------------------------------

    def delivery_promise(self, order_id: str) -> datetime | None:
        """The latest ``maxDeliveryDateTime`` over the order's fulfillment orders: the delivery date
        Shopify promised at checkout. None when no delivery method states one (or the order is gone)."""
        data = self.client.execute(queries.DELIVERY_PROMISE, {"id": gid("Order", order_id),
                                                              "first": queries.FULFILLMENT_ORDERS_PER_PROMISE})
        return batched.latest_promise(order_id, data.get("order") or {})

    def capture_wait(self, orders: int) -> float:
        """StoreBudget: how long until the shop's cost budget covers capturing ``orders`` orders."""
        tags = bulk.MARKS_BULK_POINTS if orders >= bulk.MARKS_BULK_MIN else orders * batched.TAG_POINTS
        return self.client.budget_wait(orders * batched.PROMISE_POINTS + tags)

    def delivery_promises(self, order_ids: Sequence[str]) -> dict[str, datetime | None]:
        """``delivery_promise`` of several orders, a few dozen a call (adapters/shopify/batched.py)."""
        return batched.delivery_promises(self.client, order_ids)

    # -- reconciliation -------------------------------------------------------------------------

    def orders_updated_since(self, since: datetime) -> Iterator[OrderSnapshot]:
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        variables: dict[str, Any] = {
            "first": queries.ORDERS_PAGE_SIZE,
            "lines": queries.LINES_PER_ORDER_PAGE,
            "query": f"updated_at:>='{stamp}'",
            "after": None,
        }
        while True:
            data = self.client.execute(queries.ORDERS_UPDATED_SINCE, variables)
            connection = data.get("orders") or {}
            for node in connection.get("nodes") or []:
                try:
                    snapshot = self._graphql_order(node)
                except InvalidPayload as exc:  # one order that cannot be read must not stop reconciliation
                    log.error("shopify order skipped by reconciliation: %s", exc,
                              extra={"order": (node or {}).get("legacyResourceId")})
                    continue
                yield snapshot
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            if not page.get("endCursor"):
                raise PlatformRejected("shopify orders: hasNextPage without endCursor")
            variables = {**variables, "after": page["endCursor"]}

    def order(self, order_id: str) -> OrderSnapshot | None:
        """The order as the store describes it now (GraphQL, the reconciliation read); None when gone."""
        data = self.client.execute(queries.ORDER_BY_ID, {"id": gid("Order", order_id),
                                                         "lines": queries.LINES_PER_ORDER_PAGE})
        node = data.get("order")
        return self._graphql_order(node) if node else None

    def order_for_shipment(self, payload: Mapping[str, Any]) -> OrderSnapshot | None:
        """A fulfillments/* webhook body (REST Fulfillment: ``order_id``, ``line_items``) -> the order's
        current state, read through GraphQL (connector/shipping/events.py says why)."""
        if not isinstance(payload, Mapping):
            raise InvalidPayload(f"shopify fulfillment: expected a JSON object, got {type(payload).__name__}")
        order_id = _required_id(payload, "order_id", "fulfillment")
        _require_id_range(order_id)
        return self.order(order_id)

    def _graphql_order(self, node: Mapping[str, Any]) -> OrderSnapshot:
        order_id = numeric_id(node.get("legacyResourceId") or node.get("id"))
        if not order_id:
            raise InvalidPayload("shopify GraphQL order without an id")
        where = f"shopify order {order_id}"
        line_nodes = list((node.get("lineItems") or {}).get("nodes") or [])
        page = (node.get("lineItems") or {}).get("pageInfo") or {}
        while page.get("hasNextPage"):
            data = self.client.execute(
                queries.ORDER_LINE_ITEMS,
                {
                    "id": gid("Order", order_id),
                    "first": queries.LINE_ITEMS_PAGE_SIZE,
                    "after": page.get("endCursor"),
                },
            )
            more = ((data.get("order") or {}).get("lineItems")) or {}
            line_nodes.extend(more.get("nodes") or [])
            page = more.get("pageInfo") or {}
        status = node.get("displayFinancialStatus")
        return OrderSnapshot(
            order_id=order_id,
            name=str(node.get("name") or ""),
            created_at=_datetime(node, "createdAt", where),
            updated_at=_datetime(node, "updatedAt", where),
            lines=tuple(_graphql_line(line, where) for line in line_nodes),
            cancelled=node.get("cancelledAt") is not None,
            customer_email=node.get("email") or None,
            financial_status=status.lower() if isinstance(status, str) else None,
            tags=order_tags(node.get("tags")),
            attributes=collect_attributes(node.get("customAttributes"), "key", "value"),
            ship_choice=ship_choice(collect_attributes(node.get("customAttributes"), "key", "value")),
            attribute_kind="note_attributes",
            currency=shipments.currency(node.get("currencyCode")),
            locale=locale_text(node.get("customerLocale")),
        )


def first_name(*sources: Any) -> str | None:
    """The first non-empty ``first_name`` of the customer, billing or shipping address (REST), cut to 100."""
    for source in sources:
        value = source.get("first_name") if isinstance(source, Mapping) else None
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:100]
    return None


def web_address(value: Any) -> str | None:
    """An https (or http) address as the store gave it, else None; never anything else in a link."""
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 1000 \
            and not any(c.isspace() for c in value):
        return value
    return None


def locale_text(value: Any) -> str | None:
    """A customer locale as Shopify gives it ("en", "nl-NL"): a short string, else None."""
    return value.strip()[:35] if isinstance(value, str) and value.strip() else None


def _required_id(payload: Mapping[str, Any], key: str, what: str) -> str:
    value = payload.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, int | str) or str(value) == "":
        raise InvalidPayload(f"shopify {what}: missing or invalid {key!r}: {value!r}")
    return str(value)


def _require_id_range(value: str) -> None:
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        raise InvalidPayload(f"shopify fulfillment: order_id is not a numeric id: {value[:24]!r}")


def _optional_id(payload: Mapping[str, Any], key: str, where: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPayload(f"{where}: invalid {key!r}: {value!r}")
    return str(value)


def _datetime(payload: Mapping[str, Any], key: str, where: str) -> datetime:
    value = payload.get(key)
    if not isinstance(value, str):
        raise InvalidPayload(f"{where}: missing or invalid {key!r}: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidPayload(f"{where}: {key} is not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidPayload(f"{where}: {key} has no UTC offset: {value!r}")
    return parsed


def _quantity(line: Mapping[str, Any], current_key: str, where: str) -> int:
    """Units still on the line: ``current_key`` (current_quantity / currentQuantity) when the payload
    carries it, else ``quantity`` (payloads older than the field)."""
    key = current_key if line.get(current_key) is not None else "quantity"
    value = line.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPayload(f"{where}: missing or invalid {key}: {value!r}")
    if value < 0:
        raise InvalidPayload(f"{where}: negative {key} {value}")
    return value


def _rest_line(line: Any, where: str, shipped: Mapping[str, tuple[int, datetime | None]]) -> OrderLine:
    if not isinstance(line, Mapping):
        raise InvalidPayload(f"{where}: line item is not an object: {line!r}")
    line_id = _required_id(line, "id", f"{where} line item")
    line_where = f"{where} line {line_id}"
    quantity = _quantity(line, "current_quantity", line_where)
    fulfilled, fulfilled_at = shipments.rest_line_shipped(line, quantity, shipped)
    return OrderLine(
        line_id=line_id,
        quantity=quantity,
        sku=line.get("sku") or None,
        product_id=_optional_id(line, "product_id", line_where),
        variant_id=_optional_id(line, "variant_id", line_where),
        title=str(line.get("name") or line.get("title") or ""),  # "Product - Variant": the variant shows
        fulfilled_quantity=fulfilled,
        unit_price=shipments.rest_unit_price(line),
        fulfilled_at=fulfilled_at,
        properties=collect_attributes(line.get("properties"), "name", "value"),
    )


def _graphql_line(line: Mapping[str, Any], where: str) -> OrderLine:
    line_id = numeric_id(line.get("id"))
    if not line_id:
        raise InvalidPayload(f"{where}: line item without an id")
    variant = line.get("variant") or {}
    product = line.get("product") or {}
    quantity = _quantity(line, "currentQuantity", f"{where} line {line_id}")
    return OrderLine(
        line_id=line_id,
        quantity=quantity,
        sku=line.get("sku") or None,
        product_id=numeric_id(product.get("legacyResourceId")),
        variant_id=numeric_id(variant.get("legacyResourceId")),
        title=str(line.get("name") or line.get("title") or ""),  # as the REST line's name
        fulfilled_quantity=shipments.graphql_line_shipped(line, quantity),
        unit_price=shipments.graphql_unit_price(line),
        properties=collect_attributes(line.get("customAttributes"), "key", "value"),
    )
