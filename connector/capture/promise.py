"""The checkout promise: the delivery date the store stated when the order was placed.

Capture calls ``gather`` between reading stock and writing the order, and ``record`` inside the
write. Only an order that touches a short stock position (so may be backordered) is looked at: the
shop's settings are read (one query) and, on Shopify, the store's own delivery promise is asked
once per order (one GraphQL call, through the client's throttle handling). Every other order costs
nothing here. Sources, each a per-shop setting (``connector shops set S KEY VALUE``):

- Shopify's delivery method: ``FulfillmentOrder.deliveryMethod.maxDeliveryDateTime``;
- delivery-date apps: Shopify ``note_attributes`` / WooCommerce order ``meta_data`` with the names
  in ``promise.note_attributes`` / ``promise.meta_keys``.

A line may carry its own promise: the ship-by date the customer saw for that item before paying
(Shopify line item property / WooCommerce order item meta ``_backorder_ships_by`` or ``Ships by``,
written by the storefront pieces; connector/domain/line_promise.py). It is stored on the line
(``order_lines.promised_on``, source "line_property:<name>") once and never rewritten, and becomes
its backorder's ``promised_date``: for that line it wins over the order-level promise below. A later
change of the published date moves what product pages show, never what an order was promised.

The latest stated date is the promise (``orders.promised_delivery_on``) and notify's shipping
promise. Until notify's first decision about a backorder of the order (a notice sent or a silence
recorded) an update that changes the stated date moves it; after that it is pinned: the order keeps
the date the decision was taken against, and the change is logged as a warning, not applied.
An unreadable value is logged (attribute name, never the value) and ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.capture.repository import CaptureRepository
from connector.db.models import Order
from connector.db.repositories import ShopSettingRepository
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError
from connector.domain.line_promise import LINE_PROPERTIES, line_promise
from connector.domain.model import OrderSnapshot, StockLevel
from connector.domain.promise import DEFAULT_DATE_FORMATS, StatedDate, UnreadableDate, as_date, latest, parse_stated
from connector.ports import DeliveryPromises, StorePlatform
from connector.shop_settings import ShopSettingSpec, registry

log = logging.getLogger(__name__)

STORE_SOURCE = "shopify:deliveryMethod"
DEFAULT_NOTE_ATTRIBUTES = ["Delivery Date", "delivery_date", "Delivery-Date"]
DEFAULT_META_KEYS = ["_delivery_date", "delivery_date", "Delivery Date", "dtwc_delivery_date",
                     "_orddd_timestamp", "_orddd_lite_timestamp"]
"""Order meta of common WooCommerce delivery-date plugins (Order Delivery for WooCommerce,
Delivery Times for WooCommerce, Order Delivery Date Pro / Lite timestamps) and plain names."""


def _names(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= 50 and all(
        isinstance(v, str) and 0 < len(v) <= 255 for v in value)


def _formats(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= 50 and all(
        isinstance(v, str) and "%" in v and len(v) <= 100 for v in value)


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("promise.shopify_delivery_method", True,
                    "read Shopify's delivery promise (fulfillment order maxDeliveryDateTime) for backordered orders",
                    lambda v: isinstance(v, bool)),
    ShopSettingSpec("promise.note_attributes", DEFAULT_NOTE_ATTRIBUTES,
                    'Shopify order note_attributes holding the delivery date stated at checkout (list; [] = off)',
                    _names),
    ShopSettingSpec("promise.meta_keys", DEFAULT_META_KEYS,
                    "WooCommerce order meta_data keys holding the stated delivery date or a Unix timestamp "
                    "(list; [] = off)",
                    _names),
    ShopSettingSpec("promise.date_formats", list(DEFAULT_DATE_FORMATS),
                    'strptime formats for stated dates after ISO 8601 and timestamps, first match wins '
                    '(e.g. "%d/%m/%Y")',
                    _formats),
)

ZONE_KEY = "dates.timezone"
"""The shop's time zone, declared by connector/supply/dates.py (default UTC): a stated moment is
read as a date there."""

_KEYS = ("promise.shopify_delivery_method", "promise.note_attributes", "promise.meta_keys",
         "promise.date_formats", ZONE_KEY)


@dataclass(frozen=True)
class PromiseSettings:
    store_promise: bool
    names: Mapping[str, frozenset[str]]
    """Attribute kind ("note_attributes" | "meta_data") -> names that count, case-folded."""
    formats: tuple[str, ...]
    zone: tzinfo


@dataclass(frozen=True)
class Gathered:
    """What capture learnt about the promise outside the write transaction."""

    stated: StatedDate | None
    """The latest date stated in the order's attributes."""
    store_day: date | None = None
    store_asked: bool = False
    """The store's own promise was asked now (``store_day`` is its answer)."""
    lines: Mapping[str, StatedDate] | None = None
    """Platform line id -> the ship-by date the customer saw for that line."""
    order_level: bool = True
    """False: the order is not short now, only its lines' promises were read."""


