"""Layout from word boxes: lines, cells within a line, and the document as a list of lines.

Every reader (text layer, Tesseract, RapidOCR, PaliGemma's OCR) hands over words with boxes;
everything downstream works on the :class:`Line` and :class:`Cell` built here, so the field
rules see the same structure whoever read the page. A *cell* is a run of words on one line
with no wide gap inside: a label, a value, or a table column's entry.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from core.domain import BBox, PageText, Word, union_bbox

# Words whose vertical centres differ by less than this share of their height share a line.
_SAME_LINE = 0.5
# A horizontal gap wider than this many times the line height, and than this many average
# character widths (monospaced receipts put a full character between words), starts a cell.
_CELL_GAP = 1.1
_CELL_GAP_CHARS = 2.5


def _height(box: BBox) -> float:
    return box[3] - box[1]


def _centre_y(box: BBox) -> float:
    return (box[1] + box[3]) / 2


def group_lines(words: Iterable[Word]) -> list[list[Word]]:
    """Words grouped into lines, top to bottom, each line left to right."""
    lines: list[list[Word]] = []
    centres: list[float] = []
    heights: list[float] = []
    for word in sorted(words, key=lambda w: _centre_y(w.bbox)):
        height = max(_height(word.bbox), 1e-4)
        for index in range(len(lines) - 1, max(len(lines) - 4, -1), -1):
            if abs(_centre_y(word.bbox) - centres[index]) <= _SAME_LINE * max(
                height, heights[index]
            ):
                lines[index].append(word)
                count = len(lines[index])
                centres[index] += (_centre_y(word.bbox) - centres[index]) / count
                heights[index] = max(heights[index], height)
                break
        else:
            lines.append([word])
            centres.append(_centre_y(word.bbox))
            heights.append(height)
    ordered = sorted(zip(centres, lines, strict=True), key=lambda pair: pair[0])
    return [sorted(line, key=lambda w: w.bbox[0]) for _, line in ordered]


def reading_order(words: Iterable[Word]) -> tuple[Word, ...]:
    """Words line by line, top to bottom and left to right."""
    return tuple(word for line in group_lines(words) for word in line)


@dataclass(frozen=True)
class Span:
    """Words that belong together (a cell or a part of one), with their joined text."""

    words: tuple[Word, ...]

    @cached_property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @cached_property
    def bbox(self) -> BBox:
        box = union_bbox([word.bbox for word in self.words])
        return box if box else (0.0, 0.0, 0.0, 0.0)

    @property
    def confidence(self) -> float:
        return min((word.confidence for word in self.words), default=0.0)

    def sub(self, start: int, end: int) -> Span:
        """The words that overlap characters ``start:end`` of :attr:`text`."""
        chosen: list[Word] = []
        offset = 0
        for word in self.words:
            word_end = offset + len(word.text)
            if word_end > start and offset < end:
                chosen.append(word)
            offset = word_end + 1
        return Span(tuple(chosen))


@dataclass(frozen=True)
class Cell(Span):
    pass


@dataclass(frozen=True)
class Line(Span):
    """One line of a page; ``number`` counts lines over the whole document."""

    page: int = 0
    number: int = 0
    cells: tuple[Cell, ...] = field(default=())

    @property
    def height(self) -> float:
        return statistics.median(_height(w.bbox) for w in self.words) if self.words else 0.0


def split_cells(words: Sequence[Word]) -> tuple[Cell, ...]:
    """A line's words cut where the gap between two words is wide."""
    if not words:
        return ()
    height = statistics.median(_height(w.bbox) for w in words)
    char_width = sum(w.bbox[2] - w.bbox[0] for w in words) / max(sum(len(w.text) for w in words), 1)
    gap = max(_CELL_GAP * height, _CELL_GAP_CHARS * char_width)
    cells: list[list[Word]] = [[words[0]]]
    for previous, word in itertools.pairwise(words):
        if word.bbox[0] - previous.bbox[2] > gap:
            cells.append([])
        cells[-1].append(word)
    return tuple(Cell(tuple(cell)) for cell in cells)


def page_lines(page: PageText, first_number: int = 0) -> list[Line]:
    lines = group_lines(w for w in page.words if w.text.strip())
    return [
        Line(tuple(words), page=page.index, number=first_number + i, cells=split_cells(words))
        for i, words in enumerate(lines)
    ]


@dataclass(frozen=True)
class Document:
    """The lines of every page, in reading order, and the pages they came from."""

    pages: tuple[PageText, ...]
    lines: tuple[Line, ...]

    @classmethod
    def from_pages(cls, pages: Sequence[PageText]) -> Document:
        lines: list[Line] = []
        for page in pages:
            lines.extend(page_lines(page, len(lines)))
        return cls(tuple(pages), tuple(lines))

    @cached_property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def source(self, page: int) -> str:
        for candidate in self.pages:
            if candidate.index == page:
                return candidate.source
        return ""

    def below(self, line: Line, max_lines: int = 4) -> list[Line]:
        """The next lines on the same page, at most ``max_lines`` of them."""
        following = self.lines[line.number + 1 : line.number + 1 + max_lines]
        return [other for other in following if other.page == line.page]


def overlaps_x(a: BBox, b: BBox, slack: float = 0.0) -> bool:
    return a[0] - slack <= b[2] and b[0] - slack <= a[2]
