"""Which lines of a feed block name a SKU the store sells, picked a block at a time in numpy.

A distributor's feed lists its whole range; a store sells a tenth of it or less. Cutting every line's SKU
cell out as a Python string and looking it up in the sold set cost about 0.4 µs a line, more than
reading the line (bench/README.md, "Feed ingest"). Here the block is looked at as bytes: the line ends
and delimiters are found, each line's SKU cell is trimmed of ASCII whitespace and hashed (64 bits), and
the hashes are tested against a bitmap of the sold SKUs' hashes. Only the lines that pass (the sold ones
and ~2% others) become Python strings, and each of those is checked exactly as FeedScan always did (its
SKU cell cut and stripped by ``str.strip`` and looked up in the sold set), so the numpy part only ever
decides which lines need not be looked at: a hash collision or a miss in the bitmap costs a Python
lookup, never a wrong answer.

A cell the byte-level trim may not treat as ``str.strip`` would (a non-ASCII byte at either end: Unicode
whitespace; more than ``TRIM_MAX`` ASCII spaces; longer than ``WIDTH_MAX`` bytes) is always passed on to
the exact check. docs/decisions/numpy-sold-lines.md says why numpy, not a compiled part of our own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Set
from itertools import compress

import numpy as np

BITMAP_BITS = 22
"""A bitmap of 4 M entries (4 MB of bools): 100,000 sold SKUs leave ~2.4% of other lines passing."""
WIDTH_MAX = 64
"""Cells longer than this (bytes, after the trim) are passed to the exact check unhashed."""
TRIM_MAX = 4
"""ASCII spaces trimmed a side in numpy; a cell with more goes to the exact check."""
_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(b" \t\r\x0b\x0c\x1c\x1d\x1e\x1f")] = True  # what str.strip removes of ASCII (a line has no "\n")
_WEIGHTS = np.random.default_rng(0x5EED).integers(1, 1 << 63, size=WIDTH_MAX // 8, dtype=np.uint64) | np.uint64(1)
_TAIL_MASKS = np.array([(1 << 8 * kept) - 1 for kept in range(9)], dtype=np.uint64)
"""A word's first ``kept`` bytes (little-endian: its low ones)."""
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT = np.uint64(29)
_TOP = np.uint64(64 - BITMAP_BITS)


def usable(delimiter: str, tracked: Set[str]) -> bool:
    """Whether ``SoldLines`` can pick for this feed: a one-byte delimiter that is not a line end or quote
    (a quoted block goes to the csv module anyway), and no empty SKU in the sold set (a line without the
    SKU cell reads as ""; kept simple by leaving such a set to the Python filter)."""
    return len(delimiter) == 1 and delimiter.isascii() and delimiter not in '\r\n"' and "" not in tracked