def load(uow: UnitOfWork, shop_id: int) -> PromiseSettings:
    """The shop's promise settings in one query (its own unit of work, one statement)."""
    with uow.single():
        stored = {key: json.loads(value)
                  for key, value in uow.repo(ShopSettingRepository).stored(shop_id, _KEYS).items()}
    declared = registry()
    values: dict[str, Any] = {key: stored.get(key, declared.spec(key).default if key in declared else None)
                              for key in _KEYS}
    zone = _zone(values[ZONE_KEY], shop_id)
    return PromiseSettings(
        store_promise=bool(values["promise.shopify_delivery_method"]),
        names={"note_attributes": frozenset(n.strip().casefold() for n in values["promise.note_attributes"]),
               "meta_data": frozenset(n.strip().casefold() for n in values["promise.meta_keys"])},
        formats=tuple(values["promise.date_formats"]),
        zone=zone,
    )


def _zone(name: Any, shop_id: int) -> tzinfo:
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):  # validated when set; a zone gone from tzdata reads as UTC
        log.warning("shop time zone unknown, dates read in UTC", extra={"shop_id": shop_id, "zone": str(name)})
        return UTC


def may_be_short(snapshot: OrderSnapshot, levels: Mapping[str, StockLevel]) -> bool:
    """Whether capture may make this order a backorder: it is open and a line carries backordered
    meta or draws on a position the store reports short."""
    if snapshot.cancelled:
        return False
    for line in snapshot.lines:
        if line.quantity <= 0:
            continue
        if line.backordered_meta:
            return True
        level = levels.get(line.stock_key or "")
        if level is not None and level.shortage > 0:
            return True
    return False


def gather(uow: UnitOfWork, platform: StorePlatform, shop_id: int, snapshot: OrderSnapshot,
           levels: Mapping[str, StockLevel], *, store_asked_before: bool,
           settings_of: Callable[[], PromiseSettings] | None = None) -> Gathered | None:
    """Read the stated date of an order that may be backordered; None for every other order.
    ``settings_of`` gives the shop's settings (a batch of orders reads them once); else ``load``."""
    read_settings = settings_of or (lambda: load(uow, shop_id))
    promised_lines = has_line_promises(snapshot)
    if not may_be_short(snapshot, levels):
        if not promised_lines or snapshot.cancelled:
            return None
        # a line sold as backordered that is not short now (stock came in): its promise is still
        # kept, should re-evaluation make it a backorder later
        return Gathered(None, lines=line_promises(snapshot, read_settings(), shop_id), order_level=False)
    store = platform if isinstance(platform, DeliveryPromises) and not store_asked_before else None
    if not snapshot.attributes and store is None and not promised_lines:
        return Gathered(None)  # nothing to read: no settings query either
    settings = read_settings()
    stated = stated_in_attributes(snapshot, settings, shop_id)
    lines = line_promises(snapshot, settings, shop_id) if promised_lines else None
    if not settings.store_promise or store is None:
        return Gathered(stated, lines=lines)
    try:
        moment = store.delivery_promise(snapshot.order_id)
    except ConnectorError as exc:  # the order still counts; the promise is asked again next capture
        log.warning("store delivery promise not read", extra={"shop_id": shop_id, "order": snapshot.order_id,
                                                              "error": f"{type(exc).__name__}: {exc}"})
        return Gathered(stated, lines=lines)
    return Gathered(stated, as_date(moment, settings.zone) if moment is not None else None, store_asked=True,
                    lines=lines)


@runtime_checkable
class BatchPromises(Protocol):
    """A store that reads the delivery promise of several orders a call (Shopify ``nodes``,
    adapters/shopify/batched.py): a batch of orders asks once (connector/capture/batch.py)."""

    def delivery_promises(self, order_ids: Sequence[str]) -> Mapping[str, datetime | None]:
        """Order id -> ``delivery_promise`` of each; errors as for one order."""
        ...


def store_will_be_asked(snapshot: OrderSnapshot, levels: Mapping[str, StockLevel], settings: PromiseSettings,
                        *, store_asked_before: bool) -> bool:
    """Whether ``gather`` asks the store for this order's delivery promise (same conditions)."""
    return settings.store_promise and not store_asked_before and may_be_short(snapshot, levels)


_LINE_NAMES = frozenset(name.casefold() for name in LINE_PROPERTIES)


