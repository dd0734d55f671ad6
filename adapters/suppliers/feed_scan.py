"""Streaming scan of a delimited feed, with a fingerprint per line so unchanged lines cost little.

Each line gets a 60-bit fingerprint (two CRC-32s of its text, seeded with the header and the
parse settings). A line whose fingerprint is in ``known`` (the fingerprints of the lines that made
the stored stock) is byte-for-byte the line that produced a SKU's stored state: it is counted and
skipped without parsing. Every other line is parsed and yielded as a ``FeedLine`` tuple; bad lines
go to ``bad`` with their line number and reason. A plain tuple, not an object per row: at a
million rows the object alone cost more than reading the file.

"The later line wins" for a SKU listed twice: a skipped line may follow a parsed line of the same
SKU before that parse is stored. So, once a row has been yielded, skipped lines are remembered in
``hits`` (their fingerprints, in order; each yielded row carries ``len(hits)`` when it was read, so
"after" is an index comparison: a dict of lines cost more than the rest of the scan) until the
consumer calls ``applied()``; the consumer keeps a stored state whose line comes later. ``FLUSH``
(None) is yielded when the list grows large. Storing a chunk changes ``known`` (a SKU's old line out, its
new one in), so once the consumer has stored rows in the middle of a block, the block's lines still to come
that were found are looked up again: a line that repeats the stored line of a SKU an earlier line has just
changed is then read, not skipped.

Lines without a quote character (nearly all feed lines) are split on the delimiter, which is what
the csv module would do; a block of lines holding a quote or a bare carriage return goes through
the csv module (quoted fields may span lines there).

``tracked``: the SKUs the store sells (None: all). A supplier's feed usually lists its whole range,
far more than one store sells; lines of other SKUs are counted (``untracked``) and neither
fingerprinted nor parsed. A quote-free block's sold lines are picked in numpy (sold_lines.py: only lines
that may be sold become strings, each checked exactly), so a million-line feed of which a store sells a
tenth costs less than reading it with the csv module; where numpy cannot tell the cells apart (a
delimiter of more than one byte, "" among the sold SKUs) the SKU cell of every line is cut out in C
(``str.partition`` in a comprehension when the SKU is the first column) and looked up.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Set
from datetime import date
from decimal import Decimal
from itertools import compress, islice, repeat
from operator import and_, itemgetter, lshift, methodcaller, not_, or_
from typing import Any

from adapters.suppliers import sold_lines
from adapters.suppliers.mapping import FieldMapping, parse_bool, parse_date, parse_decimal, parse_int
from connector.domain.errors import InvalidPayload, SupplierFeedInvalid
from connector.domain.supply import BadRows

FeedLine = tuple[str, int | None, date | None, int | None, int, bool | None, Decimal | None, int, int]
"""(sku, quantity, restock date, lead time days, line, dropship, unit cost, fingerprint, position in hits)."""
SKU, QUANTITY, RESTOCK, LEAD, LINE, DROPSHIP, COST, FINGERPRINT, POSITION = range(9)
FLUSH = None
"""Yielded when the consumer should store what it holds and call ``applied()``."""

BLOCK_CHARS = 1 << 20
WINDOW_MAX = 100_000
DATE_CACHE_MAX = 100_000
MASK28 = (1 << 28) - 1
_crc = zlib.crc32
_reverse = itemgetter(slice(None, None, -1))
_UNSEEN = object()
_ASCII_SPACE = (" ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")
"""What ``str.strip`` removes of ASCII, line feeds aside."""


def seeds(header: str, mapping: FieldMapping, delimiter: str) -> tuple[int, int]:
    """Fingerprint seeds: a changed header or mapping makes every line new (parsed once again)."""
    key = repr((header, mapping.sku, mapping.quantity, mapping.restock_date, mapping.lead_time_days,
                mapping.dropship, mapping.unit_cost, mapping.date_formats, delimiter)).encode()
    return _crc(key), _crc(key[::-1]) ^ 0x5BD1E995


def fingerprint(text: str, seed: tuple[int, int]) -> int:
    data = text.encode("utf-8", "surrogatepass")
    return _crc(data, seed[0]) | (_crc(data[::-1], seed[1]) & MASK28) << 32


class FeedScan:
    """Iterate for FeedLine tuples (and FLUSH); ``skipped`` counts unchanged lines."""

    def __init__(self, text: io.TextIOBase, mapping: FieldMapping, bad: BadRows, delimiter: str | None,
                 known: set[int], tracked: Set[str] | None = None) -> None:
        self.text, self.bad, self.known, self.tracked = text, bad, known, tracked
        self.skipped = 0
        self.untracked = 0
        """Lines of SKUs the store does not sell (not parsed)."""
        self.hits: list[int] = []
        self._armed = False
        self._stored = 0
        """How many times the consumer called ``applied()``."""
        header_line = text.readline()
        if not header_line.strip():
            raise SupplierFeedInvalid("feed is empty (no header row)")
        self.delimiter = delimiter or _sniff_delimiter(header_line)
        self._bare_cr = header_line.endswith("\r")  # classic Mac line ends: csv module throughout
        header = next(csv.reader([header_line], delimiter=self.delimiter))
        self.parser = LineParser(header, mapping, bad)
        self.seed = seeds(header_line.rstrip("\r\n"), mapping, self.delimiter)
        assert self.parser.sku is not None  # a required column
        self._sku_column = self.parser.sku
        self._skus = _sku_cells(self._sku_column, self.delimiter)
        self._sold = (sold_lines.SoldLines(tracked, self._sku_column, self.delimiter, self._skus)
                      if tracked is not None and sold_lines.usable(self.delimiter, tracked) else None)

    def applied(self) -> None:
        """The consumer stored every row yielded so far."""
        self.hits.clear()
        self._armed = False
        self._stored += 1

    def __iter__(self) -> Iterator[FeedLine | None]:
        line = 1  # the header
        blocks = self._blocks()
        for block in blocks:
            if self._bare_cr or '"' in block or ("\r" in block and block.count("\r") != block.count("\r\n")):
                while block.count('"') % 2:  # a quoted field goes on in the next block
                    more = next(blocks, None)
                    if more is None:
                        break
                    block += more
                line = yield from self._records(block, line)
            else:
                line = yield from self._lines(block, line)

    def _blocks(self) -> Iterator[str]:
        """Whole lines, about BLOCK_CHARS at a time."""
        rest, read, end = "", self.text.read, "\r" if self._bare_cr else "\n"
        while True:
            data = read(BLOCK_CHARS)
            if not data:
                if rest:
                    yield rest
                return
            data = rest + data
            cut = data.rfind(end) + 1
            rest = data[cut:]
            if cut:
                yield data[:cut]

    def _lines(self, block: str, line: int) -> Generator[FeedLine | None, None, int]:
        """Quote-free lines: split on the delimiter (what the csv module would return). SKU filter (numpy or
        map()), fingerprints and lookups run a block at a time in C, not a Python statement per line."""
        breaks = block.count("\n")
        after = line + breaks + (0 if block.endswith("\n") else 1)  # (no line after a last line end)
        at: list[int] | None = None  # the block's line index of each line kept (None: all are)
        if self._sold is not None:  # the usual case: the sold lines picked in numpy (sold_lines.py)
            at, lines, blank = self._sold.pick(block, _may_need_strip(block))
            self.untracked += breaks + 1 - len(at) - blank
            encoded = list(map(methodcaller("encode", "utf-8", "surrogatepass"), lines))
        elif self.tracked is not None:
            lines = block.split("\n")
            n = len(lines)
            skus = self._skus(lines)
            if _may_need_strip(block):  # no cell to strip in most blocks (a few C scans of the block)
                skus = map(str.strip, skus)
            at = list(compress(range(n), map(self.tracked.__contains__, skus)))
            del skus  # (a block's every SKU: kept alive while the rows are yielded, it was walked by every young
            # collection the consumer's allocations set off: a million-line scan's collections 0.03 s, now 0.013 s)
            self.untracked += n - len(at) - _blank_lines(block, lines)
            lines = list(map(lines.__getitem__, at))
            encoded = list(map(methodcaller("encode", "utf-8", "surrogatepass"), lines))
        else:
            lines = block.split("\n")
            encoded = block.encode("utf-8", "surrogatepass").split(b"\n")  # the same lines, as bytes
        n = len(encoded)
        seed0, seed1 = self.seed
        fps = list(map(or_, map(_crc, encoded, repeat(seed0, n)),
                       map(lshift, map(and_, map(_crc, map(_reverse, encoded), repeat(seed1, n)), repeat(MASK28, n)),
                           repeat(32, n))))
        found = list(map(self.known.__contains__, fps))
        self.skipped += found.count(True)
        hits, parse, delimiter = self.hits, self.parser.parse, self.delimiter
        done = 0  # lines before this index are dealt with
        for i in compress(range(n), map(not_, found)):
            if self._armed and i > done:  # skipped lines after a row not yet stored
                hits.extend(compress(fps[done:i], found[done:i]))
            done = i + 1
            text = lines[i]
            if text.endswith("\r"):
                text = text[:-1]
            if not text.strip():
                continue
            row = parse(text.split(delimiter), line + (i if at is None else at[i]) + 1, fps[i], len(hits))
            if row is not None:
                self._armed = True
                stored = self._stored
                yield row
                if self._stored != stored and i + 1 < n:  # rows stored meanwhile: look the rest up again
                    self.skipped -= _look_up_again(found, i + 1, fps, self.known)
        if self._armed and done < n:
            hits.extend(compress(fps[done:], found[done:]))
        if len(hits) >= WINDOW_MAX:
            yield FLUSH
        return after

    def _records(self, block: str, line: int) -> Generator[FeedLine | None, None, int]:
        """Lines with quotes or bare carriage returns: the csv module reads them."""
        reader = csv.reader(io.StringIO(block, newline=""), delimiter=self.delimiter)
        known, parse, tracked, sku = self.known, self.parser.parse, self.tracked, self._sku_column
        for record in reader:
            at = line + reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if tracked is not None and (len(record) <= sku or record[sku].strip() not in tracked):
                self.untracked += 1
                continue
            fp = fingerprint("\x00" + "\x1f".join(record), self.seed)
            if fp in known:
                self.skipped += 1
                if self._armed:
                    self.hits.append(fp)
                    if len(self.hits) >= WINDOW_MAX:
                        yield FLUSH
                continue
            row = parse(record, at, fp, len(self.hits))
            if row is not None:
                self._armed = True
                yield row
        return line + reader.line_num


class LineParser:
    """One record's fields as a FeedLine, or None after recording why it is bad."""

    def __init__(self, header: list[str], mapping: FieldMapping, bad: BadRows) -> None:
        columns = {name.strip().lstrip("\ufeff").lower(): index for index, name in enumerate(header)}

        def column(name: str | None, field: str, required: bool = False) -> int | None:
            if not name:
                return None
            index = columns.get(name.strip().lower())
            if index is None and required:
                raise SupplierFeedInvalid(f"feed header has no {field} column {name!r} "
                                          f"(it has {len(header)} columns; their names are not shown)")
            return index

        self.sku = column(mapping.sku, "sku", required=True)
        self.quantity = column(mapping.quantity, "quantity")
        self.restock = column(mapping.restock_date, "restock date")
        self.lead = column(mapping.lead_time_days, "lead time")
        self.dropship = column(mapping.dropship, "dropship", required=True)  # mapped on purpose: must be there
        self.cost = column(mapping.unit_cost, "unit cost", required=True)
        if self.quantity is None and self.restock is None and self.lead is None:
            raise SupplierFeedInvalid("feed has none of the quantity, restock date or lead time columns "
                                      f"(it has {len(header)} columns); check the supplier's mapping")
        self.width = len(header)
        self.formats = mapping.date_formats
        self.bad = bad
        self._dates: dict[str, Any] = {}

    def parse(self, fields: list[str], line: int, fp: int, position: int) -> FeedLine | None:
        if len(fields) != self.width:
            self.bad.add(line, f"expected {self.width} columns, got {len(fields)}")
            return None
        try:
            sku = fields[self.sku].strip()  # type: ignore[index]
            if not sku:
                raise InvalidPayload("missing SKU")
            lead = _int(fields[self.lead], "lead time") if self.lead is not None else None
            if lead is not None and lead < 0:
                raise InvalidPayload(f"negative lead time {lead}")
            return (sku,
                    _int(fields[self.quantity], "quantity") if self.quantity is not None else None,
                    self._date(fields[self.restock]) if self.restock is not None else None,
                    lead, line,
                    parse_bool(fields[self.dropship], "dropship") if self.dropship is not None else None,
                    parse_decimal(fields[self.cost], "unit cost") if self.cost is not None else None,
                    fp, position)
        except InvalidPayload as exc:
            self.bad.add(line, str(exc))
            return None

    def _date(self, text: str) -> date | None:
        """parse_date, remembered per distinct text (a feed repeats a few hundred dates)."""
        if not text:
            return None
        found = self._dates.get(text, _UNSEEN)
        if found is _UNSEEN:
            if len(self._dates) >= DATE_CACHE_MAX:
                self._dates.clear()
            try:
                found = parse_date(text, self.formats)
            except InvalidPayload as exc:
                found = str(exc)
            self._dates[text] = found
        if isinstance(found, str):
            raise InvalidPayload(found)
        return found


