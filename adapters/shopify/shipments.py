"""What a Shopify order says was shipped, and at what price: read from the REST Order JSON that
orders/* webhooks carry and from the GraphQL order reads (reconciliation, fulfillments/* webhooks).

Shipped units of a line:
- REST: the sum of the line's quantities over the order's ``fulfillments`` whose ``status`` is
  ``success`` (``pending``/``open`` are not shipped yet; ``cancelled``, ``error`` and ``failure``
  never shipped). A line whose ``fulfillment_status`` is ``fulfilled`` counts whole even when the
  payload lists no fulfillments. The line's last shipment time is the latest such fulfillment's
  ``created_at``.
- GraphQL: ``currentQuantity - unfulfilledQuantity`` (units still on the order that are no longer
  waiting to be fulfilled). No time is read there (a connection per fulfillment would multiply
  the query's cost); the closing service then uses the order's ``updatedAt``.
Either way the count is capped at the line's current quantity (domain ``OrderLine``).

Price per unit: REST ``price`` minus the line's ``discount_allocations`` spread over its
``quantity``; GraphQL ``discountedUnitPriceAfterAllDiscountsSet.shopMoney`` (read for one order only:
the paged reconciliation read leaves it out for its cost, and capture keeps the price it has). Both are in the shop's
currency (REST ``currency``, GraphQL ``currencyCode``), which is the currency stored on the order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connector.domain.model import MAX_PRICE

log = logging.getLogger(__name__)

SHIPPED_STATUS = "success"
"""The REST Fulfillment ``status`` of units that left the warehouse."""

CENT = Decimal("0.01")


def _money(value: Any) -> Decimal | None:
    """A finite amount within what a price column holds, else None (an absurd price is not a reason
    to refuse the order: it is left unknown)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and abs(amount) <= MAX_PRICE else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def rest_shipped(order: Mapping[str, Any]) -> dict[str, tuple[int, datetime | None]]:
    """Units shipped and the last shipment time per line id, from the order's ``fulfillments``."""
    shipped: dict[str, tuple[int, datetime | None]] = {}
    fulfillments = order.get("fulfillments")
    for fulfillment in fulfillments if isinstance(fulfillments, list) else []:
        if not isinstance(fulfillment, Mapping) or fulfillment.get("status") != SHIPPED_STATUS:
            continue
        when = _time(fulfillment.get("created_at"))
        items = fulfillment.get("line_items")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping) or item.get("id") is None:
                continue
            line_id = str(item["id"])
            units, latest = shipped.get(line_id, (0, None))
            if when is not None and (latest is None or when > latest):
                latest = when
            shipped[line_id] = (units + _count(item.get("quantity")), latest)
    return shipped


def rest_line_shipped(line: Mapping[str, Any], quantity: int,
                      shipped: Mapping[str, tuple[int, datetime | None]]) -> tuple[int, datetime | None]:
    """One REST line's shipped units (and last shipment time) given ``rest_shipped`` of its order."""
    units, when = shipped.get(str(line.get("id")), (0, None))
    if line.get("fulfillment_status") == "fulfilled":
        units = max(units, quantity)
    return min(units, quantity), when


def rest_unit_price(line: Mapping[str, Any]) -> Decimal | None:
    """``price`` less the line's discount allocations per unit ordered; None when not readable."""
    price = _money(line.get("price"))
    ordered = line.get("quantity")
    if price is None or not isinstance(ordered, int) or isinstance(ordered, bool) or ordered <= 0:
        return price.quantize(CENT, ROUND_HALF_UP) if price is not None and price >= 0 else None
    discount = Decimal("0")
    allocations = line.get("discount_allocations")
    for allocation in allocations if isinstance(allocations, list) else []:
        amount = _money(allocation.get("amount")) if isinstance(allocation, Mapping) else None
        if amount is not None and amount > 0:
            discount += amount
    unit = (price - discount / ordered).quantize(CENT, ROUND_HALF_UP)
    return unit if unit >= 0 else Decimal("0.00")


def graphql_line_shipped(line: Mapping[str, Any], quantity: int) -> int:
    """``currentQuantity - unfulfilledQuantity`` within 0..quantity; 0 when the read omits it."""
    unfulfilled = line.get("unfulfilledQuantity")
    if not isinstance(unfulfilled, int) or isinstance(unfulfilled, bool):
        return 0
    return max(0, min(quantity, quantity - unfulfilled))


def graphql_unit_price(line: Mapping[str, Any]) -> Decimal | None:
    bag = line.get("discountedUnitPriceAfterAllDiscountsSet")
    money = bag.get("shopMoney") if isinstance(bag, Mapping) else None
    amount = _money(money.get("amount")) if isinstance(money, Mapping) else None
    if amount is None or amount < 0:
        return None
    return amount.quantize(CENT, ROUND_HALF_UP)


def currency(value: Any) -> str | None:
    """A 3-letter currency code, or None (logged) when the payload gives something else."""
    if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha() and value.isascii():
        return value.strip().upper()
    if value is not None:
        log.warning("shopify order currency unreadable; left unknown", extra={"currency": str(value)[:12]})
    return None
