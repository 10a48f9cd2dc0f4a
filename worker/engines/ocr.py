"""OCR readers for scans and image-only PDF pages: Tesseract (default) and RapidOCR.

Both turn one page image into a :class:`PageText` of words with normalised boxes. Tesseract runs
with ``OMP_THREAD_LIMIT=1`` (its own threading is several times slower on small machines) and
gets images scaled so that text is about the size its models were trained on; a page that
reads badly is checked for rotation (Tesseract's OSD) and read again upright.

RapidOCR (PP-OCR) reads text lines; it recognises digits and boxed or faint text better than
Tesseract but runs the words of a line together, so its words are cut again where the gap
between two characters is wider than their usual pitch. :func:`second_look` lays its lines
over a Tesseract reading where Tesseract saw nothing, was unsure, or lost letters.
"""

from __future__ import annotations

import itertools
import os
import re
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytesseract
from PIL import Image, ImageOps

from core.domain import BBox, PageText, Word, clamp_bbox
from worker.pipeline.layout import reading_order

# Tesseract reads best when capital letters are ~25-40 px tall; scans of receipts are often
# smaller, A4 pages rendered at 300 dpi are right. Images are scaled up to this many pixels
# across the shorter side at most (more costs time and gains nothing).
_MIN_SHORT_SIDE = 1400
_MAX_UPSCALE = 3.0
# Below this mean word confidence (0..100) a page is checked for rotation.
_ROTATION_CHECK_CONFIDENCE = 60.0
_MIN_WORDS = 8


class OcrUnavailable(Exception):
    """The OCR program or its models are missing."""


# Tesseract's page segmentation: full layout analysis (columns, blocks) for a page read first;
# one uniform block of text for a second look at a receipt, whose right-aligned amounts the
# layout analysis can drop as a separate region.
PSM_LAYOUT = 3
PSM_ONE_BLOCK = 6


@dataclass(frozen=True, slots=True)
class TesseractReader:
    languages: str = "eng"
    timeout_s: float = 60.0
    name: str = "tesseract"
    psm: int = PSM_LAYOUT

    def __post_init__(self) -> None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    def read(self, image: Image.Image, index: int) -> PageText:
        """The words on ``image`` (page ``index``), upright whatever way the scan was fed."""
        return self.read_upright(image, index)[0]

    def read_upright(self, image: Image.Image, index: int) -> tuple[PageText, Image.Image]:
        """The page's words, and the image turned as they were read (at its own scale): a
        second reader must see the page that way for its boxes to land on the same words."""
        upright = ImageOps.exif_transpose(image)
        prepared = _prepare(upright)
        words, confidence = self._words(prepared)
        if confidence < _ROTATION_CHECK_CONFIDENCE or len(words) < _MIN_WORDS:
            angle = self._rotation(prepared)
            if angle:
                rotated = prepared.rotate(-angle, expand=True)
                turned, turned_confidence = self._words(rotated)
                if turned_confidence > confidence:
                    words, prepared = turned, rotated
                    upright = upright.rotate(-angle, expand=True)
        page = PageText(index, prepared.width, prepared.height, reading_order(words), self.name)
        return page, upright

    def read_as_is(self, image: Image.Image, index: int) -> PageText:
        """The words on ``image`` as it lies (already upright: no EXIF turn, no OSD check)."""
        prepared = _prepare(image)
        words, _ = self._words(prepared)
        return PageText(index, prepared.width, prepared.height, reading_order(words), self.name)

    def _words(self, image: Image.Image) -> tuple[list[Word], float]:
        try:
            data: dict[str, list[Any]] = pytesseract.image_to_data(
                image,
                lang=self.languages,
                config=f"--psm {self.psm}",
                output_type=pytesseract.Output.DICT,
                timeout=self.timeout_s,
            )
        except pytesseract.TesseractNotFoundError:
            raise OcrUnavailable("tesseract is not installed") from None
        except pytesseract.TesseractError as error:
            raise OcrUnavailable(f"tesseract failed: {error.message}") from None
        except RuntimeError as error:  # pytesseract's timeout
            raise OcrUnavailable(f"tesseract: {error}") from None
        return _tesseract_words(data, image.width, image.height)

    def _rotation(self, image: Image.Image) -> int:
        """Degrees (clockwise) the page is turned, by Tesseract's OSD; 0 when unsure."""
        try:
            osd = pytesseract.image_to_osd(
                image, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=30
            )
        except (pytesseract.TesseractError, RuntimeError):
            return 0  # OSD needs enough text; a page it cannot judge is read as it is
        return int(osd.get("rotate", 0)) if float(osd.get("orientation_conf", 0)) > 1.0 else 0