def _sku_cells(column: int, delimiter: str) -> Callable[[list[str]], Iterable[str]]:
    """The SKU cell of each line (unstripped; "" for a line without one)."""
    if column == 0:  # the usual layout: str.partition in a list comprehension (measured: a quarter less
        # than map() over a methodcaller, which looks the method up by name for every line)
        return lambda lines: [text.partition(delimiter)[0] for text in lines]

    def cell(text: str) -> str:
        cells = text.split(delimiter, column + 1)
        return cells[column] if len(cells) > column else ""

    return lambda lines: map(cell, lines)


def _may_need_strip(block: str) -> bool:
    """Whether a cell of the block may have something for ``str.strip`` to remove: a non-ASCII block
    always may (Unicode whitespace), an ASCII one only with one of ``_ASCII_SPACE`` in it."""
    return not block.isascii() or any(space in block for space in _ASCII_SPACE)


def _look_up_again(found: list[bool], start: int, fps: list[int], known: Set[int]) -> int:
    """The lines of ``found`` from ``start`` on that were found in ``known`` and are not in it now: marked
    not found, in place; their count. Storing a chunk takes the SKUs' old fingerprints out of
    ``known``: a later line of the block repeating the stored line of a SKU that an earlier line has just
    changed is no longer the stored line. It is read (the later line wins) rather than skipped on a
    lookup made before. Only lines found are looked at again (none in a first load)."""
    gone = [at for at in compress(range(start, len(found)), islice(found, start, None)) if fps[at] not in known]
    for at in gone:
        found[at] = False
    return len(gone)


def _blank_lines(block: str, lines: list[str]) -> int:
    """How many of a block's lines (``block.split("\\n")``) are empty, or a bare carriage return (not
    rows). One pass over the list (a substring search for an empty line in the block cost more: a
    line feed every few bytes to look past)."""
    return lines.count("") + (lines.count("\r") if "\r" in block else 0)


def _int(text: str, what: str) -> int | None:
    """parse_int with a fast path for the common case (a plain integer or an empty cell)."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return parse_int(text, what)


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
