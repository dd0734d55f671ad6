"""``StorePlatform`` for WooCommerce REST v3: orders in, stock levels, backorder marks out.

Orders in: a line's quantity is what is still on the order. WooCommerce leaves
``line_items[].quantity`` as ordered when units are refunded (the connector's own cancellations
are such refunds), so an order whose JSON lists ``refunds`` has them read through the client
(GET ``orders/<id>/refunds``, every page, with its retries) and the refunded units taken off
(adapters/woocommerce/orders.py). An order without refunds costs no call. This happens where an
order is read (``parse_order`` on the worker, for webhook events; ``orders_updated_since`` for
reconciliation), outside any database transaction; a store that stays down raises
PlatformUnavailable / PlatformThrottled, so the event is retried rather than captured with the
units it no longer holds. Drop-ship routing reads the units left to ship the same way
(``read_refunded_units``, used by adapters/woocommerce/fulfillment.py).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.woocommerce.client import PER_PAGE, WooCommerceClient
from adapters.woocommerce.orders import DEFAULT_BACKORDERED_META_KEYS, has_refunds, parse_order, refunded_units
from connector.domain.errors import (
    InvalidPayload,
    PermanentError,
    PlatformAuthError,
    PlatformError,
    PlatformNotFound,
    PlatformRejected,
    PlatformUnavailable,
)
from connector.domain.model import BackorderMark, OrderSnapshot, StockLevel, StockRef
from connector.domain.stock_events import StockChange

log = logging.getLogger(__name__)

BACKORDER_META_KEY = "_backorder_lines"
"""Order meta the connector owns: a JSON list of ``{line_id, sku, quantity}``. The leading
underscore hides it from the order screen's custom fields box."""

UNMARK_NOTE = "No longer backordered"


