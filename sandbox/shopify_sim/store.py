"""The simulator's shop data: products, variants, orders, and their REST / GraphQL shapes."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class SimulatorError(ValueError):
    """A control call the simulator cannot carry out (unknown shop/sku/order, not enough stock)."""


class NotFound(SimulatorError):
    """The named shop, sku or order does not exist."""


class IdSequence:
    """Realistic, large numeric ids, one sequence per object type."""

    _BASES = {
        "Product": 8_412_345_000_000,
        "ProductVariant": 45_123_456_000_000,
        "InventoryItem": 47_234_567_000_000,
        "Order": 5_901_234_000_000,
        "LineItem": 14_123_456_000_000,
        "Customer": 7_012_345_000_000,
    }

    def __init__(self) -> None:
        self._counters = {name: itertools.count(base + 101, 7) for name, base in self._BASES.items()}
        self._lock = threading.Lock()

    def next(self, resource: str) -> int:
        with self._lock:
            return next(self._counters[resource])


def gid(resource: str, numeric_id: int) -> str:
    return f"gid://shopify/{resource}/{numeric_id}"


def rest_time(value: datetime | None) -> str | None:
    """REST timestamps: seconds precision with an offset, like ``2008-01-10T11:00:00-05:00``."""
    return None if value is None else value.astimezone(UTC).replace(microsecond=0).isoformat()


def graphql_time(value: datetime | None) -> str | None:
    """GraphQL DateTime: UTC with a ``Z``."""
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Variant:
    id: int
    product_id: int
    inventory_item_id: int
    product_title: str
    title: str
    sku: str
    price: str
    inventory_quantity: int
    inventory_policy: str
    tracked: bool = True
    metafields: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """(namespace, key) -> {type, value}; the app's ``$app`` namespace is stored as ``app--sim``."""


@dataclass
class Line:
    id: int
    variant: Variant
    quantity: int
    removed: int = 0
    """Units refunded off the order (``quantity`` keeps them, ``currentQuantity`` does not)."""
    properties: list[dict[str, str]] = field(default_factory=list)
    """Line item properties ({name, value}) the storefront's product form sent (``properties[Name]``)."""


@dataclass
class Order:
    id: int
    number: int
    email: str | None
    created_at: datetime
    updated_at: datetime
    lines: list[Line]
    cancelled_at: datetime | None = None
    financial_status: str = "paid"
    tags: list[str] = field(default_factory=list)
    customer_id: int = 0
    note_attributes: list[dict[str, str]] = field(default_factory=list)
    """Cart attributes from checkout ({name, value}), as delivery-date apps write them."""
    max_delivery_at: datetime | None = None
    """The delivery method's promise on the order's fulfillment orders (maxDeliveryDateTime)."""
    customer_locale: str | None = None
    """The buyer's language at checkout ("nl-NL"; REST customer_locale, GraphQL customerLocale); None as for
    orders created through the API."""

    @property
    def name(self) -> str:
        return f"#{self.number}"


@dataclass
class Shop:
    domain: str
    access_token: str
    variants: dict[str, Variant] = field(default_factory=dict)
    """By sku."""
    orders: dict[int, Order] = field(default_factory=dict)
    next_number: int = 1001
    tax_rate: str = "0"
    """Tax added on top of line prices (taxesIncluded false), e.g. "0.10"; seed key ``tax_rate``."""

    def variant(self, sku: str) -> Variant:
        try:
            return self.variants[sku]
        except KeyError:
            raise NotFound(f"shop {self.domain}: no variant with sku {sku!r}") from None

    def variant_by_id(self, variant_id: int) -> Variant | None:
        """By id through an index rebuilt when it misses or is stale (a bulk mutation looks up 100,000)."""
        index: dict[int, Variant] | None = self.__dict__.get("_by_id")
        found = index.get(variant_id) if index is not None else None
        if found is not None and self.variants.get(found.sku) is found:
            return found
        self.__dict__["_by_id"] = index = {v.id: v for v in self.variants.values()}
        return index.get(variant_id)

    def order(self, order_id: int | str) -> Order:
        try:
            return self.orders[int(order_id)]
        except (KeyError, ValueError):
            raise NotFound(f"shop {self.domain}: no order {order_id}") from None


def build_shop(seed: dict[str, Any], ids: IdSequence) -> Shop:
    try:
        shop = Shop(domain=seed["domain"], access_token=seed["access_token"],
                    tax_rate=str(seed.get("tax_rate", "0")))
    except KeyError as exc:
        raise SimulatorError(f"shop seed without {exc.args[0]!r}") from None
    for product in seed.get("products", []):
        product_id = ids.next("Product")
        for raw in product.get("variants", []):
            policy = str(raw.get("inventory_policy", "DENY")).upper()
            if policy not in ("DENY", "CONTINUE"):
                raise SimulatorError(f"sku {raw.get('sku')}: inventory_policy must be DENY or CONTINUE")
            variant = Variant(
                id=ids.next("ProductVariant"),
                product_id=product_id,
                inventory_item_id=ids.next("InventoryItem"),
                product_title=product["title"],
                title=raw.get("title", "Default Title"),
                sku=raw["sku"],
                price=str(raw.get("price", "0.00")),
                inventory_quantity=int(raw.get("inventory_quantity", 0)),
                inventory_policy=policy,
                tracked=bool(raw.get("tracked", True)),
            )
            shop.variants[variant.sku] = variant
    return shop


