"""What an upload is, decided by content, with a readable reason for every refusal."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from pypdf import PdfWriter

from core.files import PDF, PNG, FileLimits, RejectedFile, UnsupportedType, inspect_file
from tests.support.documents import image_bytes, invoice_pdf, page_image, text_pdf

LIMITS = FileLimits(max_bytes=1_000_000, max_pages=20, max_image_pixels=20_000_000)


def write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares a huge image in a few bytes (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_text_pdf_and_a_png_are_accepted(tmp_path: Path) -> None:
    info = inspect_file(write(tmp_path, invoice_pdf()), LIMITS)
    assert (info.mime_type, info.page_count) == (PDF, 1)
    png = image_bytes(page_image([(10, 20, "hello")], scale=1))
    assert inspect_file(write(tmp_path, png), LIMITS).mime_type == PNG


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"x" * 1_000_001, "larger than the limit"),
        (encrypted_pdf(), "encrypted"),
        (invoice_pdf()[:300], "cannot be read"),
        (text_pdf([[(10, 10, "p")]] * 25), "25 pages; the limit is 20"),
        (png_header(50_000, 50_000), "too many pixels"),
        (png_header(30_000, 1_000), "30,000,000 pixels; the limit is 20,000,000"),
        (b"%PDF-1.7\n this is not a PDF at all", "cannot be read"),
    ],
    ids=[
        "empty",
        "too-large",
        "encrypted",
        "truncated",
        "page-bomb",
        "pixel-bomb",
        "big-image",
        "fake-pdf",
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(RejectedFile, match=message):
        inspect_file(write(tmp_path, data), LIMITS)


@pytest.mark.parametrize("data", [b"PK\x03\x04zip", b"MZ\x90\x00exe", b"<html></html>"])
def test_other_formats_are_refused_whatever_their_name(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnsupportedType, match="Only PDF, PNG, JPEG and TIFF"):
        inspect_file(write(tmp_path, data, "invoice.pdf"), LIMITS)
