"""The ship-by date a customer saw for one line before paying, and their ship-together choice.

The storefront pieces (extensions/shopify-theme, the WordPress plugin) put them on the order under
fixed names, the same on both platforms:

- a line's promise: ``_backorder_ships_by`` = the ISO date (hidden from the customer: Shopify hides
  line item properties whose name starts with ``_`` in cart and checkout; WooCommerce hides order
  item meta whose key starts with ``_``), beside the visible ``Ships by`` = the same date as the
  customer read it (shown in cart, checkout, order confirmation and the admin order). The ISO value
  is read first; the visible one only when the ISO one is absent or unreadable (another theme or an
  older plugin), with the shop's date formats.
- the choice for a cart mixing in-stock and backordered items: Shopify cart attribute
  ``Backorder shipping`` (an order ``note_attributes`` entry), WooCommerce order meta
  ``_backorder_shipping``; values ``ready_now`` | ``together``.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, tzinfo

from connector.domain.promise import DEFAULT_DATE_FORMATS, StatedDate, UnreadableDate, parse_stated

ISO_PROPERTY = "_backorder_ships_by"
VISIBLE_PROPERTY = "Ships by"
LINE_PROPERTIES: tuple[str, ...] = (ISO_PROPERTY, "_Backorder ships by", VISIBLE_PROPERTY)
"""Line item property / order item meta names read as the line's promise, most exact first."""

SOURCE_PREFIX = "line_property:"

SHIP_CHOICE_NAMES: tuple[str, ...] = ("Backorder shipping", "_backorder_shipping")
"""Shopify cart attribute (order note_attributes) and WooCommerce order meta key of the choice."""
READY_NOW = "ready_now"
TOGETHER = "together"
SHIP_CHOICES = (READY_NOW, TOGETHER)


def line_promise(properties: Iterable[tuple[str, object]], formats: Sequence[str] = DEFAULT_DATE_FORMATS,
                 zone: tzinfo = UTC) -> tuple[StatedDate | None, list[str]]:
    """The line's promise from its properties, and the names whose value could not be read (for
    the log: names only, never values). The first readable name in LINE_PROPERTIES order wins."""
    values: dict[str, object] = {}
    for name, value in properties:
        key = name.strip().casefold()
        values.setdefault(key, value)
    unreadable: list[str] = []
    for name in LINE_PROPERTIES:
        value = values.get(name.casefold())
        if value is None:
            continue
        try:
            return StatedDate(parse_stated(value, formats, zone), f"{SOURCE_PREFIX}{name}"), unreadable
        except UnreadableDate:
            unreadable.append(name)
    return None, unreadable


def ship_choice(attributes: Iterable[tuple[str, object]]) -> str | None:
    """``ready_now`` | ``together`` from the order's attributes, None when not chosen or unknown."""
    wanted = {n.casefold() for n in SHIP_CHOICE_NAMES}
    for name, value in attributes:
        if name.strip().casefold() in wanted and isinstance(value, str):
            word = value.strip().casefold().replace(" ", "_").replace("-", "_")
            if word in SHIP_CHOICES:
                return word
    return None

