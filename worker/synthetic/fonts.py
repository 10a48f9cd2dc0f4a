"""Font families the generator draws with, and the metrics that turn text into boxes.

The PDF base-14 families need no files. The DejaVu families come from Debian's
``fonts-dejavu-core``; where those files are missing they are simply not offered, so the
generator still runs (with less variety, and different output for the same seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True, slots=True)
class FontFamily:
    """A regular and a bold face registered with reportlab under these names."""

    regular: str
    bold: str
    monospace: bool = False


_BASE14 = (
    FontFamily("Helvetica", "Helvetica-Bold"),
    FontFamily("Times-Roman", "Times-Bold"),
    FontFamily("Courier", "Courier-Bold", monospace=True),
)
_TTF = (
    FontFamily("DejaVuSans", "DejaVuSans-Bold"),
    FontFamily("DejaVuSerif", "DejaVuSerif-Bold"),
    FontFamily("DejaVuSansMono", "DejaVuSansMono-Bold", monospace=True),
    FontFamily("DejaVuSansCondensed", "DejaVuSansCondensed-Bold"),
)


@cache
def families() -> tuple[FontFamily, ...]:
    """Every family available on this machine, registering the TrueType ones once."""
    available = list(_BASE14)
    for family in _TTF:
        files = [DEJAVU_DIR / f"{face}.ttf" for face in (family.regular, family.bold)]
        if all(path.is_file() for path in files):
            for face, path in zip((family.regular, family.bold), files, strict=True):
                pdfmetrics.registerFont(TTFont(face, str(path)))
            available.append(family)
    return tuple(available)


def text_width(text: str, font: str, size: float) -> float:
    """Advance width of ``text`` in points."""
    return float(pdfmetrics.stringWidth(text, font, size))


@cache
def vertical_metrics(font: str) -> tuple[float, float]:
    """Ascent and descent (negative) of ``font`` per point of size."""
    return (
        float(pdfmetrics.getAscent(font, 1000)) / 1000,
        float(pdfmetrics.getDescent(font, 1000)) / 1000,
    )
