"""OWASP's rule for CSV cells a person opens in a spreadsheet: formula starts are prefixed with a quote."""

from __future__ import annotations

import pytest

from connector.domain.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(1)", "\tx", "\rx",
                                   "+44 20 7946 0000", "-5", "=", "@"])
def test_a_cell_that_begins_like_a_formula_is_prefixed_with_a_single_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Bob Norman", "SOCKS-M", "#1001-1", "a=b", "x@example.com", "'quoted", " =1",
                                   "40202", "", "Zoë \"the\" Smith"])
def test_an_ordinary_cell_is_left_as_it_is(value: str) -> None:
    assert safe_cell(value) == value


def test_a_row_of_mixed_values_makes_each_cell_text_and_none_an_empty_cell() -> None:
    assert safe_row(["#1001", 3, None, -2, "=1+1"]) == ["#1001", "3", "", "'-2", "'=1+1"]


def test_a_written_sheet_quotes_every_cell_so_a_carriage_return_stays_inside_its_cell() -> None:
    import csv
    import io

    from connector.domain.spreadsheet import write_sheet

    out = io.StringIO()
    write_sheet(out, [["sku", "name"], ["A", "\rx"], ["B", 'say "hi"']])

    assert out.getvalue() == '"sku","name"\n"A","\'\rx"\n"B","say ""hi"""\n'
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        ["sku", "name"], ["A", "'\rx"], ["B", 'say "hi"']]
