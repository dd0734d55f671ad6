"""Field mapping and value parsing shared by the supplier adapters.

A mapping names where each field is in a supplier's record: ``sku`` (required), ``quantity``,
``restock_date``, ``lead_time_days``, and for drop-ship ``dropship`` (yes/no, true/false, 1/0) and
``unit_cost`` (a decimal number) — these two are read only when mapped; for a purchase-order receipt
feed ``po_reference`` and ``received_quantity`` (``to_receipt``; the stock poll does not read them).
For JSON records a name may be a dotted path
(``stock.available``). Dates are read with the configured ``date_formats`` (strptime patterns)
and, always, ISO 8601 dates and date-times (``2016-10-27``, ``2016-10-27T14:36:04.487Z``,
``2016-12-25T13:00-0800``). A date-time counts as the calendar date it names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.domain.errors import ConfigError, InvalidPayload
from connector.domain.purchasing import FeedReceipt
from connector.domain.supply import SupplierRow

FIELDS = ("sku", "quantity", "restock_date", "lead_time_days", "dropship", "unit_cost", "po_reference",
          "received_quantity")
EMPTY = frozenset({"", "null", "none", "n/a", "-"})


@dataclass(frozen=True)
class FieldMapping:
    sku: str = "sku"
    quantity: str | None = "quantity"
    restock_date: str | None = "restock_date"
    lead_time_days: str | None = "lead_time_days"
    dropship: str | None = None
    unit_cost: str | None = None
    date_formats: tuple[str, ...] = ()
    po_reference: str | None = None
    received_quantity: str | None = None
    extra_empty: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> FieldMapping:
        raw = settings.get("mapping") or {}
        if not isinstance(raw, Mapping):
            raise ConfigError("mapping", "must be an object of field: column")
        unknown = set(raw) - set(FIELDS)
        if unknown:
            raise ConfigError("mapping", f"unknown field(s) {sorted(unknown)}; known: {list(FIELDS)}")
        if "sku" in raw and not raw["sku"]:
            raise ConfigError("mapping.sku", "must name the SKU column")
        formats = settings.get("date_formats") or ()
        if isinstance(formats, str):
            formats = (formats,)
        return cls(
            sku=str(raw.get("sku", "sku")),
            quantity=raw.get("quantity", "quantity"),
            restock_date=raw.get("restock_date", "restock_date"),
            lead_time_days=raw.get("lead_time_days", "lead_time_days"),
            dropship=raw.get("dropship"),
            unit_cost=raw.get("unit_cost"),
            date_formats=tuple(str(f) for f in formats),
            po_reference=raw.get("po_reference"),
            received_quantity=raw.get("received_quantity"),
        )


def parse_int(value: Any, what: str) -> int | None:
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise InvalidPayload(f"{what}: not a number: {value!r}")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidPayload(f"{what}: not a whole number: {value!r}")
        return int(value)
    text = str(value).strip()
    if text.lower() in EMPTY:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise InvalidPayload(f"{what}: not a number: {text[:40]!r}") from None
        if not number.is_integer():
            raise InvalidPayload(f"{what}: not a whole number: {text[:40]!r}") from None
        return int(number)


TRUE = frozenset({"1", "true", "yes", "y", "x"})
FALSE = frozenset({"0", "false", "no", "n"})


def parse_bool(value: Any, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in EMPTY:
        return None
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise InvalidPayload(f"{what}: not yes/no: {text[:40]!r}")


def parse_decimal(value: Any, what: str) -> Decimal | None:
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise InvalidPayload(f"{what}: not a number: {value!r}")
        return None
    text = str(value).strip()
    if text.lower() in EMPTY:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidPayload(f"{what}: not a number: {text[:40]!r}") from None
    if not number.is_finite() or number < 0:
        raise InvalidPayload(f"{what}: not a cost: {text[:40]!r}")
    return number


def parse_date(value: Any, formats: Sequence[str] = ()) -> date | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() in EMPTY:
        return None
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - only the calendar date is kept
        except ValueError:
            continue
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("z", "Z")).date()
    except ValueError:
        raise InvalidPayload(f"restock date: unrecognised date {text[:40]!r}") from None


def lookup(record: Mapping[str, Any], path: str | None) -> Any:
    if not path:
        return None
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def to_row(record: Mapping[str, Any], mapping: FieldMapping, line: int) -> SupplierRow:
    """One record (CSV row as a dict, or a JSON object) as a SupplierRow; raises InvalidPayload."""
    sku = lookup(record, mapping.sku)
    if sku is None or not str(sku).strip():
        raise InvalidPayload(f"missing SKU (column {mapping.sku!r})")
    return SupplierRow(
        sku=str(sku).strip(),
        quantity=parse_int(lookup(record, mapping.quantity), "quantity"),
        restock_date=parse_date(lookup(record, mapping.restock_date), mapping.date_formats),
        lead_time_days=parse_int(lookup(record, mapping.lead_time_days), "lead time"),
        line=line,
        dropship=parse_bool(lookup(record, mapping.dropship), "dropship"),
        unit_cost=parse_decimal(lookup(record, mapping.unit_cost), "unit cost"),
    )


def to_receipt(record: Mapping[str, Any], mapping: FieldMapping, line: int) -> FeedReceipt | None:
    """A record naming one of our purchase orders as a FeedReceipt; None when its ``po_reference`` cell
    is empty (a plain stock row). Raises InvalidPayload for a row without a SKU or a whole number."""
    reference = lookup(record, mapping.po_reference)
    if reference is None or str(reference).strip().lower() in EMPTY:
        return None
    sku = lookup(record, mapping.sku)
    if sku is None or not str(sku).strip():
        raise InvalidPayload(f"missing SKU (column {mapping.sku!r})")
    quantity = parse_int(lookup(record, mapping.received_quantity), "received quantity")
    if quantity is None or quantity < 0:
        raise InvalidPayload(f"received quantity: not a whole number of units: {quantity!r}")
    return FeedReceipt(str(reference).strip(), str(sku).strip(), quantity, line)
