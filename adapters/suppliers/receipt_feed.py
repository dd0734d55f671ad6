"""Receipt feed: rows of a supplier's CSV/TSV feed that name one of our purchase orders and the units
shipped for it (connector/purchasing/ports.py ``PurchaseOrderReceiptFeed``).

Settings: the supplier's purchasing terms ``receipt_feed`` ``{source?, mapping: {po_reference,
received_quantity, sku?}, delimiter?, encoding?}``; the source defaults to the supplier's own feed
``source``, and auth, timeouts and the outbound guard are the supplier's (adapters/suppliers/sources.py).
The file is streamed; only rows with a ``po_reference`` are kept (a stock feed's plain rows are
skipped); a bad row is logged with its line number and skipped. Header names match case-insensitively.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from typing import Any

from adapters.suppliers.feed import DELIMITERS
from adapters.suppliers.mapping import FieldMapping, to_receipt
from adapters.suppliers.sources import open_source
from connector.domain.errors import ConfigError, InvalidPayload, SupplierFeedInvalid, SupplierUnavailable
from connector.domain.purchasing import FeedReceipt

log = logging.getLogger(__name__)


class FeedReceiptReader:
    def __init__(self, settings: Mapping[str, Any], secret: Mapping[str, Any] | None = None,
                 *, name: str = "supplier") -> None:
        purchasing = settings.get("purchasing") or {}
        options = purchasing.get("receipt_feed") if isinstance(purchasing, Mapping) else None
        if not isinstance(options, Mapping):
            raise ConfigError("purchasing.receipt_feed", f"supplier {name} has no receipt feed")
        self.settings = {**settings, **{k: v for k, v in options.items() if k != "mapping"}}
        if not self.settings.get("source"):
            raise ConfigError("purchasing.receipt_feed.source", "a receipt feed needs a source (path or URL)")
        self.mapping = FieldMapping.from_settings({"mapping": options.get("mapping") or {}})
        if not self.mapping.po_reference or not self.mapping.received_quantity:
            raise ConfigError("purchasing.receipt_feed.mapping", "must name the po_reference and "
                                                                 "received_quantity columns")
        self.secret = dict(secret or {})
        self.name = name
        self.encoding = str(self.settings.get("encoding") or "utf-8-sig")
        delimiter = self.settings.get("delimiter")
        if delimiter is not None and str(delimiter) not in DELIMITERS:
            raise ConfigError("purchasing.receipt_feed.delimiter",
                              f"must be one of comma, tab, semicolon, pipe; got {delimiter!r}")
        self.delimiter = DELIMITERS[str(delimiter)] if delimiter is not None else None

    def receipts(self) -> list[FeedReceipt]:
        opened = open_source(self.settings, self.secret, None, name=self.name)
        try:
            assert opened.stream is not None
            text = io.TextIOWrapper(opened.stream, encoding=self.encoding, newline="")
            return self._read(text)
        except UnicodeDecodeError:
            raise SupplierFeedInvalid(f"receipt feed is not valid {self.encoding}") from None
        except csv.Error as exc:
            raise SupplierFeedInvalid(f"receipt feed is not readable as CSV: {exc}") from None
        except OSError as exc:
            raise SupplierUnavailable(f"receipt feed transfer broke off: {type(exc).__name__}") from None
        finally:
            opened.close()

    def _read(self, text: io.TextIOWrapper) -> list[FeedReceipt]:
        header_line = text.readline()
        delimiter = self.delimiter or max(",\t;|", key=header_line.count)
        [header] = list(csv.reader([header_line], delimiter=delimiter)) or [[]]
        names = [name.strip().lstrip("\ufeff").lower() for name in header]
        for field in (self.mapping.sku, self.mapping.po_reference, self.mapping.received_quantity):
            if str(field).strip().lower() not in names:
                raise SupplierFeedInvalid(f"receipt feed has no column {field!r} (it has {len(names)} columns)")
        wanted = {str(f).strip().lower(): str(f) for f in (self.mapping.sku, self.mapping.po_reference,
                                                            self.mapping.received_quantity)}
        found: list[FeedReceipt] = []
        bad = 0
        for number, fields in enumerate(csv.reader(text, delimiter=delimiter), start=2):
            if not any(fields):
                continue
            record = {wanted[name]: value for name, value in zip(names, fields, strict=False) if name in wanted}
            try:
                receipt = to_receipt(record, self.mapping, number)
            except InvalidPayload as exc:
                bad += 1
                log.warning("receipt feed row skipped", extra={"supplier": self.name, "line": number,
                                                               "reason": str(exc)})
                continue
            if receipt is not None:
                found.append(receipt)
        log.info("receipt feed read", extra={"supplier": self.name, "receipts": len(found), "bad_rows": bad})
        return found
