"""OCR readers for scans and image-only PDF pages: Tesseract (default) and RapidOCR.

Both turn one page image into a :class:`PageText` of words with normalised boxes. Tesseract runs
with ``OMP_THREAD_LIMIT=1`` (its own threading is several times slower on small machines) and
gets images scaled so that text is about the size its models were trained on; a page that
reads badly is checked for rotation (Tesseract's OSD) and read again upright.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from typing import Any

import pytesseract
from PIL import Image, ImageOps

from core.domain import PageText, Word, clamp_bbox
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


@dataclass(frozen=True, slots=True)
class TesseractReader:
    languages: str = "eng"
    timeout_s: float = 60.0
    name: str = "tesseract"

    def __post_init__(self) -> None:
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    def read(self, image: Image.Image, index: int) -> PageText:
        """The words on ``image`` (page ``index``), upright whatever way the scan was fed."""
        prepared = _prepare(image)
        words, confidence = self._words(prepared)
        if confidence < _ROTATION_CHECK_CONFIDENCE or len(words) < _MIN_WORDS:
            angle = self._rotation(prepared)
            if angle:
                rotated = prepared.rotate(-angle, expand=True)
                turned, turned_confidence = self._words(rotated)
                if turned_confidence > confidence:
                    words, prepared = turned, rotated
        return PageText(index, prepared.width, prepared.height, reading_order(words), self.name)

    def _words(self, image: Image.Image) -> tuple[list[Word], float]:
        try:
            data: dict[str, list[Any]] = pytesseract.image_to_data(
                image,
                lang=self.languages,
                config="--psm 3",
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
    """Greyscale, EXIF-upright, and scaled up when the scan is small."""
    grey = ImageOps.exif_transpose(image).convert("L")
    short = min(grey.size)
    if 0 < short < _MIN_SHORT_SIDE:
        factor = min(_MAX_UPSCALE, _MIN_SHORT_SIDE / short)
        size = (round(grey.width * factor), round(grey.height * factor))
        grey = grey.resize(size, Image.Resampling.LANCZOS)
    return grey


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
        import numpy as np  # noqa: PLC0415

        rgb = ImageOps.exif_transpose(image).convert("RGB")
        result, _ = self._engine(np.asarray(rgb))
        words: list[Word] = []
        for quad, text, score in result or ():
            words.extend(_line_words(quad, str(text), float(score), rgb.width, rgb.height))
        return PageText(index, rgb.width, rgb.height, reading_order(words), self.name)


def _line_words(
    quad: list[list[float]], text: str, score: float, width: int, height: int
) -> list[Word]:
    """A recognised line split into words, each box cut from the line's in proportion."""
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    per_char = (x1 - x0) / max(len(text), 1)
    words: list[Word] = []
    offset = 0
    for part in text.split(" "):
        if part:
            left = x0 + offset * per_char
            box = (left / width, y0 / height, (left + len(part) * per_char) / width, y1 / height)
            words.append(Word(part, clamp_bbox(box), round(score, 3)))
        offset += len(part) + 1
    return words
