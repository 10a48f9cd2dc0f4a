"""An ``ocr`` answer as the words of a page, with boxes where the answer allows.

PaliGemma's ``ocr`` writes the page's text. Where segments carry four ``<locNNNN>`` tokens
(OCR adapters trained on boxed lines write ``<loc..>x4 line text``), each segment's words share
its box, split along x in proportion to their length. Text without boxes gets boxes estimated
from its layout: line ``i`` of ``n`` spans the ``i``-th band of the page, words split along
the line by character position. Estimated boxes keep the reading order and rough position that
the CPU field extractor's layout rules rely on; they are not measurements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from core.domain import BBox, PageText, Word, clamp_bbox
from worker.engines.paligemma.answer_format import decode_box
from worker.engines.paligemma.lenient_json import Span

SOURCE = "paligemma"
_BOXED = re.compile(r"((?:<loc\d{4}>){4})([^<]*)")
_WORD = re.compile(r"\S+")
_STRAY_TOKENS = re.compile(r"<(?:loc\d{4}|seg\d{3})>")


def page_text(
    text: str, index: int, size: int, confidence_of: Callable[[Sequence[Span]], float]
) -> PageText:
    """The words of page ``index`` (rendered ``size`` px square) read from an ``ocr`` answer."""
    segments = [(m.start(2), m.group(2), decode_box(m.group(1))) for m in _BOXED.finditer(text)]
    if segments:
        words = _boxed_words(segments, confidence_of)
    else:
        words = _laid_out_words(text, confidence_of)
    return PageText(index=index, width=size, height=size, words=tuple(words), source=SOURCE)


def _boxed_words(
    segments: list[tuple[int, str, BBox | None]], confidence_of: Callable[[Sequence[Span]], float]
) -> list[Word]:
    words: list[Word] = []
    for offset, segment, box in segments:
        if box is not None:
            words.extend(_split(segment, offset, box, confidence_of))
    return words


def _laid_out_words(text: str, confidence_of: Callable[[Sequence[Span]], float]) -> list[Word]:
    clean = _STRAY_TOKENS.sub(lambda m: " " * len(m.group()), text)  # keep offsets
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", clean) if m.group().strip()]
    words: list[Word] = []
    for number, (offset, line) in enumerate(lines):
        band = (0.0, number / len(lines), 1.0, (number + 1) / len(lines))
        words.extend(_split(line, offset, band, confidence_of))
    return words


def _split(
    segment: str, offset: int, box: BBox, confidence_of: Callable[[Sequence[Span]], float]
) -> list[Word]:
    """The words of ``segment`` (at ``offset`` in the answer), sharing ``box`` along x."""
    x0, y0, x1, y1 = box
    width = max(len(segment.rstrip()), 1)
    words: list[Word] = []
    for match in _WORD.finditer(segment):
        left = x0 + (x1 - x0) * match.start() / width
        right = x0 + (x1 - x0) * match.end() / width
        span = (offset + match.start(), offset + match.end())
        words.append(Word(match.group(), clamp_bbox((left, y0, right, y1)), confidence_of([span])))
    return words
