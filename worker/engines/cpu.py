"""CPU engines: embedded e-invoice XML, the PDF text layer, OCR, and the field extractor on top.

One engine class, :class:`CpuEngine`, configured by how it reads a page:

* ``auto``: the embedded e-invoice XML when allowed and present; otherwise each page's text
  layer when it has one and OCR when it does not (a scanned page inside a digital PDF too);
* ``einvoice``: the XML only (a PDF without one gets null fields and says why);
* ``textlayer``: the text layer only; ``tesseract`` / ``rapidocr``: OCR of every page.

Whatever cannot be read (an image-only page without OCR, a page that renders to nothing, a
broken attachment) becomes a ``page_read`` validation message, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from PIL import Image

from core.doctypes import DocumentTypeSpec
from core.domain import EngineInfo, ExtractionResult, PageText, RuleResult
from core.settings import Settings
from worker.engines.base import Engine, EngineOutput, EngineRequest, EngineUnavailable
from worker.engines.einvoice import EInvoice, EInvoiceError, read_einvoice
from worker.engines.ocr import OcrUnavailable, RapidOcrReader, TesseractReader
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


@dataclass
class Notes:
    """What went wrong while reading, for the document's validation messages."""

    items: list[RuleResult]

    def add(self, message: str) -> None:
        self.items.append(RuleResult("page_read", False, message))


class CpuEngine:
    """Reads a document on the CPU and extracts its fields with the layout rules."""

    version = VERSION

    def __init__(self, name: str, reading: Reading, ocr: Callable[[], PageReader] | None) -> None:
        self.name = name
        self._reading = reading
        self._ocr_factory = ocr
        self._ocr: PageReader | None = None

    def run(self, request: EngineRequest) -> EngineOutput:
        notes = Notes([])
        einvoice = self._einvoice(request, notes)
        pages = self._read_pages(request, notes) if self._reading != Reading.EINVOICE else ()
        if einvoice is not None:
            return EngineOutput(pages, self._einvoice_result(request, einvoice, notes))
        spec, type_confidence = _choose_type(request, pages)
        fields, items = extract_fields(pages, spec)
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
            return reader.read(image, index)
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


def build_auto(settings: Settings) -> Engine:
    return CpuEngine("auto", Reading.AUTO, _ocr_for(settings))


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
