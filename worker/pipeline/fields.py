"""Field extraction on words and layout: the CPU extractor every engine can fall back on.

``extract_fields`` reads the fields of a document type from the pages' words: dates, totals
and currency, identifiers, parties; line items from table rows. Each field carries its
confidence, page, box (the union of the words it came from) and source (the reader of that
page). A field that is not found is left out (the pipeline reports it as null), never guessed.
The PaliGemma engine calls this on its OCR text when a type has no adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.doctypes import DocumentTypeSpec
from core.domain import FieldValue, LineItem, PageText
from core.normalise import normalise
from worker.pipeline import doctype
from worker.pipeline.amounts import amounts_fields
from worker.pipeline.candidates import infer_locale
from worker.pipeline.dates import dates_fields
from worker.pipeline.identifiers import identifier_fields
from worker.pipeline.layout import Document
from worker.pipeline.lineitems import find_line_items
from worker.pipeline.parties import party_fields


def extract_fields(
    pages: Sequence[PageText], spec: DocumentTypeSpec
) -> tuple[Mapping[str, FieldValue], tuple[LineItem, ...]]:
    """The fields and line items of ``spec`` found on ``pages`` (missing ones left out)."""
    document = Document.from_pages([page for page in pages if not page.is_empty])
    if not document.lines:
        return {}, ()
    locale = infer_locale(document.text)
    found: dict[str, FieldValue] = {}
    found.update(party_fields(document))
    found.update(dates_fields(document, locale))
    found.update(amounts_fields(document, locale, has_net="net_amount" in spec.field_index))
    found.update(identifier_fields(document))
    fields = {name: value for name, value in found.items() if _valid(spec, name, value)}
    items = find_line_items(document, locale) if spec.line_item_fields else ()
    return fields, items


def _valid(spec: DocumentTypeSpec, name: str, value: FieldValue) -> bool:
    """Keep fields the type has, and only values that read as their kind."""
    field_spec = spec.field_index.get(name)
    if field_spec is None or value.value is None:
        return False
    return normalise(field_spec.kind, value.value) is not None


def detect_type(
    pages: Sequence[PageText], types: Mapping[str, DocumentTypeSpec]
) -> tuple[str | None, float]:
    """The most likely type among ``types`` and a confidence in 0..1 (``None``: unknown)."""
    return doctype.detect_type(pages, types)