class WooCommercePlatform:
    """One WooCommerce store, seen through the connector's ``StorePlatform`` port."""

    def __init__(self, client: WooCommerceClient, *,
                 backordered_meta_keys: Collection[str] = DEFAULT_BACKORDERED_META_KEYS) -> None:
        self.client = client
        self.backordered_meta_keys = frozenset(backordered_meta_keys)

    # -- orders in ----------------------------------------------------------------------------

    def parse_order(self, payload: Mapping[str, Any]) -> OrderSnapshot:
        """The order's snapshot, refunded units taken off (their refunds are read when it has any).
        Raises InvalidPayload, or the client's errors when the refunds cannot be read."""
        store = getattr(self.client, "store_url", None)
        snapshot = parse_order(payload, self.backordered_meta_keys, store_url=store)
        refunded = read_refunded_units(self.client, snapshot.order_id, payload)
        return parse_order(payload, self.backordered_meta_keys, refunded, store_url=store) if refunded else snapshot

    def orders_updated_since(self, since: datetime) -> Iterator[OrderSnapshot]:
        """Orders modified at or after ``since``, oldest modification first, across all pages.

        ``modified_after`` is asked for one second early (WordPress compares whole seconds and
        its "after" may be exclusive); orders before ``since`` are then dropped here.
        """
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        since_utc = since.astimezone(UTC)
        query_from = since_utc.replace(microsecond=0) - timedelta(seconds=1)
        params = {
            "modified_after": query_from.strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
        }
        for payload in self.client.paginate("orders", params):
            try:
                snapshot = self.parse_order(payload)
            except InvalidPayload as exc:  # one order that cannot be read must not stop reconciliation
                log.error("woocommerce order skipped by reconciliation: %s", exc,
                          extra={"order": payload.get("id") if isinstance(payload, Mapping) else None})
                continue
            if snapshot.updated_at >= since_utc.replace(microsecond=0):
                yield snapshot

    # -- stock --------------------------------------------------------------------------------

    def parse_stock_change(self, payload: Mapping[str, Any]) -> StockChange:
        """A product.updated body (the product's REST JSON, built at delivery) as the stock positions it
        names: the product itself (a simple product, or a variation: WooCommerce answers
        GET /products/{id} for a variation id too) and, for a variable product, its variations.
        Raises InvalidPayload."""
        if not isinstance(payload, Mapping):
            raise InvalidPayload(f"woocommerce product: expected a JSON object, got {type(payload).__name__}")
        product_id = payload.get("id")
        if isinstance(product_id, bool) or not isinstance(product_id, int | str) or not str(product_id).isdigit():
            raise InvalidPayload(f"woocommerce product: missing or invalid 'id': {str(product_id)[:40]!r}")
        keys = [str(int(product_id))]
        variations = payload.get("variations")
        if isinstance(variations, list):
            keys += [str(int(v)) for v in variations
                     if not isinstance(v, bool) and isinstance(v, int | str) and str(v).isdigit()]
        modified = payload.get("date_modified_gmt")
        moment = None
        if isinstance(modified, str):
            try:
                moment = datetime.fromisoformat(modified).replace(tzinfo=UTC)
            except ValueError:
                moment = None
        return StockChange(keys=tuple(dict.fromkeys(keys)), updated_at=moment)

    def stock_levels(self, refs: Sequence[StockRef]) -> dict[str, StockLevel]:
        simple: set[str] = set()
        variations: dict[str, set[str]] = defaultdict(set)
        orphans: set[str] = set()
        for ref in refs:
            if ref.variant_id and ref.product_id:
                variations[ref.product_id].add(ref.variant_id)
            elif ref.variant_id:
                orphans.add(ref.variant_id)
            else:
                simple.add(ref.key)
        levels: dict[str, StockLevel] = {}
        for chunk in _chunks(sorted(simple, key=_numeric)):
            for product in self.client.paginate("products", {"include": ",".join(chunk)}):
                level = _stock_level(product)
                if level.key in simple:
                    levels[level.key] = level
        for product_id, wanted in sorted(variations.items()):
            try:
                for chunk in _chunks(sorted(wanted, key=_numeric)):
                    for variation in self.client.paginate(f"products/{product_id}/variations",
                                                          {"include": ",".join(chunk)}):
                        level = _stock_level(variation)
                        if level.key in wanted:
                            levels[level.key] = level
            except PlatformNotFound:
                # The product was deleted after the sale: its stock is unknown, the order still counts.
                log.info("woocommerce: product %s no longer exists", product_id, extra={"product_id": product_id})
        for variation_id in sorted(orphans, key=_numeric):
            # WooCommerce answers GET /products/{id} for a variation id too.
            try:
                levels[variation_id] = _stock_level(self.client.get(f"products/{variation_id}"))
            except PlatformNotFound:
                log.info("woocommerce: variation %s no longer exists", variation_id,
                         extra={"variation_id": variation_id})
        return levels

    # -- marks out ----------------------------------------------------------------------------

    def mark_backordered(self, order_id: str, marks: Sequence[BackorderMark]) -> None:
        """Note the backordered lines on the order and store them in ``_backorder_lines``.

        Idempotent: when the meta already holds the same lines nothing is written. The note is
        added before the meta, so a failure in between repeats the note on the next run rather
        than losing it.
        """
        if not marks:
            self.unmark_backordered(order_id)
            return
        desired = _marks_value(marks)
        meta_id, current = self._current_marks(order_id)
        if current == desired:
            log.debug("woocommerce: order %s already marked", order_id, extra={"order_id": order_id})
            return
        self._add_note(order_id, _marks_note(marks))
        self._write_marks(order_id, meta_id, desired)
        log.info("woocommerce: marked order %s backordered", order_id,
                 extra={"order_id": order_id, "lines": len(marks)})

    def mark_many(self, marks: Mapping[str, Sequence[BackorderMark]]) -> dict[str, Exception]:
        """BatchMarks: ``mark_backordered`` for several orders in fewer calls. Their current marks are read a
        hundred orders a call (``GET orders?include=``); each order whose lines changed gets its note
        (WooCommerce has no batch of notes), then their meta is written a hundred orders a call (``POST
        orders/batch``, a repeat of which changes nothing). An order the listing does not return (trashed,
        deleted) goes through ``mark_backordered`` alone, and an order given no marks through
        ``unmark_backordered``. Returns each refused order's error (a refused note or
        meta update); a failure of a whole call is raised. When a note fails transiently, the meta of the
        orders already noted is still written before the failure is raised, so the next run finds them marked
        and does not note them twice."""
        refused: dict[str, Exception] = {}
        wanted = {order_id: _marks_value(order_marks) for order_id, order_marks in marks.items() if order_marks}
        for order_id in [order_id for order_id, order_marks in marks.items() if not order_marks]:
            try:
                self.unmark_backordered(order_id)
            except PermanentError as exc:
                refused[order_id] = exc
        for order_id in [order_id for order_id in wanted if not str(order_id).isdigit()]:
            refused[order_id] = PlatformRejected(f"woocommerce order id must be numeric, got {order_id!r}")
            del wanted[order_id]
        listed: dict[str, tuple[int | None, list[Any] | None]] = {}
        for chunk in _chunks(list(wanted)):
            # the marks are all it reads: WordPress trims each order to these fields
            for order in self.client.paginate("orders", {"include": ",".join(chunk), "_fields": "id,meta_data"}):
                if isinstance(order, Mapping) and str(order.get("id")) in wanted:
                    listed[str(order["id"])] = _marks_meta(order)
        noted: list[str] = []
        try:
            for order_id, desired in wanted.items():
                if order_id not in listed:
                    try:
                        self.mark_backordered(order_id, marks[order_id])
                    except PermanentError as exc:
                        refused[order_id] = exc
                    continue
                if listed[order_id][1] == desired:
                    continue
                try:
                    self._add_note(order_id, _marks_note(marks[order_id]))
                except PermanentError as exc:
                    refused[order_id] = exc
                    continue
                noted.append(order_id)
        finally:  # also when a note failed transiently: the orders noted so far get their meta
            refused.update(self._write_marks_many([(order_id, listed[order_id][0], wanted[order_id])
                                                   for order_id in noted]))
        log.info("woocommerce: marked orders backordered", extra={"orders": len(noted), "refused": len(refused)})
        return refused

    def _write_marks_many(self, writes: Sequence[tuple[str, int | None, list[dict[str, Any]]]]) -> dict[str, Exception]:
        """The meta of several orders, a hundred a call; each refused order's error. A whole call the store
        refuses is written order by order instead (their notes are already there)."""
        refused: dict[str, Exception] = {}
        for start in range(0, len(writes), PER_PAGE):
            chunk = writes[start:start + PER_PAGE]
            update = [{"id": int(order_id), "meta_data": [_marks_meta_item(meta_id, desired)]}
                      for order_id, meta_id, desired in chunk]
            try:
                # updates of given ids to given values end the same however often they are applied
                result = self.client.post("orders/batch", {"update": update}, resend_safe=True)
            except PermanentError as exc:
                log.warning("woocommerce: orders/batch refused, writing the marks order by order",
                            extra={"orders": len(chunk), "error": str(exc)})
                for order_id, meta_id, desired in chunk:
                    try:
                        self._write_marks(order_id, meta_id, desired)
                    except PermanentError as one:
                        refused[order_id] = one
                continue
            answers = result.get("update") if isinstance(result, Mapping) else None
            by_id = {str(item.get("id")): item for item in (answers if isinstance(answers, list) else [])
                     if isinstance(item, Mapping)}
            for order_id, _, _ in chunk:
                item = by_id.get(order_id)
                if item is None:  # written or not: the order records the refusal and its next change retries
                    refused[order_id] = PlatformRejected(f"woocommerce: POST orders/batch answered nothing for "
                                                         f"order {order_id}")
                elif item.get("error"):
                    refused[order_id] = batch_item_error(order_id, item["error"])
        return refused

    def unmark_backordered(self, order_id: str) -> None:
        meta_id, current = self._current_marks(order_id)
        if not current:
            return
        self._add_note(order_id, UNMARK_NOTE)
        self._write_marks(order_id, meta_id, [])
        log.info("woocommerce: unmarked order %s", order_id, extra={"order_id": order_id})

    def _current_marks(self, order_id: str) -> tuple[int | None, list[Any] | None]:
        order = self.client.get(f"orders/{_order_path_id(order_id)}")
        if not isinstance(order, Mapping):
            raise PlatformRejected(f"woocommerce: order {order_id}: expected a JSON object")
        return _marks_meta(order)

    def _add_note(self, order_id: str, note: str) -> None:
        self.client.add_order_note(_order_path_id(order_id), note)  # read back, never resent blindly

    def _write_marks(self, order_id: str, meta_id: int | None, marks: list[dict[str, Any]]) -> None:
        self.client.put(f"orders/{_order_path_id(order_id)}", {"meta_data": [_marks_meta_item(meta_id, marks)]})


