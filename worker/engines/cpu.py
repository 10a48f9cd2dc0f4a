"""CPU engines: embedded e-invoice XML, the PDF text layer, OCR, and the field extractor on top.

One engine class, :class:`CpuEngine`, configured by how it reads a page:

* ``auto``: the embedded e-invoice XML when allowed and present; otherwise each page's text
  layer when it has one and OCR when it does not (a scanned page inside a digital PDF too).
  Where Tesseract leaves a required field of the type missing, the first and last scanned
  pages get a second look (:class:`SecondLook`) and each field is taken from whichever
  reading is surer of it;
* ``einvoice``: the XML only (a PDF without one gets null fields and says why);
* ``textlayer``: the text layer only; ``tesseract`` / ``rapidocr``: OCR of every page.

Whatever cannot be read (an image-only page without OCR, a page that renders to nothing, a
broken attachment) becomes a ``page_read`` validation message, never an exception.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from PIL import Image

from core.doctypes import DocumentTypeSpec
from core.domain import EngineInfo, ExtractionResult, FieldValue, LineItem, PageText, RuleResult
from core.settings import Settings
from worker.engines.base import Engine, EngineOutput, EngineRequest, EngineUnavailable
from worker.engines.einvoice import EInvoice, EInvoiceError, read_einvoice
from worker.engines.ocr import (
    PSM_ONE_BLOCK,
    OcrLine,
    OcrUnavailable,
    RapidOcrReader,
    TesseractReader,
    second_look,
)
from worker.engines.textlayer import TextLayerError, has_text, read_text_layer
from worker.pipeline.fields import detect_type, extract_fields
from worker.pipeline.source import RenderError, RenderSpec

VERSION = "1.0"
# Reading an invoice when the type is unknown and detection has nothing to go on.
_FALLBACK_TYPE = "invoice"


class Reading(StrEnum):
    AUTO = "auto"
    EINVOICE = "einvoice"
    TEXTLAYER = "textlayer"
    OCR = "ocr"


class PageReader(Protocol):
    """What OCR readers have in common: an image in, the page's words out."""

    @property
    def name(self) -> str: ...

    def read(self, image: Image.Image, index: int) -> PageText: ...


@runtime_checkable
class UprightReader(Protocol):
    """A reader that also hands back the image it read (scaled, turned upright)."""

    def read_upright(self, image: Image.Image, index: int) -> tuple[PageText, Image.Image]: ...


class LineReader(Protocol):
    """A second reader: the text lines of an image, boxes normalised to it."""

    @property
    def name(self) -> str: ...

    def lines(self, image: Image.Image) -> tuple[OcrLine, ...]: ...


class Looker(Protocol):
    """Second opinions on a scanned page: the page read again from its upright image."""

    def again(self, page: PageText, image: Image.Image, one_column: bool) -> Iterator[PageText]:
        """Other readings of ``page``, the cheapest first; each is read only when asked for."""
        ...


# Types printed as one column of text (a till roll), whatever their shape.
ONE_COLUMN_TYPES = frozenset({"receipt"})
# A page Tesseract read with a mean word confidence below this (the level at which it checks a
# page's rotation) is a photo it cannot binarise, not a layout it cut wrongly: reading it again
# as one block only reads more noise, slowly. RapidOCR reads it instead.
_TESSERACT_COULD_READ = 0.6


def _mean_confidence(page: PageText) -> float:
    return statistics.fmean(w.confidence for w in page.words) if page.words else 0.0


class SecondLook:
    """A receipt is one column of text: Tesseract first reads it again as a single block (its
    layout analysis can drop the right-aligned amounts as a region apart). Then, and for pages
    with real columns and boxes at once, RapidOCR reads the lines, laid over Tesseract's words
    where Tesseract saw nothing, was unsure or lost letters (boxed numbers, faint photos,
    letter-spaced titles)."""

    def __init__(self, languages: str, lines: Callable[[], LineReader] | None) -> None:
        self._block = TesseractReader(languages=languages, psm=PSM_ONE_BLOCK)
        self._lines_factory = lines
        self._lines: LineReader | None = None

    def again(self, page: PageText, image: Image.Image, one_column: bool) -> Iterator[PageText]:
        if one_column and _mean_confidence(page) >= _TESSERACT_COULD_READ:
            yield self._block.read_as_is(image, page.index)
        reader = self._line_reader()
        if reader is not None:
            yield second_look(page, reader.lines(image), reader.name)

    def _line_reader(self) -> LineReader | None:
        if self._lines is None and self._lines_factory is not None:
            try:
                self._lines = self._lines_factory()
            except OcrUnavailable:
                self._lines_factory = None  # not installed: Tesseract's reading stands
        return self._lines


# Fields decided together, by the first one's confidence: totals that add up, a party's name
# with its address.
_FIELD_GROUPS = (
    ("total_amount", "net_amount", "tax_amount", "amount_due"),
    ("vendor_name", "vendor_address"),
    ("customer_name", "customer_address"),
)


