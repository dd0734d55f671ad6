"""One simulated WooCommerce store: catalog, orders, notes and stock rules as WooCommerce core has them.

Products, variations and orders are kept as their REST v3 JSON (a subset of the fields), so the
REST layer can return them as they are. Callers hold ``SimStore.lock``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any


class SimError(Exception):
    """A WooCommerce REST error: ``{code, message, data{status}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status}}


RESTOCK_STATUSES = frozenset({"cancelled", "pending"})
"""Statuses whose transition gives stock back (``wc_maybe_increase_stock_levels`` in core). A
refunded order's units go back only through its refunds' restock (``api_restock``)."""


def wc_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class Webhook:
    id: int
    topics: frozenset[str]
    secret: str
    delivery_url: str | None
    """None: the simulator's ``{webhook_url}/webhooks/woocommerce``."""
    name: str = "Backorder connector"
    status: str = "active"
    failure_count: int = 0


@dataclass
class SimStore:
    store_url: str
    consumer_key: str
    consumer_secret: str
    clock: Callable[[], datetime]
    backordered_label: str = "Backordered"
    utc_offset: timedelta = timedelta(0)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    variations: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    refunds: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Refund objects per order id, oldest first (the order JSON lists only ``{id, reason, total}``)."""
    reduced: dict[int, int] = field(default_factory=dict)
    """Units whose stock a line still holds reduced, by line id: the line meta ``_reduced_stock``.
    Set when stock is reduced, lowered by a restocking refund, restored from on cancel."""
    webhooks: list[Webhook] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: Any = field(default_factory=lambda: count(100))
    api_keys: dict[str, str] = field(default_factory=dict)
    """Key pairs issued by /wc-auth/v1/authorize (consumer key -> secret), besides the seeded one."""
    language: str = "en_US"
    """The WordPress site language (get_locale()), as GET system_status reports it (seed ``language``)."""
    keys_manage_woocommerce: bool = True
    """False: the keys' user lacks manage_woocommerce, so GET system_status and the settings answer 403 (seed
    ``keys_manage_woocommerce``)."""
    site_name: str = ""
    """The WordPress site title (the ``blogname`` option, seed ``site_name``); "" as a site without one."""
    site_icon_url: str = ""
    """The site icon's address as get_site_icon_url() gives it (seed ``site_icon_url``); "": none set."""
    email_from_address: str = ""
    """WooCommerce's "From" address (``woocommerce_email_from_address``, seed ``email_from_address``)."""
    index_refused: bool = False
    """True: a plugin restricts the REST API to signed-in users, so the public index answers 401."""

    def secret_for(self, consumer_key: str) -> str | None:
        if consumer_key == self.consumer_key:
            return self.consumer_secret
        return self.api_keys.get(consumer_key)

    # -- dates --------------------------------------------------------------------------------

    def stamp(self, obj: dict[str, Any], *fields: str) -> None:
        now = self.clock()
        for name in fields:
            obj[f"date_{name}"] = wc_date(now + self.utc_offset)
            obj[f"date_{name}_gmt"] = wc_date(now)

    # -- catalog ------------------------------------------------------------------------------

    def add_product(self, spec: dict[str, Any]) -> dict[str, Any]:
        product_id = next(self.ids)
        kind = spec.get("type", "simple")
        product = _stock_fields(spec, {
            "id": product_id, "name": spec.get("name", f"Product {product_id}"), "type": kind,
            "status": "publish", "sku": spec.get("sku", ""), "price": spec.get("price", ""),
            "regular_price": spec.get("price", ""), "parent_id": 0, "meta_data": [],
            "attributes": [], "variations": [],
        })
        self.stamp(product, "created", "modified")
        self.products[product_id] = product
        for variation_spec in spec.get("variations", []):
            self.add_variation(product, variation_spec)
        return product

    def add_variation(self, parent: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        variation_id = next(self.ids)
        variation = _stock_fields(spec, {
            "id": variation_id, "parent_id": parent["id"], "sku": spec.get("sku", ""),
            "price": spec.get("price", ""), "regular_price": spec.get("price", ""), "status": "publish",
            "attributes": [dict(a, id=0) for a in spec.get("attributes", [])], "meta_data": [],
        })
        self.stamp(variation, "created", "modified")
        self.variations[variation_id] = variation
        parent["variations"].append(variation_id)
        parent["attributes"] = _merge_attributes(parent["attributes"], spec.get("attributes", []))
        return variation

    def by_sku(self, sku: str) -> dict[str, Any]:
        for item in [*self.products.values(), *self.variations.values()]:
            if sku and item.get("sku") == sku:
                return item
        raise SimError(404, "woocommerce_rest_product_invalid_sku", f"No product with SKU {sku!r}.")

    def product(self, product_id: int) -> dict[str, Any]:
        item = self.products.get(product_id) or self.variations.get(product_id)
        if item is None:
            raise SimError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return item

    def update_stock_item(self, item: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        for name in ("name", "sku", "price", "regular_price", "manage_stock", "stock_quantity",
                     "backorders", "stock_status", "status"):
            if name in changes:
                item[name] = changes[name]
        if "stock_quantity" in changes and item["stock_quantity"] is not None:
            item["stock_quantity"] = int(item["stock_quantity"])
        for meta in changes.get("meta_data") or []:
            self.merge_meta(item, meta)
        _refresh_stock(item)
        self.stamp(item, "modified")
        return item

    def merge_meta(self, item: dict[str, Any], meta: dict[str, Any]) -> None:
        """WC_Data::update_meta_data by id, else by key; a null value deletes the meta (save_meta_data)."""
        entries = item.setdefault("meta_data", [])
        existing = [m for m in entries if ("id" in meta and m["id"] == meta["id"])
                    or ("id" not in meta and m["key"] == meta.get("key"))]
        if meta.get("value") is None:
            item["meta_data"] = [m for m in entries if not any(m is e for e in existing)]
        elif existing:
            existing[0]["value"] = meta["value"]
        else:
            entries.append(self.meta(str(meta.get("key")), meta["value"]))

    def set_quantity(self, item: dict[str, Any], quantity: int) -> None:
        item["stock_quantity"] = quantity
        _refresh_stock(item)
        self.stamp(item, "modified")

    # -- orders -------------------------------------------------------------------------------

    def create_order(self, lines: list[dict[str, Any]], email: str, status: str = "processing",
                     meta_data: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Place an order as checkout does: check stock, write backorder meta, reduce stock.
        ``meta_data`` ({key, value}) is what checkout plugins (delivery dates) save on the order."""
        resolved = [(self.by_sku(str(line["sku"])), int(line.get("quantity", 1))) for line in lines]
        for item, quantity in resolved:
            if quantity < 1:
                raise SimError(400, "woocommerce_rest_invalid_quantity", "Quantity must be positive.")
            if (item["manage_stock"] and item["backorders"] == "no"
                    and quantity > (item["stock_quantity"] or 0)):
                raise SimError(400, "woocommerce_rest_product_out_of_stock",
                               f"Not enough units of {item['sku']} in stock.")
        order_id = next(self.ids)
        order: dict[str, Any] = {
            "id": order_id, "parent_id": 0, "number": str(order_id),
            "order_key": f"wc_order_{uuid.uuid4().hex[:13]}", "created_via": "checkout",
            "status": status, "currency": "USD", "customer_id": 0, "customer_note": "",
            "billing": {"first_name": "Sim", "last_name": "Customer", "email": email, "country": "US"},
            "shipping": {"first_name": "Sim", "last_name": "Customer", "country": "US"},
            "payment_method": "bacs", "payment_method_title": "Direct bank transfer",
            "date_paid": None, "date_paid_gmt": None, "date_completed": None, "date_completed_gmt": None,
            "meta_data": [], "line_items": [], "tax_lines": [], "shipping_lines": [], "fee_lines": [],
            "coupon_lines": [], "refunds": [],
        }
        for meta in meta_data or []:
            if not isinstance(meta, dict) or not meta.get("key"):
                raise SimError(400, "woocommerce_rest_invalid_meta", "Each meta_data entry needs a 'key'.")
            order["meta_data"].append(self.meta(str(meta["key"]), meta.get("value")))
        self.stamp(order, "created", "modified")
        if status in ("processing", "completed"):
            self.stamp(order, "paid")
        total = 0.0
        for item, quantity in resolved:
            line = self._order_line(item, quantity)
            total += float(line["total"])
            order["line_items"].append(line)
        order["total"] = f"{total:.2f}"
        self.orders[order_id] = order
        self.notes[order_id] = []
        self.refunds[order_id] = []
        self._reduce_stock(order)
        return order

    def _order_line(self, item: dict[str, Any], quantity: int) -> dict[str, Any]:
        is_variation = item.get("parent_id", 0) != 0
        parent = self.products[item["parent_id"]] if is_variation else item
        meta: list[dict[str, Any]] = []
        if is_variation:
            for attribute in item.get("attributes", []):
                meta.append(self.meta(str(attribute["name"]).lower(), attribute["option"]))
        stock = item["stock_quantity"] or 0
        # WC_Order_Item_Product::set_backorder_meta(): only for backorders "notify".
        if item["manage_stock"] and item["backorders"] == "notify" and quantity > stock:
            meta.append(self.meta(self.backordered_label, quantity - max(0, stock)))
        options = ", ".join(str(a["option"]) for a in item.get("attributes", []))
        price = float(item.get("price") or 0)
        return {
            "id": next(self.ids), "name": f"{parent['name']} - {options}" if options else parent["name"],
            "product_id": parent["id"], "variation_id": item["id"] if is_variation else 0,
            "quantity": quantity, "tax_class": "", "subtotal": f"{price * quantity:.2f}",
            "total": f"{price * quantity:.2f}", "taxes": [], "meta_data": meta, "sku": item["sku"],
            "price": price,
        }

    def meta(self, key: str, value: Any) -> dict[str, Any]:
        return {"id": next(self.ids), "key": key, "value": value}

    def order(self, order_id: int) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise SimError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return order

    def update_order(self, order_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """PUT semantics: merge meta_data by id, else by key; apply a status change."""
        order = self.order(order_id)
        for meta in changes.get("meta_data") or []:
            existing = [m for m in order["meta_data"]
                        if ("id" in meta and m["id"] == meta["id"])
                        or ("id" not in meta and m["key"] == meta.get("key"))]
            if existing:
                existing[0]["value"] = meta.get("value")
            else:
                order["meta_data"].append(self.meta(str(meta.get("key")), meta.get("value")))
        for name in ("customer_note", "billing"):
            if name in changes:
                order[name] = changes[name]
        status = changes.get("status")
        if status and status != order["status"]:
            self._change_status(order, str(status))
        self.stamp(order, "modified")
        return order

    def _change_status(self, order: dict[str, Any], status: str) -> None:
        previous = order["status"]
        order["status"] = status
        self.add_note(order["id"], f"Order status changed from {previous} to {status}.", system=True)
        if status in RESTOCK_STATUSES:
            self._restock(order)
        if status == "completed":
            self.stamp(order, "completed")
        from sandbox.woocommerce_sim.payments import on_status_change  # gateways that capture on a status

        on_status_change(self, order, status)

    def _reduce_stock(self, order: dict[str, Any]) -> None:
        changes = []
        for line in order["line_items"]:
            item = self.product(line["variation_id"] or line["product_id"])
            if item["manage_stock"]:
                before = item["stock_quantity"] or 0
                self.set_quantity(item, before - line["quantity"])
                self.reduced[line["id"]] = line["quantity"]
                changes.append(f"{line['name']} ({item['sku']}) {before}&rarr;{item['stock_quantity']}")
        if changes:
            self.add_note(order["id"], "Stock levels reduced: " + ", ".join(changes), system=True)

    def _restock(self, order: dict[str, Any]) -> None:
        """``wc_increase_stock_levels``: each line gives back the units it still holds reduced."""
        changes = []
        for line in order["line_items"]:
            item = self.line_product(line)
            units = self.reduced.pop(line["id"], 0)
            if item and item["manage_stock"] and units:
                before = item["stock_quantity"] or 0
                self.set_quantity(item, before + units)
                changes.append(f"{line['name']} ({item['sku']}) {before}&rarr;{item['stock_quantity']}")
        if changes:
            self.add_note(order["id"], "Stock levels increased: " + ", ".join(changes), system=True)

    def line_product(self, line: dict[str, Any]) -> dict[str, Any] | None:
        """The product or variation an order line is of (None once deleted)."""
        if line["variation_id"]:
            return self.variations.get(line["variation_id"])
        return self.products.get(line["product_id"])

    def refunded_units(self, order_id: int) -> dict[int, int]:
        """Units refunded per order line id (``WC_Order::get_qty_refunded_for_item``)."""
        units: dict[int, int] = {}
        for refund in self.refunds.get(order_id, []):
            for item in refund["line_items"]:
                line_id = int(next(m["value"] for m in item["meta_data"] if m["key"] == "_refunded_item_id"))
                units[line_id] = units.get(line_id, 0) - item["quantity"]
        return units

    def add_note(self, order_id: int, note: str, *, customer_note: bool = False,
                 system: bool = False) -> dict[str, Any]:
        self.order(order_id)
        now = self.clock()
        entry = {"id": next(self.ids), "author": "system" if system else "WooCommerce",
                 "date_created": wc_date(now + self.utc_offset), "date_created_gmt": wc_date(now),
                 "note": note, "customer_note": customer_note, "added_by_user": False}
        self.notes[order_id].append(entry)
        return entry


def _stock_fields(spec: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    item["manage_stock"] = bool(spec.get("manage_stock", False))
    quantity = spec.get("stock_quantity")
    item["stock_quantity"] = int(quantity) if quantity is not None else None
    item["backorders"] = spec.get("backorders", "no")
    item["stock_status"] = spec.get("stock_status", "instock")
    _refresh_stock(item)
    return item


def _refresh_stock(item: dict[str, Any]) -> None:
    """Derived fields as WC_Product computes them (notify-no-stock threshold 0)."""
    allowed = item["backorders"] in ("notify", "yes")
    item["backorders_allowed"] = allowed
    if item["manage_stock"]:
        quantity = item["stock_quantity"] or 0
        if quantity > 0:
            item["stock_status"] = "instock"
        else:
            item["stock_status"] = "onbackorder" if allowed else "outofstock"
    item["backordered"] = item["stock_status"] == "onbackorder"


def _merge_attributes(existing: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {a["name"]: a for a in existing}
    for attribute in new:
        entry = by_name.setdefault(attribute["name"], {"id": 0, "name": attribute["name"], "variation": True,
                                                        "options": []})
        if attribute["option"] not in entry["options"]:
            entry["options"].append(attribute["option"])
    return list(by_name.values())