class SoldLines:
    """``pick(block)``: the sold lines of a block of whole lines, as FeedScan's Python filter finds them."""

    def __init__(self, tracked: Set[str], column: int, delimiter: str,
                 sku_cells: Callable[[list[str]], Iterable[str]]) -> None:
        self.tracked, self.column, self.delimiter = tracked, column, ord(delimiter)
        self._sku_cells = sku_cells
        self._bitmap: np.ndarray | None = None

    def pick(self, block: str, may_need_strip: bool) -> tuple[list[int], list[str], int]:
        """(the index of each sold line in ``block.split("\\n")``, those lines, how many of the block's lines
        are blank: empty or a bare carriage return)."""
        ascii_block = block.isascii()
        encoded = block.encode("ascii") if ascii_block else block.encode("utf-8", "surrogatepass")
        data = np.frombuffer(encoded, dtype=np.uint8)
        starts, ends = _line_bounds(data)
        length = ends - starts
        nonempty = starts < len(data)
        blank = int(np.count_nonzero(length == 0))
        if "\r" in block:
            blank += int(np.count_nonzero((length == 1) & (data[np.minimum(starts, len(data) - 1)] == 13)))
        if not self.tracked or not len(data):
            return [], [], blank
        first, end = self._cells(data, starts, ends)
        passed = self._passed(encoded, data, first, end, ascii_block, may_need_strip) & nonempty
        picked = np.flatnonzero(passed)
        candidates = picked.tolist()
        if ascii_block:
            lines = [block[s:e] for s, e in zip(starts[picked].tolist(), ends[picked].tolist(), strict=True)]
        else:
            lines = [encoded[s:e].decode("utf-8", "surrogatepass")
                     for s, e in zip(starts[picked].tolist(), ends[picked].tolist(), strict=True)]
        skus = self._sku_cells(lines)
        if may_need_strip:
            skus = map(str.strip, skus)
        sold = list(map(self.tracked.__contains__, skus))
        return list(compress(candidates, sold)), list(compress(lines, sold)), blank

    def _cells(self, data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The byte range of each line's SKU cell (empty where the line has none), as ``_sku_cells`` cuts it."""
        column = self.column
        delimiters = np.flatnonzero(data == self.delimiter)
        padded = np.append(delimiters, np.full(column + 1, len(data), dtype=np.int64))
        at = np.searchsorted(delimiters, starts)  # each line's first delimiter (or one past the line)
        if column == 0:
            return starts, np.minimum(padded[at], ends)
        before = padded[at + column - 1]  # the delimiter in front of the cell
        has_cell = before < ends
        first = np.where(has_cell, before + 1, starts)
        end = np.where(has_cell, np.minimum(padded[at + column], ends), starts)
        return first, end

    def _passed(self, encoded: bytes, data: np.ndarray, first: np.ndarray, end: np.ndarray, ascii_block: bool,
                may_need_strip: bool) -> np.ndarray:
        """Whether each cell may be a sold SKU: its hash is in the bitmap, or numpy cannot tell."""
        last = len(data) - 1
        unsure = np.zeros(len(first), dtype=bool)
        for side in (0, 1) if may_need_strip else ():  # trim ASCII spaces, up to TRIM_MAX a side
            for _ in range(TRIM_MAX + 1):
                inside = first < end
                edge = data[np.clip(first if side == 0 else end - 1, 0, last)]
                space = inside & _SPACE[edge]
                if not space.any():
                    break
                if side == 0:
                    first = first + space
                else:
                    end = end - space
            else:
                unsure |= space
        inside = first < end
        if not ascii_block:  # Unicode whitespace str.strip would remove: the exact check decides
            unsure |= inside & ((data[np.clip(first, 0, last)] >= 0x80) | (data[np.clip(end - 1, 0, last)] >= 0x80))
        length = end - first
        unsure |= length > WIDTH_MAX
        bitmap = self._sold_bitmap()
        return unsure | bitmap[_hashes(encoded, first, np.minimum(length, WIDTH_MAX)) >> _TOP]

    def _sold_bitmap(self) -> np.ndarray:
        if self._bitmap is None:
            joined = "\n".join(self.tracked)
            if joined.count("\n") != len(self.tracked) - 1:  # (no feed line holds a line feed)
                joined = "\n".join(sku for sku in self.tracked if "\n" not in sku)
            encoded = joined.encode("utf-8", "surrogatepass")
            starts, ends = _line_bounds(np.frombuffer(encoded, dtype=np.uint8))
            length = ends - starts
            short = length <= WIDTH_MAX  # longer cells are always checked exactly
            bitmap = np.zeros(1 << BITMAP_BITS, dtype=bool)
            bitmap[_hashes(encoded, starts[short], length[short]) >> _TOP] = True
            self._bitmap = bitmap
        return self._bitmap


def _line_bounds(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``data.split(b"\\n")`` starts and ends (the line feeds themselves left out)."""
    ends = np.flatnonzero(data == 10)
    starts = np.empty(len(ends) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends + 1
    return starts, np.append(ends, len(data))


def _hashes(encoded: bytes, first: np.ndarray, length: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each ``encoded[first:first + length]`` (length at most WIDTH_MAX), eight bytes at a time:
    the bytes are read as little-endian words at any offset (a view with a stride of one byte), the bytes
    past the cell's end masked off."""
    hashes = length.astype(np.uint64) * _GOLDEN
    if not len(first):
        return hashes
    words = np.ndarray((len(encoded) + 1,), dtype="<u8", buffer=encoded + bytes(9), strides=(1,))
    for k in range((int(length.max()) + 7) // 8):
        word = words[np.minimum(first + 8 * k, len(encoded))]
        word &= _TAIL_MASKS[np.clip(length - 8 * k, 0, 8)]
        hashes += word * _WEIGHTS[k]  # (a cell's hash is the same whatever the longest cell beside it)
    hashes *= _MIX
    hashes ^= hashes >> _SHIFT
    return hashes
