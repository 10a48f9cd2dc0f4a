"""What a layout produces: pages of positioned text runs and shapes, in PDF points.

Coordinates are top-left based (``y`` grows downwards) like the boxes of the export; the PDF
renderer flips them. A text run may carry a ``tag`` naming the field value it prints
(``"total_amount"``, ``"item.3.unit_price"``): the ground-truth boxes are read off those tags,
so a field has a box exactly when it was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.domain import BBox
from worker.synthetic.fonts import text_width, vertical_metrics

RGB = tuple[float, float, float]
BLACK: RGB = (0.0, 0.0, 0.0)
# Text never shrinks below this to fit a column: smaller would be unreadable at 150 dpi.
MIN_FONT_SIZE = 5.5
LINE_PITCH = 1.25


@dataclass(frozen=True, slots=True)
class TextRun:
    x: float
    y: float  # top of the line box
    text: str
    font: str
    size: float
    color: RGB = BLACK
    tag: str | None = None

    @property
    def box(self) -> BBox:
        ascent, descent = vertical_metrics(self.font)
        width = text_width(self.text, self.font, self.size)
        return (self.x, self.y, self.x + width, self.y + (ascent - descent) * self.size)


@dataclass(frozen=True, slots=True)
class Shape:
    """A rectangle, ellipse or line (``kind``) with optional fill and stroke."""

    kind: str  # "rect" | "ellipse" | "line"
    x0: float
    y0: float
    x1: float
    y1: float
    fill: RGB | None = None
    stroke: RGB | None = BLACK
    width: float = 0.5


@dataclass(frozen=True, slots=True)
class Page:
    width: float
    height: float
    runs: tuple[TextRun, ...]
    shapes: tuple[Shape, ...]


@dataclass
class PageBuilder:
    """Collects runs and shapes for one page; text helpers return where the text ended."""

    width: float
    height: float
    runs: list[TextRun] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        font: str,
        size: float,
        *,
        tag: str | None = None,
        align: str = "left",
        max_width: float | None = None,
        color: RGB = BLACK,
    ) -> TextRun:
        """Draw ``text`` with its left edge (or right edge, or centre) at ``x``.

        A text wider than ``max_width`` is drawn smaller rather than cut, because the printed
        value must stay the ground-truth value.
        """
        if max_width is not None:
            size = fit_size(text, font, size, max_width)
        width = text_width(text, font, size)
        left = {"left": x, "right": x - width, "center": x - width / 2}[align]
        run = TextRun(left, y, text, font, size, color, tag)
        self.runs.append(run)
        return run

    def lines(
        self,
        x: float,
        y: float,
        lines: tuple[str, ...],
        font: str,
        size: float,
        *,
        tag: str | None = None,
        align: str = "left",
        max_width: float | None = None,
    ) -> float:
        """Draw one run per line at a 1.25 line pitch; returns the ``y`` below the last."""
        pitch = size * LINE_PITCH
        for index, line in enumerate(lines):
            self.text(
                x, y + index * pitch, line, font, size, tag=tag, align=align, max_width=max_width
            )
        return y + len(lines) * pitch

    def shape(
        self,
        kind: str,
        box: BBox,
        *,
        fill: RGB | None = None,
        stroke: RGB | None = BLACK,
        width: float = 0.5,
    ) -> None:
        self.shapes.append(Shape(kind, *box, fill=fill, stroke=stroke, width=width))

    def build(self, height: float | None = None) -> Page:
        return Page(self.width, height or self.height, tuple(self.runs), tuple(self.shapes))


def fit_size(text: str, font: str, size: float, max_width: float) -> float:
    """The largest size not above ``size`` at which ``text`` fits ``max_width``."""
    width = text_width(text, font, size)
    if width <= max_width:
        return size
    return max(MIN_FONT_SIZE, size * max_width / width)
