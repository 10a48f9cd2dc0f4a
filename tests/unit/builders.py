"""Small invoices and receipts built by the tests themselves: as words, as PDFs, as images.

A document is a list of ``(x, y, text)`` in points on an A4 page (origin top left). The same
layout becomes a :class:`PageText` (for the extractor), a PDF with a text layer (reportlab),
or a page image (Pillow) for OCR, so each engine is tested on what it really reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from core.domain import PageText, Word

A4 = (595.0, 842.0)
FONT_SIZE = 10.0
Layout = Sequence[tuple[float, float, str]]

INVOICE_EN: Layout = (
    (40, 40, "Northwind Traders Ltd"),
    (40, 54, "12 Harbour Road"),
    (40, 68, "Bristol BS1 4DJ"),
    (40, 82, "United Kingdom"),
    (380, 40, "INVOICE"),
    (380, 70, "Invoice No: NW-2024-0117"),
    (380, 84, "Invoice Date: 12/03/2024"),
    (380, 98, "Due Date: 11/04/2024"),
    (40, 140, "Bill to:"),
    (40, 154, "Contoso Retail plc"),
    (40, 168, "4 Market Street, Leeds"),
    (40, 230, "Description"),
    (300, 230, "Qty"),
    (360, 230, "Unit Price"),
    (480, 230, "Amount"),
    (40, 250, "Widget large"),
    (300, 250, "2"),
    (360, 250, "450.00"),
    (480, 250, "900.00"),
    (40, 266, "Service hours"),
    (300, 266, "3"),
    (360, 266, "120.00"),
    (480, 266, "360.00"),
    (360, 320, "Subtotal"),
    (480, 320, "£1,260.00"),
    (360, 336, "VAT 20%"),
    (480, 336, "£252.00"),
    (360, 352, "Total due"),
    (480, 352, "£1,512.00"),
    (40, 420, "IBAN GB33 BUKB 2020 1555 5555 55"),
    (40, 434, "VAT No: GB123456789"),
)

RECHNUNG_DE: Layout = (
    (40, 40, "Musterbau GmbH"),
    (40, 54, "Industriestraße 7"),
    (40, 68, "70173 Stuttgart"),
    (380, 40, "Rechnung"),
    (380, 70, "Rechnungsnummer: R-5521"),
    (380, 84, "Rechnungsdatum: 05.02.2024"),
    (40, 130, "Rechnungsempfänger"),
    (40, 144, "Beispiel AG"),
    (40, 158, "Hauptstraße 1"),
    (40, 172, "10115 Berlin"),
    (40, 230, "Beschreibung"),
    (360, 230, "Menge"),
    (480, 230, "Betrag"),
    (40, 250, "Montage"),
    (360, 250, "1"),
    (480, 250, "1.000,00 €"),
    (340, 320, "Summe netto"),
    (480, 320, "1.000,00 €"),
    (340, 336, "zzgl. USt 19%"),
    (480, 336, "190,00 €"),
    (340, 352, "Gesamtbetrag"),
    (480, 352, "1.190,00 €"),
    (40, 400, "Zahlbar bis 06.03.2024"),
    (40, 420, "USt-IdNr.: DE123456789"),
)

RECEIPT_MY: Layout = (
    (60, 30, "KEDAI MAJU TRADING SDN BHD"),
    (60, 44, "(123456-X)"),
    (60, 58, "NO 5, JALAN BESAR,"),
    (60, 72, "43000 KAJANG, SELANGOR"),
    (60, 86, "TEL: 03-1234 5678"),
    (60, 120, "Date: 21/05/2018 10:22"),
    (60, 150, "MILO 1KG"),
    (200, 150, "22.90"),
    (60, 166, "BREAD"),
    (200, 166, "3.60"),
    (60, 190, "TOTAL RM"),
    (200, 190, "26.50"),
    (60, 206, "CASH"),
    (200, 206, "30.00"),
    (60, 222, "CHANGE"),
    (200, 222, "3.50"),
    (60, 250, "THANK YOU, PLEASE COME AGAIN"),
)


def _word_width(text: str, size: float = FONT_SIZE) -> float:
    return 0.55 * size * len(text)


def page_text(
    layout: Layout, source: str = "textlayer", size: tuple[float, float] = A4
) -> PageText:
    """The layout as a reader would hand it over: words with normalised boxes."""
    width, height = size
    words: list[Word] = []
    for x, y, text in layout:
        cursor = x
        for part in text.split():
            w = _word_width(part)
            box = (cursor / width, y / height, (cursor + w) / width, (y + FONT_SIZE) / height)
            words.append(Word(part, box))
            cursor += w + _word_width(" ")
    return PageText(0, width, height, tuple(words), source)


def write_pdf(path: Path, pages: Sequence[Layout], size: tuple[float, float] = A4) -> Path:
    """A PDF with a real text layer (reportlab, Helvetica)."""
    from reportlab.pdfgen import canvas  # type: ignore[import-untyped]  # noqa: PLC0415

    pdf = canvas.Canvas(str(path), pagesize=size)
    for layout in pages:
        pdf.setFont("Helvetica", FONT_SIZE)
        for x, y, text in layout:
            pdf.drawString(x, size[1] - y - FONT_SIZE * 0.8, text)
        pdf.showPage()
    pdf.save()
    return path


def render_image(layout: Layout, scale: float = 3.0, size: tuple[float, float] = A4) -> Image.Image:
    """The layout drawn on white paper, ``scale`` pixels per point (3.0 ≈ 216 dpi)."""
    image = Image.new("RGB", (int(size[0] * scale), int(size[1] * scale)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=FONT_SIZE * scale)
    for x, y, text in layout:
        draw.text((x * scale, y * scale), text, fill="black", font=font)
    return image


def image_only_pdf(path: Path, image: Image.Image) -> Path:
    image.save(path, "PDF", resolution=216.0)
    return path
