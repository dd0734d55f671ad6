"""WooCommerce REST v3 order JSON (webhook body or API read) → ``OrderSnapshot``. Pure functions.

Refunded units: WooCommerce keeps ``line_items[].quantity`` as ordered when units of a line are
refunded; the order JSON only lists ``refunds: [{id, reason, total}]``. Each refund (GET
``orders/<id>/refunds``) has ``line_items`` with a negative ``quantity`` and the order line's id in
the meta ``_refunded_item_id`` (``wc_create_refund``; WooCommerce's own
``WC_Order::get_qty_refunded_for_item`` adds them up the same way). ``refunded_units`` sums them
per line and ``parse_order(..., refunded=...)`` takes them off: a line holds ``quantity`` minus its
refunded units, and its 'Backordered' meta (units short at checkout) shrinks by them too, since the
units refunded are the ones that were waiting before any in stock.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connector.domain.errors import InvalidPayload
from connector.domain.kpis import codes_of
from connector.domain.line_promise import ship_choice
from connector.domain.model import MAX_PRICE, OrderLine, OrderSnapshot
from connector.domain.promise import collect_attributes

PAID_STATUSES = frozenset({"processing", "completed"})
"""``wc_get_is_paid_statuses()`` in WooCommerce core."""

DEFAULT_BACKORDERED_META_KEYS: tuple[str, ...] = ("Backordered",)
"""The line meta key WooCommerce writes in an English store (``__('Backordered', 'woocommerce')``)."""

SHIPPED_STATUS = "completed"
"""The order status that means every line shipped ("Order fulfilled and complete")."""

TRACKING_META = "_wc_shipment_tracking_items"
"""Order meta the WooCommerce Shipment Tracking extension writes ([{tracking_number, date_shipped, ...}]):
present and non-empty, the order has shipped (the extension tracks the whole order, not lines); an item
that names a ``line_item_id`` (the connector's drop-ship parcels) ships only its ``quantity`` of that line."""

REFUNDED_ITEM_META = "_refunded_item_id"
"""Meta of a refund's line item: the id of the order line it takes units off (a string in REST JSON)."""

log = logging.getLogger(__name__)


def parse_wc_datetime(value: Any, field: str) -> datetime:
    """A ``*_gmt`` value such as ``2017-03-22T19:28:02`` (no offset, UTC) → aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise InvalidPayload(f"woocommerce order: {field} missing or not a string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidPayload(f"woocommerce order: {field} is not an ISO 8601 date: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def financial_status(payload: Mapping[str, Any]) -> str:
    """A Shopify-like financial status derived from the WooCommerce order status and date_paid.

    ``refunded`` → "refunded"; a paid status (processing, completed) or a set ``date_paid`` →
    "paid"; anything else (pending, on-hold, failed, cancelled unpaid) → "pending".
    """
    status = payload.get("status")
    if status == "refunded":
        return "refunded"
    if status in PAID_STATUSES or payload.get("date_paid_gmt") or payload.get("date_paid"):
        return "paid"
    return "pending"


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidPayload(f"woocommerce order: {field} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise InvalidPayload(f"woocommerce order: {field} must be an integer, got {value!r}")


def backordered_units(meta_data: Any, keys: Collection[str], line_id: str) -> int | None:
    """Units short from the first line meta whose ``key`` or ``display_key`` is in ``keys``."""
    if meta_data is None:
        return None
    if not isinstance(meta_data, list):
        raise InvalidPayload(f"woocommerce order: line {line_id} meta_data is not a list")
    for meta in meta_data:
        if not isinstance(meta, Mapping):
            continue
        if meta.get("key") in keys or meta.get("display_key") in keys:
            return _int(meta.get("value"), f"line {line_id} meta {meta.get('key')!r}")
    return None


def has_refunds(payload: Any) -> bool:
    """Whether the order JSON lists any refund (``refunds`` non-empty): only then are its refunds read."""
    return isinstance(payload, Mapping) and bool(payload.get("refunds"))


def refunded_units(refunds: Iterable[Any]) -> dict[str, int]:
    """Units refunded per order line id, from the refund objects of one order.

    A refund line whose order line cannot be told (no readable ``_refunded_item_id``) or whose
    quantity is not a number is logged and left out: its units keep counting, as they did before
    the refund, rather than blocking the order's capture (and with it a reconciliation pass).
    """
    units: dict[str, int] = {}
    for refund in refunds:
        if not isinstance(refund, Mapping):
            log.warning("woocommerce refund is not an object; ignored")
            continue
        for item in refund.get("line_items") or []:
            if not isinstance(item, Mapping):
                continue
            line_id = _refunded_item_id(item.get("meta_data"))
            quantity = _refund_quantity(item.get("quantity", 0))
            if line_id is None or quantity is None:
                log.warning("woocommerce refund line without a readable order line or quantity; its units "
                            "still count", extra={"refund_id": refund.get("id"), "refund_line_id": item.get("id")})
            elif quantity:
                units[line_id] = units.get(line_id, 0) + quantity
    return units


def _refund_quantity(value: Any) -> int | None:
    """Units a refund line takes off (WooCommerce writes them negative); None when unreadable."""
    try:
        return abs(_int(value, "refund line quantity"))
    except InvalidPayload:
        return None


def _refunded_item_id(meta_data: Any) -> str | None:
    for meta in meta_data if isinstance(meta_data, list) else []:
        if isinstance(meta, Mapping) and meta.get("key") == REFUNDED_ITEM_META:
            value = str(meta.get("value") or "").strip()
            return value if value.isdigit() and value != "0" else None
    return None


def _tracking_items(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items: list[Mapping[str, Any]] = []
    metas = payload.get("meta_data")
    for meta in metas if isinstance(metas, list) else []:
        if isinstance(meta, Mapping) and meta.get("key") == TRACKING_META and isinstance(meta.get("value"), list):
            items = [i for i in meta["value"] if isinstance(i, Mapping)]
    return items


def _names_a_line(item: Mapping[str, Any]) -> bool:
    return item.get("line_item_id") not in (None, "")


def line_tracking_units(payload: Mapping[str, Any]) -> dict[str, int]:
    """Units shipped per line id by tracking items that name their line (``line_item_id`` and
    ``quantity``: the connector's own drop-ship parcels, adapters/woocommerce/fulfillment.py). Such an
    item ships only its units of its line, not the whole order."""
    units: dict[str, int] = {}
    for item in _tracking_items(payload):
        if not _names_a_line(item):
            continue
        try:
            quantity = int(str(item.get("quantity")).strip())
        except (TypeError, ValueError):
            continue
        if quantity > 0:
            line_id = str(item["line_item_id"])
            units[line_id] = units.get(line_id, 0) + quantity
    return units


def shipped_at(payload: Mapping[str, Any]) -> tuple[bool, datetime | None]:
    """Whether the whole order has shipped (status completed, or a shipment tracking item of the
    Shipment Tracking extension, which tracks the order, not lines) and when: the tracking's latest
    ``date_shipped`` (a Unix time), else ``date_completed_gmt``. Tracking items naming a line ship only
    that line's units (``line_tracking_units``)."""
    items = [item for item in _tracking_items(payload) if not _names_a_line(item)]
    shipped = payload.get("status") == SHIPPED_STATUS or bool(items)
    if not shipped:
        return False, None
    stamps = []
    for item in items:
        try:
            stamps.append(datetime.fromtimestamp(int(str(item.get("date_shipped")).strip()), UTC))
        except (TypeError, ValueError, OverflowError, OSError):
            continue
    if stamps:
        return True, max(stamps)
    completed = payload.get("date_completed_gmt")
    try:
        return True, parse_wc_datetime(completed, "date_completed_gmt") if completed else None
    except InvalidPayload:
        return True, None


def _unit_price(item: Mapping[str, Any], quantity: int) -> Decimal | None:
    """The line's ``total`` (after discounts, before tax) per unit; None when not readable."""
    try:
        total = Decimal(str(item.get("total")))
    except (InvalidOperation, ValueError):
        return None
    if not total.is_finite() or total < 0 or quantity <= 0:
        return None
    unit = (total / quantity).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return unit if unit <= MAX_PRICE else None


def parse_line(item: Any, keys: Collection[str], refunded: Mapping[str, int] | None = None,
               shipped: tuple[bool, datetime | None] = (False, None),
               tracked: Mapping[str, int] | None = None) -> OrderLine:
    if not isinstance(item, Mapping):
        raise InvalidPayload(f"woocommerce order: line item is not an object: {item!r:.80}")
    if item.get("id") in (None, "", 0):
        raise InvalidPayload("woocommerce order: line item without an id")
    line_id = str(item["id"])
    if "quantity" not in item:
        raise InvalidPayload(f"woocommerce order: line {line_id} has no quantity")
    product_id = item.get("product_id")
    variation_id = item.get("variation_id")
    sku = item.get("sku")
    taken = (refunded or {}).get(line_id, 0)
    short = backordered_units(item.get("meta_data"), keys, line_id)
    ordered = _int(item["quantity"], f"line {line_id} quantity")
    quantity = max(0, ordered - taken)
    return OrderLine(
        line_id=line_id,
        quantity=quantity,
        fulfilled_quantity=quantity if shipped[0] else min(quantity, (tracked or {}).get(line_id, 0)),
        fulfilled_at=shipped[1] if shipped[0] else None,
        unit_price=_unit_price(item, ordered),
        sku=str(sku) if sku else None,
        product_id=str(_int(product_id, f"line {line_id} product_id")) if product_id else None,
        variant_id=str(_int(variation_id, f"line {line_id} variation_id")) if variation_id else None,
        title=html.unescape(str(item.get("name") or "")),  # WooCommerce sends "Tee &ndash; Blue"
        backordered_meta=None if short is None else max(0, short - taken),
        properties=collect_attributes(item.get("meta_data"), "key", "value"),
    )


def parse_order(payload: Any, backordered_meta_keys: Collection[str] = DEFAULT_BACKORDERED_META_KEYS,
                refunded: Mapping[str, int] | None = None, store_url: str | None = None) -> OrderSnapshot:
    """Turn a REST v3 order object into a snapshot. Raises InvalidPayload naming the bad field.

    ``refunded``: units refunded per line id (``refunded_units`` of the order's refunds), taken off
    each line's quantity and 'Backordered' meta. ``store_url``: the store's address, for the order's
    view-order page (``status_url``); None: not known.
    """
    if not isinstance(payload, Mapping):
        raise InvalidPayload(f"woocommerce order: expected a JSON object, got {type(payload).__name__}")
    if payload.get("id") in (None, "", 0):
        raise InvalidPayload("woocommerce order: missing id")
    order_id = str(_int(payload["id"], "id"))
    status = payload.get("status")
    if not isinstance(status, str) or not status:
        raise InvalidPayload(f"woocommerce order {order_id}: missing status")
    items = payload.get("line_items")
    if not isinstance(items, list):
        raise InvalidPayload(f"woocommerce order {order_id}: line_items missing or not a list")
    billing = payload.get("billing")
    email = billing.get("email") if isinstance(billing, Mapping) else None
    number = payload.get("number") or order_id
    return OrderSnapshot(
        order_id=order_id,
        name=f"#{number}",
        created_at=parse_wc_datetime(payload.get("date_created_gmt"), "date_created_gmt"),
        updated_at=parse_wc_datetime(payload.get("date_modified_gmt"), "date_modified_gmt"),
        lines=tuple(parse_line(item, backordered_meta_keys, refunded, shipped_at(payload), line_tracking_units(payload))
                    for item in items),
        cancelled=status == "cancelled",
        customer_email=str(email) if email else None,
        financial_status=financial_status(payload),
        raw_status=status,
        attributes=collect_attributes(payload.get("meta_data"), "key", "value"),
        ship_choice=ship_choice(collect_attributes(payload.get("meta_data"), "key", "value")),
        attribute_kind="meta_data",
        currency=_currency(payload.get("currency")),
        locale=order_locale(payload.get("meta_data")),
        discount_codes=codes_of(payload.get("coupon_lines")),
        customer_first_name=_first_name(billing),
        status_url=view_order_url(store_url, order_id) if store_url else None,
    )


def _first_name(billing: Any) -> str | None:
    value = billing.get("first_name") if isinstance(billing, Mapping) else None
    return " ".join(value.split())[:100] if isinstance(value, str) and value.strip() else None


def view_order_url(store_url: str, order_id: str) -> str | None:
    """The order's page in the customer's account: WooCommerce's My account > Orders > View
    (``<store>/my-account/view-order/<id>/``, the default endpoint slugs; the customer signs in to see it)."""
    base = store_url.rstrip("/")
    if not base.startswith(("https://", "http://")) or any(c.isspace() for c in base):
        return None
    return f"{base}/my-account/view-order/{order_id}/"


LOCALE_META_KEYS = ("wpml_language",)
"""Order meta naming the customer's language: WooCommerce Multilingual (WPML) stores the checkout
language as ``wpml_language`` ("nl"). Without it, the shop's notify.language applies."""


def order_locale(meta: Any) -> str | None:
    """The customer's language from an order's ``meta_data`` (LOCALE_META_KEYS), else None."""
    for entry in meta if isinstance(meta, list) else []:
        if isinstance(entry, Mapping) and entry.get("key") in LOCALE_META_KEYS:
            value = entry.get("value")
            if isinstance(value, str) and value.strip():
                return value.strip()[:35]
    return None


def _currency(value: Any) -> str | None:
    if isinstance(value, str) and len(value.strip()) == 3 and value.strip().isalpha() and value.isascii():
        return value.strip().upper()
    return None
