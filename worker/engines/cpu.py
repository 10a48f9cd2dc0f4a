"""CPU engines: read a PDF's text layer (and, later, OCR) and find fields on the words.

First cut: the text layer is read with pdfium; field extraction is not wired yet, so every field
is null and the pipeline sends the document to review.
"""

from __future__ import annotations

import pypdfium2 as pdfium

from core.domain import EngineInfo, ExtractionResult, PageText, Word, clamp_bbox
from core.settings import Settings
from worker.engines.base import Engine, EngineOutput, EngineRequest

VERSION = "0.1"


def read_text_layer(request: EngineRequest) -> tuple[PageText, ...]:
    if not request.document.is_pdf:
        return ()
    pdf = pdfium.PdfDocument(request.document.path)
    try:
        return tuple(_read_page(pdf[i], i) for i in range(len(pdf)))
    finally:
        pdf.close()


def _read_page(page: pdfium.PdfPage, index: int) -> PageText:
    width, height = page.get_size()
    textpage = page.get_textpage()
    words: list[Word] = []
    for rect_index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(rect_index)
        text = textpage.get_text_bounded(left, bottom, right, top).strip()
        if text:
            box = (left / width, 1 - top / height, right / width, 1 - bottom / height)
            words.extend(Word(part, clamp_bbox(box)) for part in text.split())
    return PageText(index=index, width=width, height=height, words=tuple(words), source="textlayer")


class TextLayerEngine:
    name = "textlayer"
    version = VERSION

    def run(self, request: EngineRequest) -> EngineOutput:
        spec = request.spec or next(iter(request.types.values()))
        pages = read_text_layer(request)
        result = ExtractionResult(
            document_type=spec.name,
            fields={},
            engine=EngineInfo(self.name, self.version),
        )
        return EngineOutput(pages=pages, result=result)


def build_textlayer(settings: Settings) -> Engine:
    return TextLayerEngine()


build_auto = build_textlayer
build_tesseract = build_textlayer
build_rapidocr = build_textlayer
