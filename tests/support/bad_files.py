"""Builders of bad uploads for the platform's tests: each returns the bytes of one bad file.

Every builder is deterministic and fast (milliseconds, the page-count bomb well under a
second), and each file is bad in exactly the way its docstring says, which
``tests/unit/synthetic/test_bad_files.py`` checks. Good documents come from
:func:`worker.synthetic.generate`.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from functools import cache
from io import BytesIO

import pypdf
from PIL import Image

from worker.synthetic import generate

A4_POINTS = (595, 842)


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF from object bodies; object 1 must be the catalog. Offsets are computed here."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def single_page_pdf(content: bytes, size: tuple[int, int] = A4_POINTS) -> bytes:
    """One page of ``size`` points whose content stream is ``content`` (no fonts)."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R >>" % size
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            stream(content),
        ]
    )


@cache
def good_invoice_pdf() -> bytes:
    """A valid one-page synthetic invoice, the raw material of several bad files."""
    return generate("invoice", 1, language="en").data


def encrypted_pdf(password: str = "secret") -> bytes:
    """A valid invoice encrypted with AES-256 and a user password: unreadable without it."""
    writer = pypdf.PdfWriter(clone_from=BytesIO(good_invoice_pdf()))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    """The first 60 % of a valid invoice: cut inside a stream, no cross-reference, no trailer."""
    data = good_invoice_pdf()
    return data[: len(data) * 6 // 10]


def page_count_bomb(pages: int = 5000) -> bytes:
    """A valid PDF of ``pages`` tiny blank pages (a few hundred KB): a renderer's time bomb."""
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] /Contents 3 0 R >>"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            stream(b"0 0 0 rg 10 10 1 1 re f"),
            *([page] * pages),
        ]
    )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb_png(width: int = 50_000, height: int = 50_000, rows: int = 2_000) -> bytes:
    """A 1-bit grey PNG declaring ``width`` x ``height`` pixels (2.5 gigapixels) in ~15 KB.

    Its data stream holds ``rows`` rows of zeros (12 MB inflated) and then stops: a decoder
    that trusts the header allocates gigabytes before it notices. Pillow's bomb guard refuses
    it at ``Image.open``.
    """
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def huge_page_pdf(size: int = 14_400) -> bytes:
    """A one-page PDF whose MediaBox is ``size`` points square (5 m; 14400 pt is the PDF
    maximum): rendered at 150 dpi it would be 30000 x 30000 pixels."""
    return single_page_pdf(b"0 0 1 rg 100 100 200 200 re f", (size, size))


def empty_file() -> bytes:
    """Zero bytes."""
    return b""


def zip_archive() -> bytes:
    """A ZIP archive holding a deflated invoice: a container, not a document.

    Deflated on purpose: a *stored* PDF would put ``%PDF-`` within the archive's first KiB,
    where PDF readers (and ``core.files.sniff_mime``) accept a header after leading junk.
    """
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("invoice.pdf", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, good_invoice_pdf())
    return out.getvalue()


def windows_executable() -> bytes:
    """The start of a Windows PE executable: an MZ header pointing at a PE signature."""
    dos_header = b"MZ" + b"\x90\x00" + b"\x00" * 56 + struct.pack("<I", 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$".ljust(0x80 - len(dos_header), b"\0")
    pe_header = b"PE\x00\x00" + struct.pack("<HH", 0x8664, 1) + b"\x00" * 16
    return dos_header + stub + pe_header


def image_only_pdf() -> bytes:
    """A scanned invoice wrapped in a PDF: one page, one JPEG image, no text layer at all."""
    scan = generate("invoice", 2, language="de", output="jpeg", noise=0.4, dpi=100)
    image = Image.open(BytesIO(scan.data))
    out = BytesIO()
    image.save(out, format="PDF", resolution=100.0)
    return out.getvalue()


def broken_facturx_pdf() -> bytes:
    """A readable invoice PDF with an attached ``factur-x.xml`` that is not well-formed XML
    (cut off mid-element), as a buggy e-invoicing export produces."""
    broken = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<rsm:CrossIndustryInvoice "
        b'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">\n'
        b"  <rsm:ExchangedDocument><ram:ID>INV-1</ram:ID>\n  <rsm:Supply"
    )
    writer = pypdf.PdfWriter(clone_from=BytesIO(good_invoice_pdf()))
    writer.add_attachment("factur-x.xml", broken)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_page_pdf() -> bytes:
    """One white A4 page with an empty content stream."""
    return single_page_pdf(b"")


def blank_page_png(size: tuple[int, int] = (1240, 1754)) -> bytes:
    """A white A4 page scanned at 150 dpi: nothing to read."""
    out = BytesIO()
    Image.new("L", size, 255).save(out, format="PNG")
    return out.getvalue()


def logo_only_pdf() -> bytes:
    """An A4 page with a vector logo (a filled circle and two bars) and not one character."""
    circle = (
        b"0.12 0.23 0.45 rg 300 700 m 300 727.6 277.6 750 250 750 c "
        b"222.4 750 200 727.6 200 700 c 200 672.4 222.4 650 250 650 c "
        b"277.6 650 300 672.4 300 700 c f "
    )
    bars = b"0.55 0.1 0.12 rg 320 720 160 14 re f 320 690 110 14 re f"
    return single_page_pdf(circle + bars)


def rotated_scan(angle: int = 90) -> bytes:
    """A scanned portrait invoice (PNG) turned by ``angle`` degrees: lying on its side."""
    scan = generate("invoice", 3, language="fr", output="png", noise=0.3, dpi=100)
    image = Image.open(BytesIO(scan.data)).rotate(angle, expand=True, fillcolor="white")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
