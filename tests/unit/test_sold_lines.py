"""SoldLines (numpy) picks exactly the lines FeedScan's Python filter picks: same indices, same lines, same
count of blank lines, on blocks built to hit every case the byte-level trim and hash could get wrong."""

from __future__ import annotations

import random

import pytest

from adapters.suppliers import sold_lines
from adapters.suppliers.feed_scan import _blank_lines, _may_need_strip, _sku_cells
from adapters.suppliers.sold_lines import WIDTH_MAX, SoldLines


def python_filter(block: str, tracked: set[str], column: int, delimiter: str) -> tuple[list[int], list[str], int]:
    """FeedScan's filter without numpy (the code SoldLines stands in for)."""
    lines = block.split("\n")
    skus = _sku_cells(column, delimiter)(lines)
    if _may_need_strip(block):
        skus = map(str.strip, skus)
    at = [i for i, sku in enumerate(skus) if sku in tracked]
    return at, [lines[i] for i in at], _blank_lines(block, lines)


def pick(block: str, tracked: set[str], column: int, delimiter: str) -> tuple[list[int], list[str], int]:
    picker = SoldLines(frozenset(tracked), column, delimiter, _sku_cells(column, delimiter))
    return picker.pick(block, _may_need_strip(block))


PADDING = ["", "", "", " ", "  ", "\t", " \t ", "\x1c", "\x0b", "\xa0", "\u3000", " \u2003", "     ", "\r"]
CORES = ["SKU-1", "SKU-2", "sku-1", "A", "é-9", "Ω", "x" * WIDTH_MAX, "y" * (WIDTH_MAX + 1), "z" * 300,
         "SKU 1", "\xa0SKU-1", "SKU-1\xa0", "ü ü", "1", "12", "123"]


def random_block(rng: random.Random, delimiter: str, ascii_only: bool) -> tuple[str, set[str]]:
    cores = [c for c in CORES if c.isascii()] if ascii_only else CORES
    padding = [p for p in PADDING if p.isascii()] if ascii_only else PADDING
    cores = cores + [f"R{rng.randrange(10**6)}" for _ in range(30)]
    lines = []
    for _ in range(rng.randrange(1, 300)):
        kind = rng.random()
        if kind < 0.05:
            lines.append("")
        elif kind < 0.08:
            lines.append("\r")
        elif kind < 0.11:  # no delimiter at all
            lines.append(rng.choice(padding) + rng.choice(cores) + rng.choice(padding))
        else:
            cells = [rng.choice(padding) + rng.choice(cores) + rng.choice(padding) for _ in range(rng.randrange(1, 5))]
            lines.append(delimiter.join(cells) + ("\r" if rng.random() < 0.2 else ""))
    block = "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")
    tracked = set(rng.sample(cores, rng.randrange(0, len(cores))))
    tracked |= {rng.choice(padding) + rng.choice(cores) for _ in range(3)} - {""}  # unstripped: never matched
    return block, tracked


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
@pytest.mark.parametrize("column", [0, 1, 2])
@pytest.mark.parametrize("ascii_only", [True, False])
def test_picks_what_the_python_filter_picks(delimiter: str, column: int, ascii_only: bool) -> None:
    rng = random.Random(f"{delimiter}{column}{ascii_only}")
    for _ in range(60):
        block, tracked = random_block(rng, delimiter, ascii_only)
        assert pick(block, tracked, column, delimiter) == python_filter(block, tracked, column, delimiter), block


def test_a_feed_like_block_keeps_its_sold_lines_only() -> None:
    block = "".join(f"SKU-{n:07d},{n % 7},2027-01-0{n % 9 + 1},3\n" for n in range(50_000))
    tracked = {f"SKU-{n:07d}" for n in range(0, 50_000, 10)}
    at, lines, blank = pick(block, tracked, 0, ",")
    assert at == list(range(0, 50_000, 10))
    assert lines == [f"SKU-{n:07d},{n % 7},2027-01-0{n % 9 + 1},3" for n in at]
    assert blank == 1  # the empty string after the last line end, as block.split gives it


def test_an_empty_sold_set_picks_nothing_and_counts_blanks() -> None:
    assert pick("A,1\n\n\r\nB,2\n", set(), 0, ",") == ([], [], 3)


def test_usable_only_where_the_bytes_tell_the_cells_apart() -> None:
    assert sold_lines.usable(",", {"A"})
    assert not sold_lines.usable("¦", {"A"})  # a delimiter of more than one byte
    assert not sold_lines.usable('"', {"A"})
    assert not sold_lines.usable(",", {"A", ""})  # a line without its SKU cell reads as ""


def test_spaces_beyond_the_trim_and_long_cells_still_match() -> None:
    long_sku = "L" * (WIDTH_MAX * 3)
    block = f"{' ' * 40}SKU-1{' ' * 40},1\n{long_sku},2\n{long_sku}x,3\n"
    assert pick(block, {"SKU-1", long_sku}, 0, ",") == python_filter(block, {"SKU-1", long_sku}, 0, ",")
    assert pick(block, {"SKU-1", long_sku}, 0, ",")[0] == [0, 1]


def test_a_sold_sku_holding_a_line_feed_leaves_the_others_found() -> None:
    tracked = {"A\nB", "C", "D"}
    block = "A,1\nB,2\nC,3\nD,4\n"
    assert pick(block, tracked, 0, ",") == python_filter(block, tracked, 0, ",") == ([2, 3], ["C,3", "D,4"], 1)