def _tesseract_words(
    data: dict[str, list[Any]], width: int, height: int
) -> tuple[list[Word], float]:
    words: list[Word] = []
    confidences: list[float] = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if not str(text).strip() or conf < 0:
            continue
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        box = clamp_bbox((x / width, y / height, (x + w) / width, (y + h) / height))
        words.append(Word(str(text).strip(), box, round(conf / 100, 3)))
        confidences.append(conf)
    return words, statistics.fmean(confidences) if confidences else 0.0


def _prepare(image: Image.Image) -> Image.Image:
    """Greyscale, and scaled up when the scan is small."""
    grey = image.convert("L")
    short = min(grey.size)
    if 0 < short < _MIN_SHORT_SIDE:
        factor = min(_MAX_UPSCALE, _MIN_SHORT_SIDE / short)
        size = (round(grey.width * factor), round(grey.height * factor))
        grey = grey.resize(size, Image.Resampling.LANCZOS)
    return grey


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One text line as a line reader saw it: its box (normalised), words and score (0..1)."""

    bbox: BBox
    words: tuple[Word, ...]
    score: float

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


class RapidOcrReader:
    """PP-OCR (ONNX, shipped in the rapidocr-onnxruntime wheel); reads text lines, not words."""

    name = "rapidocr"

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415  # heavy, load on use
        except ImportError as error:
            raise OcrUnavailable(f"rapidocr is not installed: {error}") from None
        self._engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def read(self, image: Image.Image, index: int) -> PageText:
        rgb = ImageOps.exif_transpose(image).convert("RGB")
        words = [word for line in self.lines(rgb) for word in line.words]
        return PageText(index, rgb.width, rgb.height, reading_order(words), self.name)

    def lines(self, image: Image.Image) -> tuple[OcrLine, ...]:
        """The text lines on ``image`` as it is (no turning), boxes normalised to its size."""
        import numpy as np  # noqa: PLC0415

        rgb = image.convert("RGB")
        result, _ = self._engine(np.asarray(rgb), return_word_box=True)
        found = (_ocr_line(item, rgb.width, rgb.height) for item in result or ())
        return tuple(line for line in found if line.words)


# RapidOCR's characters come with boxes; a gap between two characters' centres this many times
# the line's usual pitch is a space it did not print (receipts: "1*12.50" is "1 * 12.50").
# Its character boxes are estimates, and narrow glyphs ("1", ",") sit unevenly: a number is
# never cut ("1,512.00" must not become "1,5" and "12.00").
_WORD_GAP_PITCHES = 1.5
_NUMBER_CHARACTERS = frozenset("0123456789.,")
_OPEN_NUMBER = re.compile(r"\d[.,]\d?$|\d,\d\d$")
_MIN_PITCHES = 3


def _ocr_line(item: Sequence[Any], width: int, height: int) -> OcrLine:
    """One RapidOCR result (box, text, score[, character boxes, characters]) as an OcrLine."""
    quad, text, score = item[0], str(item[1]), float(item[2])
    xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    line_box = clamp_bbox((x0 / width, y0 / height, x1 / width, y1 / height))
    chars = [unicodedata.normalize("NFKC", str(c)) for c in item[4]] if len(item) > 4 else []
    boxes = item[3] if len(item) > 4 else []
    if chars and len(chars) == len(boxes):
        spans = [(min(float(p[0]) for p in box), max(float(p[0]) for p in box)) for box in boxes]
        pieces = _words_from_characters(list(zip(chars, spans, strict=True)))
    else:
        pieces = _words_by_share(unicodedata.normalize("NFKC", text), x0, x1)
    words = tuple(
        Word(part, clamp_bbox((left / width, y0 / height, right / width, y1 / height)), score)
        for part, left, right in pieces
    )
    return OcrLine(line_box, words, round(score, 3))


def _words_from_characters(
    chars: Sequence[tuple[str, tuple[float, float]]],
) -> list[tuple[str, float, float]]:
    """Characters with their x extents joined into words: cut at spaces and at wide gaps."""
    centres = [((left + right) / 2, char) for char, (left, right) in chars]
    pitches = [b[0] - a[0] for a, b in itertools.pairwise(centres) if a[1].strip() and b[1].strip()]
    pitch = statistics.median(pitches) if len(pitches) >= _MIN_PITCHES else None
    words: list[tuple[str, float, float]] = []
    text, left, right, previous = "", 0.0, 0.0, None
    for char, (start, end) in chars:
        centre = (start + end) / 2
        wide = (
            pitch is not None
            and previous is not None
            and centre - previous > _WORD_GAP_PITCHES * pitch
            and not _in_number(text, char)
        )
        if text and (not char.strip() or wide):
            words.append((text, left, right))
            text = ""
        previous = centre if char.strip() else None
        if not char.strip():
            continue
        if not text:
            left = start
        text, right = text + char, end
    if text:
        words.append((text, left, right))
    return words


def _in_number(before: str, after: str) -> bool:
    """Whether ``after`` continues the number ``before`` ends with: a separator after a digit,
    or a digit after a separator with fewer digits than a group or the cents need."""
    if not before or not after or after not in _NUMBER_CHARACTERS:
        return False
    if after in ".,":
        return before[-1].isdigit()
    return _OPEN_NUMBER.search(before) is not None


def _words_by_share(text: str, x0: float, x1: float) -> list[tuple[str, float, float]]:
    """A line split at its spaces, each word's extent cut from the line's in proportion."""
    per_char = (x1 - x0) / max(len(text), 1)
    words: list[tuple[str, float, float]] = []
    offset = 0
    for part in text.split(" "):
        if part:
            left = x0 + offset * per_char
            words.append((part, left, left + len(part) * per_char))
        offset += len(part) + 1
    return words


# ---------------------------------------------------------------------------------------------
# A second reading laid over the first

# A line the second reader is less sure of than this is left out (garbage, logos, stamps).
_MIN_LINE_SCORE = 0.6
# Tesseract's words under a line are kept unless their mean confidence is below this, or the
# line reads markedly more letters and digits than they do (a letter-spaced title, a column
# Tesseract's layout analysis dropped, a boxed number).
_UNSURE = 0.7
_MORE_CHARACTERS = 1.25
_MIN_EXTRA_CHARACTERS = 2


def second_look(first: PageText, lines: Sequence[OcrLine], reader: str) -> PageText:
    """``first`` with ``lines`` (read from the same image) where ``first`` saw nothing there,
    was unsure, or read fewer characters; elsewhere ``first``'s words stay."""
    dropped: set[int] = set()
    added: list[Word] = []
    for line in lines:
        if line.score < _MIN_LINE_SCORE:
            continue
        under = [i for i, word in enumerate(first.words) if _mostly_inside(word.bbox, line.bbox)]
        if under and not _second_reads_better(line, [first.words[i] for i in under]):
            continue
        dropped.update(under)
        added.extend(line.words)
    if not added:
        return first
    kept = [word for i, word in enumerate(first.words) if i not in dropped]
    words = reading_order([*kept, *added])
    return PageText(first.index, first.width, first.height, words, f"{first.source}+{reader}")


def _second_reads_better(line: OcrLine, under: Sequence[Word]) -> bool:
    if statistics.fmean(word.confidence for word in under) < _UNSURE:
        return True
    first = sum(ch.isalnum() for word in under for ch in word.text)
    second = sum(ch.isalnum() for ch in line.text)
    return second >= _MORE_CHARACTERS * first + _MIN_EXTRA_CHARACTERS


def _mostly_inside(word: BBox, line: BBox) -> bool:
    width = min(word[2], line[2]) - max(word[0], line[0])
    height = min(word[3], line[3]) - max(word[1], line[1])
    area = (word[2] - word[0]) * (word[3] - word[1])
    return width > 0 and height > 0 and width * height > 0.5 * area
