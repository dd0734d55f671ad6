"""The purchase sheet as a PDF (fpdf2), for suppliers whose purchasing terms say ``sheet_format: pdf``.

One A4 page (more when the lines run over, headings repeated): the shop that orders, our reference,
the supplier, the day sent and the delivery day we expect, then a table of the lines (SKU, supplier
SKU, title, quantity, unit cost, line total) and the totals. Text is drawn as text, never interpreted
(a cell starting with ``=`` is just that text here; formula safety concerns the CSV sheet).

fpdf2's built-in fonts are drawn here in Windows-1252 (Latin-1 plus the euro sign, dashes and curly
quotes; no font file is shipped with the project): a character outside it is printed as ``?``. The
CSV sheet carries any text (``sheet_format: csv``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from connector.domain.purchasing import PurchaseOrderRequest

FONT = "Helvetica"
ENCODING = "windows-1252"


def latin1(text: object) -> str:
    """The text as the built-in fonts can draw it: characters outside Windows-1252 become '?'."""
    return str(text).encode(ENCODING, "replace").decode(ENCODING)


def _money(value: Decimal | None, currency: str | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" + (f" {currency}" if currency else "")


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else "not known"


def purchase_sheet_pdf(order: PurchaseOrderRequest, *, supplier: str) -> bytes:
    """The PDF purchase sheet of one order."""
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_title(latin1(f"Purchase order {order.reference}"))
    pdf.set_author(latin1(order.buyer or "backorder connector"))
    pdf.set_creator("backorder connector")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT, style="B", size=16)
    pdf.cell(0, 10, latin1(f"Purchase order {order.reference}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    for label, value in (("From", order.buyer or "-"), ("To", supplier), ("Our reference", order.reference),
                         ("Date", _day(order.ordered_on)), ("Expected delivery", _day(order.expected_date)),
                         ("Currency", order.currency or "-")):
        pdf.set_font(FONT, style="B", size=10)
        pdf.cell(40, 6, latin1(label))
        pdf.set_font(FONT, size=10)
        pdf.cell(0, 6, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, size=9)
    with pdf.table(col_widths=(28, 28, 58, 18, 24, 24), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   line_height=5, repeat_headings=1) as table:
        table.row([latin1(h) for h in ("SKU", "Supplier SKU", "Title", "Quantity", "Unit cost", "Line total")])
        for line in order.lines:
            table.row([latin1(line.sku), latin1(line.supplier_sku), latin1(line.title or "-"), str(line.quantity),
                       _money(line.unit_cost, None), _money(line.total, None)])
    pdf.ln(4)
    pdf.set_font(FONT, style="B", size=10)
    pdf.cell(40, 6, "Total units")
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, str(order.total_units), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, style="B", size=10)
    pdf.cell(40, 6, "Total value")
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, latin1(_money(order.total_value, order.currency)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.multi_cell(0, 5, latin1(f"Please supply this order once and reply with your order number and delivery "
                                f"date. If it reaches you twice, it is the same order (reference {order.reference})."))
    return bytes(pdf.output())
