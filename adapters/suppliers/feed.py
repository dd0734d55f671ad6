"""CSV/TSV supplier feeds from a local path, HTTPS or SFTP, parsed as a stream.

The file is never held in memory: bytes are decoded incrementally (``encoding``: ``utf-8-sig``
by default, which also reads UTF-8 with a BOM; ``latin-1``; any Python codec) and rows are
yielded one at a time. A bad row is counted with its line number and reason and skipped; a
feed whose header lacks the SKU column, or that cannot be decoded, is refused as a whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import IO, Any

from adapters.suppliers.mapping import FieldMapping, parse_bool, parse_date, parse_decimal, parse_int
from adapters.suppliers.sources import open_source
from connector.domain.errors import ConfigError, InvalidPayload, SupplierFeedInvalid, SupplierUnavailable
from connector.domain.supply import BadRows, SupplierFetch, SupplierRow, Validators

log = logging.getLogger(__name__)

DELIMITERS = {"comma": ",", "tab": "\t", "semicolon": ";", "pipe": "|", ",": ",", "\t": "\t", ";": ";", "|": "|"}


class FeedClient:
    """SupplierClient over a delimited text feed. Settings: ``source`` (path/https/sftp URL),
    ``mapping``, ``date_formats``, ``encoding``, ``delimiter`` (auto by default)."""

    def __init__(self, settings: Mapping[str, Any], secret: Mapping[str, Any] | None = None,
                 *, name: str = "feed") -> None:
        if not settings.get("source"):
            raise ConfigError("source", "a feed supplier needs a source (path, https:// or sftp:// URL)")
        self.settings = dict(settings)
        self.secret = dict(secret or {})
        self.name = name
        self.mapping = FieldMapping.from_settings(settings)
        self.encoding = str(settings.get("encoding") or "utf-8-sig")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ConfigError("encoding", f"unknown encoding {self.encoding!r}") from None
        delimiter = settings.get("delimiter")
        if delimiter is not None and str(delimiter) not in DELIMITERS:
            raise ConfigError("delimiter", f"must be one of comma, tab, semicolon, pipe; got {delimiter!r}")
        self.delimiter = DELIMITERS[str(delimiter)] if delimiter is not None else None

    def fetch(self, validators: Validators | None = None,
              page_state: Mapping[str, Any] | None = None) -> AbstractContextManager[SupplierFetch]:
        return _FeedFetch(self, validators)


class _FeedFetch:
    def __init__(self, client: FeedClient, validators: Validators | None) -> None:
        self.client = client
        self.validators = validators
        self._close: Any = None

    def __enter__(self) -> SupplierFetch:
        opened = open_source(self.client.settings, self.client.secret, self.validators, name=self.client.name)
        self._close = opened.close
        bad = BadRows()
        if opened.unchanged:
            return SupplierFetch(True, iter(()), bad, opened.validators)
        assert opened.stream is not None
        rows = parse_feed(opened.stream, self.client.mapping, bad, encoding=self.client.encoding,
                          delimiter=self.client.delimiter)
        return SupplierFetch(False, rows, bad, opened.validators)

    def __exit__(self, *exc: Any) -> None:
        if self._close is not None:
            self._close()


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_feed(raw: IO[bytes], mapping: FieldMapping, bad: BadRows, *, encoding: str = "utf-8-sig",
               delimiter: str | None = None) -> Iterator[SupplierRow]:
    """Rows of a delimited feed, streamed; bad rows go to ``bad`` and are skipped."""
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")  # type: ignore[arg-type]
    try:
        yield from _parse_text(text, mapping, bad, delimiter)
    except UnicodeDecodeError as exc:
        raise SupplierFeedInvalid(f"feed is not valid {encoding} (byte {exc.start} of a chunk): "
                                  "set the supplier's encoding, e.g. latin-1") from None
    except csv.Error as exc:
        raise SupplierFeedInvalid(f"feed is not readable as CSV: {exc}") from None
    except OSError as exc:
        raise SupplierUnavailable(f"feed transfer broke off: {type(exc).__name__}") from None


def _parse_text(text: io.TextIOWrapper, mapping: FieldMapping, bad: BadRows,
                delimiter: str | None) -> Iterator[SupplierRow]:
    header_line = text.readline()
    if not header_line.strip():
        raise SupplierFeedInvalid("feed is empty (no header row)")
    delimiter = delimiter or _sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    columns = {name.strip().lstrip("\ufeff").lower(): index for index, name in enumerate(header)}

    def column(name: str | None, field: str, required: bool = False) -> int | None:
        if not name:
            return None
        index = columns.get(name.strip().lower())
        if index is None and required:
            raise SupplierFeedInvalid(f"feed header has no {field} column {name!r} (columns: {header[:20]})")
        return index

    i_sku = column(mapping.sku, "sku", required=True)
    i_qty = column(mapping.quantity, "quantity")
    i_date = column(mapping.restock_date, "restock date")
    i_lead = column(mapping.lead_time_days, "lead time")
    i_drop = column(mapping.dropship, "dropship", required=True)  # mapped on purpose: must be there
    i_cost = column(mapping.unit_cost, "unit cost", required=True)
    if i_qty is None and i_date is None and i_lead is None:
        raise SupplierFeedInvalid("feed has none of the quantity, restock date or lead time columns "
                                  f"(columns: {header[:20]}); check the supplier's mapping")
    assert i_sku is not None
    width = len(header)
    formats = mapping.date_formats
    reader = csv.reader(text, delimiter=delimiter)
    line = 1
    for record in reader:
        line = reader.line_num + 1  # the header was read separately
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != width:
            bad.add(line, f"expected {width} columns, got {len(record)}")
            continue
        try:
            sku = record[i_sku].strip()
            if not sku:
                raise InvalidPayload("missing SKU")
            yield SupplierRow(
                sku,
                _int(record[i_qty], "quantity") if i_qty is not None else None,
                _date(record[i_date], formats) if i_date is not None else None,
                _int(record[i_lead], "lead time") if i_lead is not None else None,
                line,
                parse_bool(record[i_drop], "dropship") if i_drop is not None else None,
                parse_decimal(record[i_cost], "unit cost") if i_cost is not None else None,
            )
        except InvalidPayload as exc:
            bad.add(line, str(exc))


def _int(text: str, what: str) -> int | None:
    """parse_int with a fast path for the common case (a plain integer or an empty cell)."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return parse_int(text, what)


def _date(text: str, formats: tuple[str, ...]) -> date | None:
    """parse_date with a fast path for ISO dates when no formats are configured."""
    if not text:
        return None
    if not formats and len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return parse_date(text, formats)
