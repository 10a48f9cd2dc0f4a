"""The document being read: its file, and its pages rendered at the size each stage needs.

PDF pages are rasterised by poppler through pdf2image, straight at the target size (OCR wants
~300 dpi, the model wants 896x896, previews ~150 dpi) rather than once at 300 dpi and shrunk.
Each render runs under a timeout, and a page whose pixel count at the asked resolution would
exceed the limit is rendered at a lower one, so a hostile page size cannot exhaust memory.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pdf2image
import pypdfium2 as pdfium
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError
from PIL import Image

from core.files import PDF

POINTS_PER_INCH = 72.0
_RENDER_CACHE_SIZE = 4


class RenderError(Exception):
    """A page could not be rendered; the message says which and why."""


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """A resolution (``dpi``), an exact pixel box (``size``), or a ``width`` keeping the aspect."""

    dpi: int | None = None
    size: tuple[int, int] | None = None
    width: int | None = None

    @property
    def box(self) -> tuple[int, int | None] | None:
        if self.size is not None:
            return self.size
        return (self.width, None) if self.width is not None else None


class SourceDocument:
    """A stored upload that stages read pages from; renders are cached a few at a time."""

    def __init__(
        self,
        path: Path,
        mime_type: str,
        page_count: int,
        *,
        name: str = "",
        render_timeout_s: float = 60.0,
        max_pixels: int = 80_000_000,
    ) -> None:
        self.path = path
        self.mime_type = mime_type
        self.page_count = page_count
        self.name = name or path.name
        self.render_timeout_s = render_timeout_s
        self.max_pixels = max_pixels
        self._cache: OrderedDict[tuple[int, RenderSpec], Image.Image] = OrderedDict()

    @property
    def is_pdf(self) -> bool:
        return self.mime_type == PDF

    def render(self, index: int, spec: RenderSpec) -> Image.Image:
        """Page ``index`` (from 0) as an RGB image at ``spec``."""
        if not 0 <= index < self.page_count:
            raise RenderError(
                f"page {index + 1} does not exist (the document has {self.page_count})"
            )
        key = (index, spec)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        image = self._render_pdf(index, spec) if self.is_pdf else self._render_image(index, spec)
        self._cache[key] = image
        if len(self._cache) > _RENDER_CACHE_SIZE:
            self._cache.popitem(last=False)
        return image

    def _render_pdf(self, index: int, spec: RenderSpec) -> Image.Image:
        # With a box poppler scales straight to it and the resolution is not used.
        box = spec.box
        dpi = 72 if box is not None else self._safe_dpi(index, spec.dpi or 150)
        try:
            images = pdf2image.convert_from_path(
                self.path,
                dpi=dpi,
                size=box,  # type: ignore[arg-type]  # None is its documented default
                first_page=index + 1,
                last_page=index + 1,
                timeout=max(1, math.ceil(self.render_timeout_s)),
            )
        except pdf2image.exceptions.PDFPopplerTimeoutError:
            raise RenderError(
                f"page {index + 1} took longer than {self.render_timeout_s:.0f} s to render"
            ) from None
        except (PDFPageCountError, PDFSyntaxError) as error:
            raise RenderError(f"page {index + 1} cannot be rendered: {error}") from None
        except PDFInfoNotInstalledError:
            raise RenderError("poppler-utils is not installed (pdftoppm is missing)") from None
        if not images:
            raise RenderError(f"page {index + 1} rendered to nothing")
        return images[0].convert("RGB")

    def _safe_dpi(self, index: int, dpi: int) -> int:
        """``dpi``, lowered if the page is so large that the render would break the pixel cap."""
        width_pt, height_pt = self.page_size_points(index)
        pixels = (width_pt * dpi / POINTS_PER_INCH) * (height_pt * dpi / POINTS_PER_INCH)
        if pixels <= self.max_pixels:
            return dpi
        return max(1, int(dpi * math.sqrt(self.max_pixels / pixels)))

    def page_size_points(self, index: int) -> tuple[float, float]:
        pdf = pdfium.PdfDocument(self.path)
        try:
            width, height = pdf[index].get_size()
            return float(width), float(height)
        finally:
            pdf.close()

    def _render_image(self, index: int, spec: RenderSpec) -> Image.Image:
        try:
            with Image.open(self.path) as image:
                image.seek(index)
                frame = image.convert("RGB")
        except (OSError, EOFError, Image.DecompressionBombError) as error:
            raise RenderError(f"page {index + 1} cannot be decoded: {error}") from None
        if spec.size is not None:
            return frame.resize(spec.size, Image.Resampling.BICUBIC)
        if spec.width is not None and frame.width > spec.width:
            height = round(frame.height * spec.width / frame.width)
            return frame.resize((spec.width, height), Image.Resampling.LANCZOS)
        return frame