@dataclass
class Notes:
    """What went wrong while reading, for the document's validation messages."""

    items: list[RuleResult]
    # Upright images of the scanned pages worth a second look (the first and the last).
    scans: dict[int, Image.Image] = field(default_factory=dict)

    def add(self, message: str) -> None:
        self.items.append(RuleResult("page_read", False, message))


class CpuEngine:
    """Reads a document on the CPU and extracts its fields with the layout rules."""

    version = VERSION

    def __init__(
        self,
        name: str,
        reading: Reading,
        ocr: Callable[[], PageReader] | None,
        second: Looker | None = None,
    ) -> None:
        self.name = name
        self._reading = reading
        self._ocr_factory = ocr
        self._ocr: PageReader | None = None
        self._second = second

    def run(self, request: EngineRequest) -> EngineOutput:
        notes = Notes([])
        einvoice = self._einvoice(request, notes)
        pages = self._read_pages(request, notes) if self._reading != Reading.EINVOICE else ()
        if einvoice is not None:
            return EngineOutput(pages, self._einvoice_result(request, einvoice, notes))
        spec, type_confidence = _choose_type(request, pages)
        fields, items = extract_fields(pages, spec)
        if notes.scans and _missing(fields, spec):
            pages, fields, items = self._look_again(pages, spec, (fields, items), notes)
        result = ExtractionResult(
            document_type=spec.name,
            fields=fields,
            line_items=items,
            validation=tuple(notes.items),
            engine=EngineInfo(self.name, self.version),
            type_confidence=type_confidence,
        )
        return EngineOutput(pages, result)

    # -- e-invoice -------------------------------------------------------------------------

    def _einvoice(self, request: EngineRequest, notes: Notes) -> EInvoice | None:
        if self._reading not in (Reading.AUTO, Reading.EINVOICE) or not _xml_allowed(request):
            return None
        if not request.document.is_pdf:
            if self._reading == Reading.EINVOICE:
                notes.add("the document is an image; only PDFs carry e-invoice XML")
            return None
        try:
            found = read_einvoice(request.document.path)
        except EInvoiceError as error:
            notes.add(f"the embedded e-invoice XML was ignored: {error}")
            return None
        if found is None and self._reading == Reading.EINVOICE:
            notes.add("the PDF carries no e-invoice XML (ZUGFeRD, Factur-X, XRechnung)")
        return found

    def _einvoice_result(
        self, request: EngineRequest, einvoice: EInvoice, notes: Notes
    ) -> ExtractionResult:
        spec = (
            request.spec or request.types.get(_FALLBACK_TYPE) or next(iter(request.types.values()))
        )
        return ExtractionResult(
            document_type=spec.name,
            fields=einvoice.fields,
            line_items=einvoice.line_items,
            validation=tuple(notes.items),
            engine=EngineInfo("einvoice", self.version, None),
            type_confidence=1.0,
        )

    # -- pages -----------------------------------------------------------------------------

    def _read_pages(self, request: EngineRequest, notes: Notes) -> tuple[PageText, ...]:
        document = request.document
        layer = self._text_layer(request, notes) if document.is_pdf else ()
        pages: list[PageText] = []
        for index in range(document.page_count):
            page = layer[index] if index < len(layer) else None
            if self._reading == Reading.OCR or page is None or not has_text(page):
                page = self._ocr_page(request, index, notes, page)
            pages.append(page)
            request.progress(index + 1, document.page_count)
            if page.is_empty:
                notes.add(f"page {index + 1}: no text found (a blank page, or only pictures)")
        return tuple(pages)

    def _text_layer(self, request: EngineRequest, notes: Notes) -> tuple[PageText, ...]:
        if self._reading == Reading.OCR:
            return ()
        try:
            return read_text_layer(request.document.path)
        except TextLayerError as error:
            notes.add(str(error))
            return ()

    def _ocr_page(
        self, request: EngineRequest, index: int, notes: Notes, fallback: PageText | None
    ) -> PageText:
        empty = fallback or PageText(index, 0, 0, (), "none")
        reader = self._reader()
        if reader is None:
            if self._reading == Reading.TEXTLAYER and request.document.is_pdf is False:
                notes.add("the document is an image and this engine reads text layers only")
            return empty
        try:
            image = request.document.render(index, RenderSpec(dpi=request.options.ocr_dpi))
            if self._second is None or not isinstance(reader, UprightReader):
                return reader.read(image, index)
            page, upright = reader.read_upright(image, index)
            if index in (0, request.document.page_count - 1):
                notes.scans[index] = upright
            return page
        except RenderError as error:
            notes.add(str(error))
        except OcrUnavailable as error:
            if self._reading == Reading.OCR:
                raise EngineUnavailable(str(error)) from None
            notes.add(f"page {index + 1} needs OCR, which is unavailable: {error}")
        return empty

    def _reader(self) -> PageReader | None:
        if self._ocr is None and self._ocr_factory is not None:
            self._ocr = self._ocr_factory()
        return self._ocr

    # -- second look -----------------------------------------------------------------------

    def _look_again(
        self,
        pages: tuple[PageText, ...],
        spec: DocumentTypeSpec,
        found: tuple[Mapping[str, FieldValue], tuple[LineItem, ...]],
        notes: Notes,
    ) -> tuple[tuple[PageText, ...], Mapping[str, FieldValue], tuple[LineItem, ...]]:
        """Read the kept scans again, one kind of reading at a time while a required field is
        still missing; keep, field by field, the surer reading."""
        fields, items = found
        if self._second is None:
            return pages, fields, items
        one_column = spec.name in ONE_COLUMN_TYPES
        looks = {
            position: self._second.again(page, notes.scans[page.index], one_column)
            for position, page in enumerate(pages)
            if page.index in notes.scans
        }
        looked = list(pages)
        while looks and _missing(fields, spec):
            changed = False
            for position in list(looks):
                again = self._next_look(looks, position, notes)
                if again is not None and again != looked[position]:
                    looked[position], changed = again, True
            if changed:
                new_fields, new_items = extract_fields(looked, spec)
                fields, items = surer_fields(fields, new_fields), items or new_items
        return tuple(looked), fields, items

    @staticmethod
    def _next_look(
        looks: dict[int, Iterator[PageText]], position: int, notes: Notes
    ) -> PageText | None:
        try:
            return next(looks[position])
        except StopIteration:
            pass
        except Exception as error:  # a second opinion that fails leaves the first one
            notes.add(f"the second OCR reading failed: {error}")
        del looks[position]
        return None


