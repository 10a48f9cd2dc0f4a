"""Field extraction on words and layout: the CPU extractor every engine can fall back on.

Interface for the engines (the PaliGemma engine uses it on its ``ocr`` text when a type has no
adapter yet). First cut: finds nothing, so every field is null and the document goes to review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.doctypes import DocumentTypeSpec
from core.domain import FieldValue, LineItem, PageText


def extract_fields(
    pages: Sequence[PageText], spec: DocumentTypeSpec
) -> tuple[Mapping[str, FieldValue], tuple[LineItem, ...]]:
    """The fields and line items of ``spec`` found on ``pages`` (missing ones left out)."""
    return {}, ()


def detect_type(
    pages: Sequence[PageText], types: Mapping[str, DocumentTypeSpec]
) -> tuple[str | None, float]:
    """The most likely type among ``types`` and a confidence in 0..1 (``None``: unknown)."""
    return (next(iter(types), None), 0.0)
