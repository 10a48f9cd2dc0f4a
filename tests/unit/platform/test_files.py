"""What an upload is, decided by content, with a readable reason for every refusal."""

from pathlib import Path

import pytest

from core.files import PDF, PNG, FileLimits, RejectedFile, UnsupportedType, inspect_file
from tests.support import bad_files
from tests.support.documents import image_bytes, invoice_pdf, page_image

LIMITS = FileLimits(max_bytes=1_000_000, max_pages=20, max_image_pixels=20_000_000)


def write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_text_pdf_and_a_png_are_accepted(tmp_path: Path) -> None:
    info = inspect_file(write(tmp_path, invoice_pdf()), LIMITS)
    assert (info.mime_type, info.page_count) == (PDF, 1)
    png = image_bytes(page_image([(10, 20, "hello")], scale=1))
    assert inspect_file(write(tmp_path, png), LIMITS).mime_type == PNG


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bad_files.empty_file(), "empty"),
        (b"x" * 1_000_001, "larger than the limit"),
        (bad_files.encrypted_pdf(), "encrypted"),
        (invoice_pdf()[:300], "cannot be read"),
        (bad_files.page_count_bomb(25), "25 pages; the limit is 20"),
        (bad_files.decompression_bomb_png(), "too many pixels"),
        (
            bad_files.decompression_bomb_png(30_000, 1_000, rows=10),
            "30,000,000 pixels; the limit is 20,000,000",
        ),
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


@pytest.mark.parametrize(
    "data",
    [bad_files.zip_archive(), bad_files.windows_executable(), b"<html></html>"],
    ids=["zip", "exe", "html"],
)
def test_other_formats_are_refused_whatever_their_name(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnsupportedType, match="Only PDF, PNG, JPEG and TIFF"):
        inspect_file(write(tmp_path, data, "invoice.pdf"), LIMITS)
