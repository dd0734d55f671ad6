"""What a supplier tells us about its stock, as the connector understands it (standard library only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connector.domain.errors import InvalidPayload

MAX_BAD_ROWS_KEPT = 100
"""Bad rows remembered per poll with their line number and reason (all are counted)."""


@dataclass(frozen=True)
class SupplierRow:
    """One SKU as the supplier reports it. ``line`` is the feed line or the record's position."""

    sku: str
    quantity: int | None = None
    """Units the supplier can ship now; negative values (oversold) count as none."""
    restock_date: date | None = None
    lead_time_days: int | None = None
    line: int = 0
    dropship: bool | None = None
    """Whether the supplier drop-ships this SKU (None: the feed does not say)."""
    unit_cost: Decimal | None = None
    """The supplier's unit cost (None: the feed does not say)."""

    def __post_init__(self) -> None:
        if not self.sku or not self.sku.strip():
            raise InvalidPayload("empty SKU")
        if self.lead_time_days is not None and self.lead_time_days < 0:
            raise InvalidPayload(f"negative lead time {self.lead_time_days}")


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class BadRows:
    """Counts every bad row; keeps the first ``MAX_BAD_ROWS_KEPT`` for the report."""

    count: int = 0
    kept: list[BadRow] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        if len(self.kept) < MAX_BAD_ROWS_KEPT:
            self.kept.append(BadRow(line, reason))


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators (ETag / Last-Modified) for one request, or a file's identity."""

    etag: str | None = None
    last_modified: str | None = None

    @property
    def empty(self) -> bool:
        return self.etag is None and self.last_modified is None


@dataclass
class SupplierFetch:
    """One poll's answer: either ``unchanged`` or a stream of rows (read once, while open).

    ``bad`` fills while ``rows`` is consumed. ``validators`` are the ones to send next time;
    ``page_state`` is adapter-specific state kept between polls (per-page validators).
    """

    unchanged: bool
    rows: Iterator[SupplierRow]
    bad: BadRows
    validators: Validators = field(default_factory=Validators)
    page_state: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogItem:
    """One sellable SKU in a store: where it lives, its stock, and the date now on its page."""

    sku: str
    product_id: str
    variant_id: str | None
    """Shopify variant id; WooCommerce variation id (None for a simple product)."""
    available: int | None
    backorders_allowed: bool
    inventory_item_id: str | None = None
    price: str | None = None
    page_date: date | None = None


@dataclass(frozen=True)
class PageDate:
    """A date to show on (or, with ``day`` None, remove from) one SKU's product page."""

    sku: str
    product_id: str
    variant_id: str | None
    day: date | None


@dataclass(frozen=True)
class BackorderSwitch:
    sku: str
    product_id: str
    variant_id: str | None
    allowed: bool