def _marks_value(marks: Sequence[BackorderMark]) -> list[dict[str, Any]]:
    """The lines as ``BACKORDER_META_KEY`` holds them."""
    return [{"line_id": m.line_id, "sku": m.sku, "quantity": m.quantity} for m in marks]


def _marks_note(marks: Sequence[BackorderMark]) -> str:
    """The order note that comes with a new or changed mark."""
    return "Backordered: " + ", ".join(f"{m.sku or 'line ' + m.line_id} ×{m.quantity}" for m in marks)


def _marks_meta(order: Mapping[str, Any]) -> tuple[int | None, list[Any] | None]:
    """The id and decoded value of the order's ``BACKORDER_META_KEY`` meta; (None, None) without one."""
    for meta in order.get("meta_data") or []:
        if isinstance(meta, Mapping) and meta.get("key") == BACKORDER_META_KEY:
            return meta.get("id"), _decode_marks(meta.get("value"))
    return None, None


def _marks_meta_item(meta_id: int | None, marks: list[dict[str, Any]]) -> dict[str, Any]:
    meta: dict[str, Any] = {"key": BACKORDER_META_KEY, "value": json.dumps(marks, separators=(",", ":"))}
    if meta_id is not None:
        meta["id"] = meta_id
    return meta


def batch_item_error(order_id: str, error: Any) -> PlatformError:
    """A batch item's ``error`` (``{code, message, data: {status}}``) as the error the same call alone raises."""
    details = error if isinstance(error, Mapping) else {}
    code, message = str(details.get("code") or "error"), str(details.get("message") or error)
    data = details.get("data")
    status = data.get("status") if isinstance(data, Mapping) else None
    text = f"woocommerce: order {order_id}: {code}: {message}"
    if code.endswith("_invalid_id") or status == 404:
        return PlatformNotFound(text)
    if status in (401, 403):
        return PlatformAuthError(text)
    if isinstance(status, int) and status >= 500:
        return PlatformUnavailable(text)
    return PlatformRejected(text)


