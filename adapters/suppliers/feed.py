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
from collections.abc import Callable, Iterator, Mapping, Set
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import IO, Any

from adapters.suppliers.feed_scan import FeedLine, FeedScan
from adapters.suppliers.host_keys import configured_host_key
from adapters.suppliers.mapping import FieldMapping
from adapters.suppliers.sources import open_source
from connector.domain.errors import ConfigError, SupplierFeedInvalid, SupplierUnavailable
from connector.domain.host_key import HostKeyTrust
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
        if str(settings["source"]).lower().startswith("sftp:"):
            configured_host_key(settings)  # a host_key that cannot be read fails when the supplier is added
        self.host_key_trust = HostKeyTrust()
        """An SFTP server's host key trusted on first use: the poll sets ``pinned`` and stores ``seen``."""
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
        return _FeedFetch(self, validators, None)

    def fetch_lines(self, validators: Validators | None, known: set[int] | Callable[[], set[int]],
                    tracked: Set[str] | None = None) -> AbstractContextManager[LineFetch]:
        """The poll's fast path: FeedLine tuples, lines whose fingerprint is in ``known`` skipped
        (see feed_scan), and lines of SKUs outside ``tracked`` (when given) counted, not parsed.
        ``known`` may be changed by the caller while the scan runs; given as a function, it is called
        only when the source changed (an unchanged feed never loads its fingerprints)."""
        return _FeedFetch(self, validators, known, tracked)


@dataclass
class LineFetch:
    unchanged: bool
    scan: FeedScan | None
    bad: BadRows
    validators: Validators

    @property
    def lines(self) -> Iterator[FeedLine | None]:
        return _guarded(iter(self.scan) if self.scan is not None else iter(()), self.scan)


class _FeedFetch:
    def __init__(self, client: FeedClient, validators: Validators | None,
                 known: set[int] | Callable[[], set[int]] | None,
                 tracked: Set[str] | None = None) -> None:
        self.client = client
        self.validators = validators
        self.known = known
        self.tracked = tracked
        self._close: Any = None

    def __enter__(self) -> Any:
        opened = open_source(self.client.settings, self.client.secret, self.validators, name=self.client.name,
                             trust=self.client.host_key_trust)
        self._close = opened.close
        try:
            return self._start(opened)
        except BaseException:
            self.__exit__()
            raise

    def _start(self, opened: Any) -> SupplierFetch | LineFetch:
        bad = BadRows()
        scan = None
        if not opened.unchanged:
            assert opened.stream is not None
            known = self.known() if callable(self.known) else self.known
            text = io.TextIOWrapper(opened.stream, encoding=self.client.encoding, newline="")
            scan = _guard(lambda: FeedScan(text, self.client.mapping, bad, self.client.delimiter,
                                           known if known is not None else set(), self.tracked),
                          self.client.encoding)
        if self.known is not None:
            return LineFetch(opened.unchanged, scan, bad, opened.validators)
        rows = (_as_row(line) for line in LineFetch(False, scan, bad, opened.validators).lines if line is not None)
        return SupplierFetch(opened.unchanged, rows, bad, opened.validators)

    def __exit__(self, *exc: Any) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def _as_row(line: FeedLine) -> SupplierRow:
    sku, quantity, restock, lead, at, dropship, cost, _, _ = line
    return SupplierRow(sku, quantity, restock, lead, at, dropship, cost)


def parse_feed(raw: IO[bytes], mapping: FieldMapping, bad: BadRows, *, encoding: str = "utf-8-sig",
               delimiter: str | None = None) -> Iterator[SupplierRow]:
    """Rows of a delimited feed, streamed; bad rows go to ``bad`` and are skipped."""
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")  # type: ignore[arg-type]
    scan = _guard(lambda: FeedScan(text, mapping, bad, delimiter, set()), encoding)
    for line in _guarded(iter(scan), scan, encoding):
        if line is not None:
            yield _as_row(line)


def _guarded(lines: Iterator[Any], scan: FeedScan | None, encoding: str | None = None) -> Iterator[Any]:
    """Reading errors as the connector's errors, raised while the rows are read."""
    encoding = encoding or (getattr(scan.text, "encoding", None) if scan is not None else None) or "utf-8"
    with _feed_errors(encoding):
        yield from lines


def _guard(step: Any, encoding: str) -> Any:
    with _feed_errors(encoding):
        return step()


@contextmanager
def _feed_errors(encoding: str) -> Iterator[None]:
    """A feed that cannot be decoded or parsed is invalid; a transfer that broke off is unavailable."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise SupplierFeedInvalid(f"feed is not valid {encoding} (byte {exc.start} of a chunk): "
                                  "set the supplier's encoding, e.g. latin-1") from None
    except csv.Error as exc:
        raise SupplierFeedInvalid(f"feed is not readable as CSV: {exc}") from None
    except OSError as exc:
        raise SupplierUnavailable(f"feed transfer broke off: {type(exc).__name__}") from None
