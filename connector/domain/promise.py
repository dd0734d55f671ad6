"""The delivery date a store stated at checkout, read from what delivery-date apps leave on an order.

Stores state dates in many shapes: ISO dates and datetimes (Shopify's delivery promise), human
dates in the app's display format ("December 10, 2026"), Unix timestamps (WooCommerce Order
Delivery Date keeps ``_orddd_timestamp``), and windows ("2026-12-08 - 2026-12-10"). The promise is
the LATEST date stated: the end of a window, the latest of several attributes. A datetime with an
offset is converted to the shop's calendar date (UTC where the shop names no zone).

Standard library only. Values are order data: errors name the attribute, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

DEFAULT_DATE_FORMATS: tuple[str, ...] = (
    "%B %d, %Y", "%b %d, %Y", "%A, %B %d, %Y", "%a, %b %d, %Y", "%d %B %Y", "%d %b %Y", "%A %d %B %Y",
    "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y",
)
"""strptime formats tried in order after ISO 8601 and timestamps. Month-first slashes (US) only:
a day-first shop puts "%d/%m/%Y" in its ``promise.date_formats`` instead."""

MAX_VALUE_LENGTH = 200
"""Longer attribute values are not dates (and are not read)."""

_WINDOW = re.compile(r"\s+(?:-|–|—|to|until|bis)\s+|\s*[–—]\s*", re.IGNORECASE)
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d{8,13}(?:\.\d+)?")
_MS_THRESHOLD = 10**11
"""A timestamp above this is in milliseconds (10**11 seconds is the year 5138)."""


class UnreadableDate(ValueError):
    """A stated value that is no date this module knows. The message never carries the value."""


@dataclass(frozen=True)
class StatedDate:
    day: date
    source: str
    """Where it was read, e.g. ``note_attributes:Delivery Date`` or ``shopify:deliveryMethod``."""


def parse_stated(value: object, formats: Sequence[str] = DEFAULT_DATE_FORMATS, zone: tzinfo = UTC) -> date:
    """The latest date in one stated value (the end of a window). Raises UnreadableDate."""
    if isinstance(value, bool) or value is None:
        raise UnreadableDate(f"not a date value ({type(value).__name__})")
    if isinstance(value, int | float):
        return _timestamp(float(value), zone)
    if not isinstance(value, str):
        raise UnreadableDate(f"not a date value ({type(value).__name__})")
    text = value.strip()
    if not text or len(text) > MAX_VALUE_LENGTH:
        raise UnreadableDate("empty or overlong value")
    days = [_one(part.strip(), formats, zone) for part in _parts(text)]
    return max(days)


def latest(dates: Iterable[StatedDate]) -> StatedDate | None:
    """The promise among several stated dates: the latest (ties keep the first source)."""
    best: StatedDate | None = None
    for stated in dates:
        if best is None or stated.day > best.day:
            best = stated
    return best


def as_date(moment: datetime, zone: tzinfo = UTC) -> date:
    """A stated moment as a calendar date: in ``zone`` when it carries an offset, as written when not."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.date()
    return moment.astimezone(zone).date()


def _parts(text: str) -> list[str]:
    if _is_iso_like(text):
        return [text]  # "2026-12-10T10:00:00-05:00" is one moment, not a window
    parts = [p for p in _WINDOW.split(text) if p.strip()]
    return parts or [text]


def _is_iso_like(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _one(text: str, formats: Sequence[str], zone: tzinfo) -> date:
    if _NUMBER.fullmatch(text):
        if len(text) == 8:  # YYYYMMDD (Iconic's *_ymd meta); no 8-digit timestamp is a stated date
            try:
                return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
            except ValueError:
                raise UnreadableDate("8 digits that are no YYYYMMDD date") from None
        return _timestamp(float(text), zone)
    try:
        return as_date(datetime.fromisoformat(text.replace("Z", "+00:00")), zone)
    except ValueError:
        pass
    cleaned = _ORDINAL.sub("", " ".join(text.split()))
    for fmt in formats:
        try:
            return datetime.strptime(cleaned, fmt).date()  # noqa: DTZ007 - a calendar date, no moment
        except ValueError:
            continue
    raise UnreadableDate(f"matches no ISO form, timestamp or one of {len(formats)} formats")


def _timestamp(seconds: float, zone: tzinfo) -> date:
    if seconds > _MS_THRESHOLD:
        seconds /= 1000
    if seconds <= 0:
        raise UnreadableDate("a timestamp at or before 1970")
    try:
        return datetime.fromtimestamp(seconds, UTC).astimezone(zone).date()
    except (OverflowError, OSError, ValueError):
        raise UnreadableDate("a timestamp out of range") from None


MAX_ATTRIBUTES = 200
"""Order attributes kept per order (a WooCommerce order carries a few dozen meta entries)."""


def collect_attributes(raw: object, name_key: str, value_key: str) -> tuple[tuple[str, str | int | float], ...]:
    """Scalar (name, value) pairs from a platform list such as ``[{"name": .., "value": ..}]``.

    Anything else (nested values, non-objects, overlong values) is left out: no delivery-date app
    stores its date that way, and an order must never fail capture over an attribute.
    """
    if not isinstance(raw, list):
        return ()
    pairs: list[tuple[str, str | int | float]] = []
    for item in raw[:MAX_ATTRIBUTES]:
        if not isinstance(item, dict):
            continue
        name, value = item.get(name_key), item.get(value_key)
        if not isinstance(name, str) or not name or isinstance(value, bool):
            continue
        if isinstance(value, str) and len(value) <= MAX_VALUE_LENGTH or isinstance(value, int | float):
            pairs.append((name[:255], value))
    return tuple(pairs)