def rest_order(shop: Shop, order: Order) -> dict[str, Any]:
    """The REST Order JSON that orders/* webhooks carry (shape of python_api__order.json)."""
    total = sum(float(line.variant.price) * line.quantity for line in order.lines)
    address = {
        "first_name": "Bob",
        "last_name": "Norman",
        "address1": "Chestnut Street 92",
        "city": "Louisville",
        "zip": "40202",
        "province": "Kentucky",
        "country": "United States",
        "country_code": "US",
        "province_code": "KY",
        "phone": "+1(502)-459-2181",
    }
    body: dict[str, Any] = {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "name": order.name,
        "number": order.number - 1000,
        "order_number": order.number,
        "email": order.email,
        "contact_email": order.email,
        "created_at": rest_time(order.created_at),
        "updated_at": rest_time(order.updated_at),
        "processed_at": rest_time(order.created_at),
        "cancelled_at": rest_time(order.cancelled_at),
        "cancel_reason": "customer" if order.cancelled_at else None,
        "closed_at": None,
        "currency": "USD",
        "financial_status": order.financial_status,
        "fulfillment_status": None,
        "tags": ", ".join(order.tags),
        "note_attributes": [dict(a) for a in order.note_attributes],
        "customer_locale": order.customer_locale,
        "test": False,
        "total_price": f"{total:.2f}",
        "subtotal_price": f"{total:.2f}",
        "line_items": [
            {
                "id": line.id,
                "admin_graphql_api_id": gid("LineItem", line.id),
                "variant_id": line.variant.id,
                "product_id": line.variant.product_id,
                "sku": line.variant.sku,
                "quantity": line.quantity,
                "current_quantity": 0 if order.cancelled_at else line.quantity - line.removed,
                "fulfillable_quantity": 0 if order.cancelled_at else line.quantity - line.removed,
                "title": line.variant.product_title,
                "variant_title": line.variant.title,
                "name": line_name(line.variant),
                "price": line.variant.price,
                "fulfillment_status": None,
                "requires_shipping": True,
                "product_exists": True,
                "variant_inventory_management": "shopify" if line.variant.tracked else None,
                "properties": [dict(p) for p in line.properties],
            }
            for line in order.lines
        ],
        "customer": {
            "id": order.customer_id,
            "email": order.email,
            "first_name": "Bob",
            "last_name": "Norman",
            "admin_graphql_api_id": gid("Customer", order.customer_id),
        },
        "shipping_address": {**address, "name": "Bob Norman"},
    }
    from sandbox.shopify_sim.extensions import REST_ORDER_FIELDS

    for extra in REST_ORDER_FIELDS:  # feature modules add REST Order fields (see extensions.py)
        extra(shop, order, body)
    return body


def graphql_variant(variant: Variant) -> dict[str, Any]:
    return {
        "__typename": "ProductVariant",
        "id": gid("ProductVariant", variant.id),
        "legacyResourceId": str(variant.id),
        "sku": variant.sku,
        "title": variant.title,
        "displayName": f"{variant.product_title} - {variant.title}",
        "price": variant.price,
        "inventoryPolicy": variant.inventory_policy,
        "inventoryQuantity": variant.inventory_quantity,
        "inventoryItem": {
            "__typename": "InventoryItem",
            "id": gid("InventoryItem", variant.inventory_item_id),
            "legacyResourceId": str(variant.inventory_item_id),
            "tracked": variant.tracked,
            "sku": variant.sku,
        },
        "product": lambda info: graphql_product(variant),
        "metafield": lambda info, key, namespace=None: variant_metafield(variant, namespace, key),
    }


APP_NAMESPACE = "app--sim"


def app_namespace(namespace: str | None) -> str:
    """Shopify resolves ``$app`` (and an omitted namespace) to the calling app's reserved namespace."""
    return APP_NAMESPACE if namespace in (None, "$app") else str(namespace)


def variant_metafield(variant: Variant, namespace: str | None, key: str) -> dict[str, Any] | None:
    found = variant.metafields.get((app_namespace(namespace), key))
    if found is None:
        return None
    return {"__typename": "Metafield", "id": f"gid://shopify/Metafield/{abs(hash((variant.id, key))) % 10**12}",
            "key": key, "namespace": app_namespace(namespace), **found}


def graphql_product(variant: Variant) -> dict[str, Any]:
    return {
        "__typename": "Product",
        "id": gid("Product", variant.product_id),
        "legacyResourceId": str(variant.product_id),
        "title": variant.product_title,
    }


def line_name(variant: Variant) -> str:
    """A line item's name as Shopify writes it: "Product - Variant", or the product's title alone for a
    product without options (its one variant titled "Default Title")."""
    if variant.title in ("", "Default Title"):
        return variant.product_title
    return f"{variant.product_title} - {variant.title}"


def graphql_line(line: Line) -> dict[str, Any]:
    return {
        "__typename": "LineItem",
        "id": gid("LineItem", line.id),
        "quantity": line.quantity,
        "currentQuantity": line.quantity - line.removed,
        "sku": line.variant.sku,
        "title": line.variant.product_title,
        "name": line_name(line.variant),
        "variant": graphql_variant(line.variant),
        "product": graphql_product(line.variant),
        "customAttributes": [{"key": p["name"], "value": p.get("value")} for p in line.properties],
        "sellingPlan": getattr(line, "selling_plan", None),  # {sellingPlanId, name}: ext_selling_plans.place_preorder
    }