def has_line_promises(snapshot: OrderSnapshot) -> bool:
    """Whether a line carries a property the storefront writes its ship-by date to."""
    return any(name.strip().casefold() in _LINE_NAMES for line in snapshot.lines for name, _ in line.properties)


def line_promises(snapshot: OrderSnapshot, settings: PromiseSettings, shop_id: int) -> dict[str, StatedDate]:
    """Platform line id -> the ship-by date its properties state; unreadable ones are logged by name."""
    found: dict[str, StatedDate] = {}
    for line in snapshot.lines:
        if not line.properties:
            continue
        stated, unreadable = line_promise(line.properties, settings.formats, settings.zone)
        for name in unreadable:
            log.warning("line ship-by date unreadable, ignored",
                        extra={"shop_id": shop_id, "order": snapshot.order_id, "line": line.line_id,
                               "source": f"line_property:{name}"})
        if stated is not None:
            found[line.line_id] = stated
    return found


def stated_in_attributes(snapshot: OrderSnapshot, settings: PromiseSettings, shop_id: int) -> StatedDate | None:
    """The latest date among the order attributes the shop names; unreadable values are logged."""
    wanted = settings.names.get(snapshot.attribute_kind, frozenset())
    if not wanted:
        return None
    ordered_on = as_date(snapshot.created_at, settings.zone)
    found: list[StatedDate] = []
    for name, value in snapshot.attributes:
        if name.strip().casefold() not in wanted:
            continue
        source = f"{snapshot.attribute_kind}:{name}"[:120]
        try:
            day = parse_stated(value, settings.formats, settings.zone)
        except UnreadableDate as exc:
            log.warning("stated delivery date unreadable, ignored",
                        extra={"shop_id": shop_id, "order": snapshot.order_id, "source": source, "reason": str(exc)})
            continue
        if day < ordered_on:  # a delivery before the order was placed: a misread format, not a promise
            log.warning("stated delivery date before the order date, ignored",
                        extra={"shop_id": shop_id, "order": snapshot.order_id, "source": source})
            continue
        found.append(StatedDate(day, source))
    return latest(found)


def record(uow: UnitOfWork, shop_id: int, order: Order, gathered: Gathered | None) -> None:
    """Store the promise on the order (inside capture's write transaction, after the upsert)."""
    if gathered is None:
        return
    if gathered.lines:
        record_lines(order, gathered.lines)
    if not gathered.order_level:
        return
    if gathered.store_asked:
        order.store_promise_checked_at = utcnow()
        order.store_promise_on = gathered.store_day
    store = StatedDate(order.store_promise_on, STORE_SOURCE) if order.store_promise_on else None
    best = latest(s for s in (store, gathered.stated) if s is not None)
    day, source = (best.day, best.source) if best else (None, None)
    if (day, source) == (order.promised_delivery_on, order.promised_delivery_source):
        return
    context = {"shop_id": shop_id, "order": order.platform_order_id, "source": source,
               "stated": day.isoformat() if day else None,
               "recorded": order.promised_delivery_on.isoformat() if order.promised_delivery_on else None}
    if day != order.promised_delivery_on and _pinned(uow, order):
        log.warning("stated delivery date changed after the shipping promise was pinned; the promise stands",
                    extra=context)
        return
    order.promised_delivery_on, order.promised_delivery_source = day, source
    log.info("checkout promise recorded", extra=context)


def record_lines(order: Order, stated: Mapping[str, StatedDate]) -> None:
    """Keep each line's ship-by date the first time it is read; a line's backorder waiting without a
    promised date takes it (backorders created later take it from the line: connector/capture/capture.py)."""
    for line in order.lines:
        day = stated.get(line.platform_line_id)
        if day is None:
            continue
        if line.promised_on is None:
            line.promised_on, line.promised_source = day.day, day.source
            log.info("line promise recorded", extra={"shop_id": order.shop_id, "order": order.platform_order_id,
                                                    "line": line.platform_line_id, "source": day.source,
                                                    "stated": day.day.isoformat()})
        elif line.promised_on != day.day:
            log.warning("line ship-by date changed after the order was placed; the promise stands",
                        extra={"shop_id": order.shop_id, "order": order.platform_order_id,
                               "line": line.platform_line_id, "source": day.source})
        backorder = line.backorder
        if backorder is not None and backorder.promised_date is None:
            backorder.promised_date = line.promised_on


def _pinned(uow: UnitOfWork, order: Order) -> bool:
    """Notify pinned the shipping promise of one of this order's backorders: its first decision
    (a notice sent or a silence recorded) was taken against it."""
    if order.id is None:
        return False
    return uow.repo(CaptureRepository).promise_pinned(order.shop_id, order.id)