def _stock_level(item: Any) -> StockLevel:
    if not isinstance(item, Mapping) or item.get("id") in (None, ""):
        raise PlatformRejected("woocommerce: product without an id in a stock answer")
    manage = item.get("manage_stock")
    # A variation answers manage_stock "parent" when the parent product manages its stock; the
    # stock_quantity shown is then the parent's.
    tracked = manage is True or manage == "parent"
    quantity = item.get("stock_quantity")
    allowed = bool(item.get("backorders_allowed")) or item.get("backorders") in ("notify", "yes")
    sku = item.get("sku")
    return StockLevel(
        key=str(item["id"]),
        available=int(quantity) if tracked and quantity is not None else None,
        backorders_allowed=allowed,
        tracked=tracked,
        sku=str(sku) if sku else None,
    )


def _decode_marks(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value) if value.strip() else []
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            return decoded
    # Present but unreadable: treat as "some other marking", so mark rewrites and unmark clears it.
    return None if value is None else [{"unreadable": value}]


def read_refunded_units(client: WooCommerceClient, order_id: str, order: Mapping[str, Any]) -> dict[str, int]:
    """Units refunded per line id of ``order`` (its JSON as read): when it lists refunds, GET
    ``orders/<id>/refunds`` through ``client`` (every page, with its retries) and add them up
    (``refunded_units``); an order without refunds costs no call. Shared by ``parse_order`` and the
    drop-ship order facts (adapters/woocommerce/fulfillment.py). When the refunds cannot be read it
    raises the client's error (PlatformUnavailable / PlatformThrottled are transient), so the
    caller retries rather than taking the units as ordered."""
    if not has_refunds(order):
        return {}
    return refunded_units(client.paginate(f"orders/{_order_path_id(order_id)}/refunds"))


def _order_path_id(order_id: str) -> str:
    if not str(order_id).isdigit():
        raise InvalidPayload(f"woocommerce order id must be numeric, got {order_id!r}")
    return str(order_id)


def _numeric(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), PER_PAGE):
        yield items[start:start + PER_PAGE]
