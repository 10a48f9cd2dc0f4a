"""Rows every install starts with: the built-in document types."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.doctypes import BUILTIN_TYPES, DocumentTypeSpec
from models.documents import DocumentType


def document_type_row(spec: DocumentTypeSpec, label: str = "") -> DocumentType:
    return DocumentType(
        name=spec.name,
        label=label or spec.name.capitalize(),
        fields=[field.to_json() for field in spec.fields],
        line_item_fields=[field.to_json() for field in spec.line_item_fields],
        engine=spec.engine,
        prompt=spec.prompt,
        review_threshold=spec.review_threshold,
        use_embedded_xml=spec.use_embedded_xml,
    )


def seed_document_types(session: Session) -> list[str]:
    """Add the built-in types that are missing; never overwrite an admin's edits."""
    existing = set(session.scalars(select(DocumentType.name)))
    added = [name for name in BUILTIN_TYPES if name not in existing]
    session.add_all(document_type_row(BUILTIN_TYPES[name]) for name in added)
    return added
