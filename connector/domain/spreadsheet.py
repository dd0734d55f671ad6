"""Cells of a CSV file that a person opens in a spreadsheet, kept from being run as formulas.

OWASP's rule (https://owasp.org/www-community/attacks/CSV_Injection): a cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so the
spreadsheet shows it as text instead of evaluating it (``=HYPERLINK(...)``, ``@SUM(...)``, DDE).
``write_sheet`` also wraps every cell in double quotes (OWASP's advice; it also keeps a carriage
return inside a cell from ending the row), quotes inside a cell doubled as the csv module does. The
rule does not guess what a value means: a phone number ``+44 20 7946 0000`` or a ``-5`` is prefixed
too, and reads the same.

Every CSV the product writes for a person (the drop-ship purchase sheet e-mailed to a supplier,
exports, reports) goes through ``write_sheet``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP)."""


def safe_cell(value: object) -> str:
    """The cell's text, prefixed with ``'`` when it begins like a formula; None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values: Iterable[object]) -> list[str]:
    """A row for ``csv.writer.writerow`` with every cell made safe."""
    return [safe_cell(value) for value in values]


def write_sheet(out: TextIO, rows: Iterable[Iterable[object]]) -> None:
    """Write ``rows`` (the header first) to ``out`` as CSV for a person: every cell quoted and safe."""
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(safe_row(row) for row in rows)
