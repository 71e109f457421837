"""The invoice as a PDF, drawn with fpdf2 (pure Python, maintained; no system libraries, so
it works wherever the server installs) from the same PrintedInvoice as the printable page.

Text is set in DejaVu Sans when the system has it (Debian's fonts-dejavu-core), which covers
legal names in any European, Greek or Cyrillic script; without it, in the PDF core font
Helvetica, whose Latin-1 repertoire holds all the invoice's own words need (its "×")."""
from __future__ import annotations

from pathlib import Path

from flask import Response
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from app.printed_invoices import Party, PrintedInvoice

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"
LINE = 5.5  # mm
AMOUNT_WIDTH = 45  # mm: wide enough for "USD 12,345,678.00"


def _document(font_dir: Path) -> tuple[FPDF, str]:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdf.add_font(FONT, "", str(regular))
        pdf.add_font(FONT, "B", str(bold))
        return pdf, FONT
    return pdf, "Helvetica"


def _text(family: str, value: str) -> str:
    """The core font encodes Latin-1 only: anything beyond is shown as `?` rather than
    failing the download."""
    if family == FONT:
        return value
    return value.encode("latin-1", "replace").decode("latin-1")


def _party(pdf: FPDF, family: str, heading: str, party: Party, x: float, width: float) -> float:
    """Prints a party at column `x`; returns where it ended, so two columns can be set side
    by side and the page go on below the longer one."""
    top = pdf.get_y()
    pdf.set_xy(x, top)
    pdf.set_font(family, "B", 9)
    pdf.cell(width, LINE, _text(family, heading), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(family, "B", 11)
    pdf.multi_cell(width, LINE, _text(family, party.name), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(family, "", 10)
    for line in party.lines:
        pdf.multi_cell(width, LINE, _text(family, line), new_x=XPos.LEFT, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_y(top)
    return bottom


def invoice_pdf(invoice: PrintedInvoice, font_dir: Path = FONT_DIR) -> bytes:
    pdf, family = _document(font_dir)
    pdf.set_title(f"Invoice {invoice.number}")
    pdf.set_author(_text(family, invoice.seller.name))
    pdf.add_page()
    text = pdf.epw
    pdf.set_font(family, "B", 18)
    pdf.cell(text, 10, f"Invoice {invoice.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, "", 10)
    for label, value in (("Status", invoice.status), ("Issued", invoice.issued),
                         ("For", invoice.kind), ("Currency", invoice.currency)):
        pdf.cell(text, LINE, f"{label}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    half = text / 2 - 2
    left = _party(pdf, family, "FROM", invoice.seller, pdf.l_margin, half)
    right = _party(pdf, family, "BILL TO", invoice.buyer, pdf.l_margin + text / 2 + 2, half)
    pdf.set_xy(pdf.l_margin, max(left, right) + 6)
    for line in invoice.lines:
        pdf.set_font(family, "B", 10)
        pdf.multi_cell(text, LINE, _text(family, line.description),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(family, "", 10)
        pdf.cell(text, LINE, f"Period: {line.period}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.cell(text - AMOUNT_WIDTH, LINE, _text(family, line.calculation))
        pdf.cell(AMOUNT_WIDTH, LINE, line.amount, align=Align.R,
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    pdf.set_font(family, "B", 12)
    pdf.cell(text - AMOUNT_WIDTH, 8, "Total", border="T")
    pdf.cell(AMOUNT_WIDTH, 8, invoice.total, border="T", align=Align.R,
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def pdf_download(invoice: PrintedInvoice) -> Response:
    """The PDF as an attachment named after the invoice, as both front ends serve it."""
    response = Response(invoice_pdf(invoice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response