def _missing(fields: Mapping[str, FieldValue], spec: DocumentTypeSpec) -> bool:
    """Whether a required field of the type is missing (the case a second look pays for: on
    the development scans, re-reading fields found with a low confidence changed nothing)."""
    return any(name not in fields for name in spec.required_fields)


def surer_fields(
    first: Mapping[str, FieldValue], second: Mapping[str, FieldValue]
) -> dict[str, FieldValue]:
    """Each field from whichever reading is surer of it (the first on a tie); totals and a
    party's name and address go together, decided by the total's or the name's confidence."""
    chosen = dict(first)
    grouped = {name for group in _FIELD_GROUPS for name in group}
    for group in _FIELD_GROUPS:
        if _surer(first.get(group[0]), second.get(group[0])):
            for name in group:
                chosen.pop(name, None)
                if name in second:
                    chosen[name] = second[name]
        elif group[0] not in first and group[0] not in second:
            grouped.difference_update(group)
    for name, value in second.items():
        if name not in grouped and _surer(first.get(name), value):
            chosen[name] = value
    return chosen


def _surer(first: FieldValue | None, second: FieldValue | None) -> bool:
    """Whether ``second`` is a better answer than ``first``."""
    if second is None or second.value is None:
        return False
    return first is None or first.value is None or second.confidence > first.confidence


def _xml_allowed(request: EngineRequest) -> bool:
    if request.options.ignore_embedded_xml:
        return False
    spec = request.spec or request.types.get(_FALLBACK_TYPE)
    return spec is None or spec.use_embedded_xml


def _choose_type(
    request: EngineRequest, pages: tuple[PageText, ...]
) -> tuple[DocumentTypeSpec, float]:
    if request.spec is not None:
        return request.spec, 1.0
    name, confidence = detect_type(pages, request.types)
    spec = request.types.get(name or _FALLBACK_TYPE) or next(iter(request.types.values()))
    return spec, confidence


# ---------------------------------------------------------------------------------------------
# Factories named in worker.engines.registry


def _tesseract(settings: Settings) -> Callable[[], PageReader]:
    return lambda: TesseractReader(languages=settings.ocr_languages)


def _ocr_for(settings: Settings) -> Callable[[], PageReader]:
    return RapidOcrReader if settings.ocr_engine == "rapidocr" else _tesseract(settings)


def _second_for(settings: Settings) -> Looker | None:
    """A second look where Tesseract read first (RapidOCR is no second opinion on itself)."""
    if not settings.ocr_second_look or settings.ocr_engine == "rapidocr":
        return None
    return SecondLook(settings.ocr_languages, RapidOcrReader)


def build_auto(settings: Settings) -> Engine:
    return CpuEngine("auto", Reading.AUTO, _ocr_for(settings), _second_for(settings))


def build_einvoice(settings: Settings) -> Engine:
    return CpuEngine("einvoice", Reading.EINVOICE, None)


def build_textlayer(settings: Settings) -> Engine:
    return CpuEngine("textlayer", Reading.TEXTLAYER, None)


def build_tesseract(settings: Settings) -> Engine:
    return CpuEngine("tesseract", Reading.OCR, _tesseract(settings))


def build_rapidocr(settings: Settings) -> Engine:
    try:
        return CpuEngine("rapidocr", Reading.OCR, RapidOcrReader)
    except OcrUnavailable as error:
        raise EngineUnavailable(str(error)) from None
