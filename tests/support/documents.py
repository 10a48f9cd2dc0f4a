"""Small documents built in the tests: a text PDF written by hand, and scanned-looking pages.

The hand-written PDF keeps the platform tests independent of any PDF library: one page per
list of (x, y, text) lines in points from the top left, Helvetica, a real text layer.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

A4 = (595, 842)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

Line = tuple[float, float, str]

INVOICE_LINES: list[Line] = [
    (50, 60, "ACME Supplies GmbH"),
    (50, 76, "Hauptstrasse 1, 10115 Berlin"),
    (350, 60, "INVOICE"),
    (350, 90, "Invoice number: INV-2024-0042"),
    (350, 106, "Invoice date: 2024-03-15"),
    (50, 160, "Bill to: Example Customer Ltd"),
    (50, 240, "Description            Qty   Unit price   Amount"),
    (50, 260, "Widgets                  10        10.00   100.00"),
    (300, 320, "Net amount     EUR 100.00"),
    (300, 336, "VAT 19%        EUR 19.00"),
    (300, 352, "Total          EUR 119.00"),
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(pages: list[list[Line]], *, tag: str = "") -> bytes:
    """A PDF with a text layer; ``tag`` (printed small) makes otherwise equal files differ."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for lines in pages:
        content = "BT /F1 11 Tf " + " ".join(
            f"1 0 0 1 {x:.1f} {A4[1] - y:.1f} Tm ({_escape(text)}) Tj" for x, y, text in lines
        )
        if tag:
            content += f" /F1 6 Tf 1 0 0 1 20 20 Tm ({_escape(tag)}) Tj"
        content += " ET"
        stream = content.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content_ref = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
            b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
            b">> >> >> >>" % (A4[0], A4[1], content_ref)
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    return _assemble(objects)


def _assemble(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def invoice_pdf(tag: str = "") -> bytes:
    return text_pdf([INVOICE_LINES], tag=tag)


def page_image(lines: list[Line], scale: float = 2.0) -> Image.Image:
    """A white page with the lines drawn on it, like a clean scan at ``72 * scale`` dpi."""
    image = Image.new("RGB", (int(A4[0] * scale), int(A4[1] * scale)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(11 * scale))
    for x, y, text in lines:
        draw.text((x * scale, (y - 9) * scale), text, fill="black", font=font)
    return image


def image_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def scanned_pdf(lines: list[Line]) -> bytes:
    """An image-only PDF (no text layer), as a scanner makes."""
    return image_bytes(page_image(lines), "PDF")
