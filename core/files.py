"""What an uploaded file is, decided by its content, and the limits it must meet.

Everything here runs before a document is accepted: it reads only headers and the PDF's page
tree, never renders, so a hostile file costs milliseconds. Renderers and OCR run later in the
worker under their own timeouts.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
ACCEPTED_TYPES = frozenset(mime for _, mime in _MAGIC)
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", TIFF: ".tif"}
# PDF files may carry junk before the header; readers accept it within the first KiB.
_PDF_HEADER_WINDOW = 1024


class RejectedFile(Exception):
    """The file cannot become a document; the message is shown to the uploader."""


class UnsupportedType(RejectedFile):
    """The content is not a PDF or an image FormLens reads (whatever its name claims)."""


@dataclass(frozen=True, slots=True)
class FileLimits:
    max_bytes: int
    max_pages: int
    max_image_pixels: int


@dataclass(frozen=True, slots=True)
class FileInfo:
    mime_type: str
    page_count: int
    size_bytes: int


def sniff_mime(head: bytes) -> str | None:
    """The MIME type the first bytes announce, or ``None`` if FormLens does not read it."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return PDF
    return None


def inspect_file(path: Path, limits: FileLimits) -> FileInfo:
    """Check a stored upload against the limits; raise :class:`RejectedFile` with a reason."""
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile("The file is empty.")
    if size > limits.max_bytes:
        raise RejectedFile(f"The file is larger than the limit of {limits.max_bytes // 2**20} MiB.")
    with path.open("rb") as handle:
        mime = sniff_mime(handle.read(_PDF_HEADER_WINDOW))
    if mime is None:
        raise UnsupportedType("Only PDF, PNG, JPEG and TIFF files can be read.")
    pages = _pdf_pages(path) if mime == PDF else _image_pages(path, limits)
    if pages == 0:
        raise RejectedFile("The document has no pages.")
    if pages > limits.max_pages:
        raise RejectedFile(f"The document has {pages} pages; the limit is {limits.max_pages}.")
    return FileInfo(mime_type=mime, page_count=pages, size_bytes=size)


def _pdf_pages(path: Path) -> int:
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise RejectedFile(
                "The PDF is encrypted with a password; upload it unlocked."
            ) from None
        raise RejectedFile(
            f"The PDF cannot be read ({error}); it may be truncated or damaged."
        ) from None
    try:
        return len(pdf)
    finally:
        pdf.close()


def _image_pages(path: Path, limits: FileLimits) -> int:
    with warnings.catch_warnings():
        # Pillow warns below its hard limit; treat a warning as the refusal it foreshadows.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                pixels = image.width * image.height
                if pixels > limits.max_image_pixels:
                    raise RejectedFile(
                        f"The image has {pixels:,} pixels; the limit is "
                        f"{limits.max_image_pixels:,}."
                    )
                return getattr(image, "n_frames", 1)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise RejectedFile("The image has too many pixels to decode safely.") from None
        except (OSError, SyntaxError, ValueError) as error:
            raise RejectedFile(f"The image cannot be decoded ({error}).") from None
