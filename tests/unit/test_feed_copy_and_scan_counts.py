"""The first load's COPY text (formatted in C, NULLs put in over the whole text) and the feed scan's
count of lines of unsold SKUs (blank lines are not rows), at block boundaries too."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from adapters.suppliers import feed_scan
from adapters.suppliers.feed_scan import FeedScan
from adapters.suppliers.mapping import FieldMapping
from connector.domain.supply import BadRows
from connector.supply.feed_repository import STOCK_COPY_COLUMNS, _stock_copy_text

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def cells(text: str) -> list[list[str]]:
    assert text.endswith("\n")
    return [line.split("\t") for line in text[:-1].split("\n")]


def test_copy_text_writes_null_for_every_missing_value_even_side_by_side_and_keeps_a_sku_named_none():
    rows = [("A-1", 5, date(2027, 1, 2), 3, 11), ("None", None, None, None, None),
            ("B", None, date(2027, 2, 1), None, 7), ("C", 0, None, 0, -4)]
    assert STOCK_COPY_COLUMNS.split(", ")[-1] == "sku"
    assert cells(_stock_copy_text(1, 2, NOW, 9, rows)) == [
        ["1", "2", "5", "2027-01-02", "3", "f", NOW.isoformat(), "9", "11", "A-1"],
        ["1", "2", "\\N", "\\N", "\\N", "f", NOW.isoformat(), "9", "\\N", "None"],
        ["1", "2", "\\N", "2027-02-01", "\\N", "f", NOW.isoformat(), "9", "7", "B"],
        ["1", "2", "0", "\\N", "0", "f", NOW.isoformat(), "9", "-4", "C"],
    ]
    assert cells(_stock_copy_text(1, 2, NOW, None, rows[:1]))[0][7] == "\\N"  # not a first load's row


@pytest.mark.parametrize("sku, escaped", [("A\tB", "A\\tB"), ("A\\B", "A\\\\B"), ("A\nB", "A\\nB"), ("A\rB", "A\\rB")])
def test_copy_text_escapes_a_sku_that_needs_it(sku, escaped):
    text = _stock_copy_text(1, 2, NOW, 9, [(sku, None, None, 4, 1), ("None", 1, None, None, 2)])
    assert cells(text) == [["1", "2", "\\N", "\\N", "4", "f", NOW.isoformat(), "9", "1", escaped],
                           ["1", "2", "1", "\\N", "\\N", "f", NOW.isoformat(), "9", "2", "None"]]


@pytest.mark.parametrize("block_chars", [8, 13, 64, 1 << 20])
@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_lines_of_unsold_skus_are_counted_and_blank_lines_are_not(monkeypatch, block_chars, end):
    monkeypatch.setattr(feed_scan, "BLOCK_CHARS", block_chars)
    lines = ["sku,quantity", "A,1", "", "X,2", "", "", "B,3", "Y,4", "Z,5", ""]
    text = end.join(lines) + end
    scan = FeedScan(io.StringIO(text, newline=""), FieldMapping.from_settings({}), BadRows(), None, set(), {"A", "B"})
    rows = [line[0] for line in scan if line is not None]
    assert (rows, scan.untracked) == (["A", "B"], 3)


@pytest.mark.parametrize("padded", [" A", "A\t", "\xa0A", "A\u3000", "\x1fA", "A\x0b"])
def test_a_sold_sku_is_found_with_whitespace_around_it_ascii_or_not(padded):
    """The filter strips SKU cells only in blocks that may need it; any space ``str.strip`` removes counts."""
    text = f"sku,quantity\n{padded},1\nB,2\nX,3\n"
    scan = FeedScan(io.StringIO(text, newline=""), FieldMapping.from_settings({}), BadRows(), None, set(), {"A", "B"})
    assert [line[0] for line in scan if line is not None] == ["A", "B"] and scan.untracked == 1


def test_only_a_block_with_whitespace_or_non_ascii_text_has_its_sku_cells_stripped():
    assert not feed_scan._may_need_strip("A,1\nB,2\n")
    assert feed_scan._may_need_strip("A,1\nB ,2\n") and feed_scan._may_need_strip("\u00e9,1\n")
