"""Words with boxes from a digital PDF's text layer (pdfium), in reading order.

pdfium gives every character with its box; words are runs of characters without a space
between them and without a jump in position (some PDFs place words without space characters).
Boxes are turned into the displayed page's normalised coordinates, rotation included.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium

from core.domain import BBox, PageText, Word, clamp_bbox
from worker.pipeline.layout import reading_order

SOURCE = "textlayer"
# A gap wider than this many times the character height splits a word even without a space.
_WORD_GAP = 0.6
# A page whose text layer holds fewer letters or digits than this is treated as image-only.
MIN_TEXT_CHARS = 8


class TextLayerError(Exception):
    """The PDF cannot be opened by pdfium."""


def read_text_layer(path: Path) -> tuple[PageText, ...]:
    """One :class:`PageText` per page (empty where the page has no text layer)."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        raise TextLayerError(f"the PDF cannot be opened: {error}") from None
    try:
        return tuple(read_page(pdf[i], i) for i in range(len(pdf)))
    finally:
        pdf.close()


def has_text(page: PageText) -> bool:
    return sum(ch.isalnum() for w in page.words for ch in w.text) >= MIN_TEXT_CHARS


def read_page(page: pdfium.PdfPage, index: int) -> PageText:
    left, bottom, right, top = page.get_mediabox()
    rotation = page.get_rotation() % 360
    width, height = right - left, top - bottom
    textpage = page.get_textpage()
    try:
        words = [
            Word(
                text, clamp_bbox(_rotate(_normalise(box, (left, bottom, width, height)), rotation))
            )
            for text, box in _words(textpage)
        ]
    finally:
        textpage.close()
    shown_w, shown_h = (height, width) if rotation in (90, 270) else (width, height)
    return PageText(index, shown_w, shown_h, reading_order(words), SOURCE)


def _words(textpage: pdfium.PdfTextPage) -> Iterator[tuple[str, tuple[float, ...]]]:
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    chars: list[str] = []
    boxes: list[tuple[float, ...]] = []
    for index, char in enumerate(text[:count]):
        box = textpage.get_charbox(index) if not char.isspace() else None
        if box is None or (boxes and _is_gap(boxes[-1], box)):
            if chars:
                yield "".join(chars), _union(boxes)
            chars, boxes = [], []
        if box is not None and char.isprintable():
            chars.append(char)
            boxes.append(box)
    if chars:
        yield "".join(chars), _union(boxes)


def _is_gap(previous: tuple[float, ...], box: tuple[float, ...]) -> bool:
    size = max(previous[3] - previous[1], box[3] - box[1], 1.0)
    same_line = abs((previous[1] + previous[3]) - (box[1] + box[3])) / 2 < size  # "_" sits low
    return not same_line or not -size * 0.3 <= box[0] - previous[2] <= size * _WORD_GAP


def _union(boxes: list[tuple[float, ...]]) -> tuple[float, ...]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _normalise(box: tuple[float, ...], frame: tuple[float, float, float, float]) -> BBox:
    """pdfium's (left, bottom, right, top) in points → (x0, y0, x1, y1) in 0..1, y down."""
    left, bottom, width, height = frame
    x0, y0, x1, y1 = box
    return (
        (x0 - left) / width,
        1 - (y1 - bottom) / height,
        (x1 - left) / width,
        1 - (y0 - bottom) / height,
    )


def _rotate(box: BBox, rotation: int) -> BBox:
    """A box on the unrotated page → the same box on the page as a viewer shows it."""
    x0, y0, x1, y1 = box
    if rotation == 90:
        return (1 - y1, x0, 1 - y0, x1)
    if rotation == 180:
        return (1 - x1, 1 - y1, 1 - x0, 1 - y0)
    if rotation == 270:
        return (y0, 1 - x1, y1, 1 - x0)
    return box
