"""Small typed queries the portal, the API and the exports share.

Document lists use keyset pagination on ``(created_at, id)``: every page is an index range
scan, so page 2,000 of 100,000 documents costs what page 1 costs (an OFFSET would not).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session, joinedload

from core.doctypes import BUILTIN_TYPES, DocumentTypeSpec
from core.domain import EngineInfo, ExtractionResult, RuleResult, fields_from_json
from core.export import DocumentMeta, export_document
from models.documents import Document, DocumentType, Extraction


class BadCursor(ValueError):
    """A pagination cursor that this server did not hand out."""


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    status: str | None = None
    document_type: str | None = None
    filename: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    approved_from: datetime | None = None
    approved_to: datetime | None = None


@dataclass(frozen=True)
class DocumentPage:
    documents: Sequence[Document]
    next_cursor: str | None


def encode_cursor(document: Document) -> str:
    raw = f"{document.created_at.isoformat()}|{document.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, ident = raw.partition("|")
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("The page cursor is not valid; start from the first page.") from None


def filtered_documents(flt: DocumentFilter) -> Select[Document]:
    query = select(Document)
    if flt.status:
        query = query.where(Document.status == flt.status)
    if flt.document_type:
        type_id = select(DocumentType.id).where(DocumentType.name == flt.document_type)
        query = query.where(Document.document_type_id == type_id.scalar_subquery())
    if flt.filename:
        escaped = flt.filename.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        query = query.where(Document.filename.ilike(f"%{escaped}%", escape="\\"))
    if flt.created_from:
        query = query.where(Document.created_at >= flt.created_from)
    if flt.created_to:
        query = query.where(Document.created_at < flt.created_to)
    if flt.approved_from:
        query = query.where(Document.approved_at >= flt.approved_from)
    if flt.approved_to:
        query = query.where(Document.approved_at < flt.approved_to)
    return query


def page_query(flt: DocumentFilter, cursor: str | None, limit: int) -> Select[Document]:
    """Newest first, after ``cursor``; one row more than ``limit`` tells if a page follows."""
    query = filtered_documents(flt)
    if cursor:
        created, ident = decode_cursor(cursor)
        # A row-value comparison is one index range condition; the equivalent OR is not.
        query = query.where(tuple_(Document.created_at, Document.id) < tuple_(created, ident))
    return query.order_by(Document.created_at.desc(), Document.id.desc()).limit(limit + 1)


def list_documents(
    session: Session, flt: DocumentFilter, *, cursor: str | None = None, limit: int = 50
) -> DocumentPage:
    """A page of ``limit`` documents; pass ``next_cursor`` back for the next page."""
    query = page_query(flt, cursor, limit).options(joinedload(Document.document_type))
    rows = list(session.scalars(query))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return DocumentPage(rows[:limit], next_cursor)


def iter_documents(session: Session, flt: DocumentFilter, batch: int = 500) -> Iterator[Document]:
    """Every matching document, oldest first, fetched ``batch`` at a time (for big exports)."""
    query = (
        filtered_documents(flt)
        .options(joinedload(Document.document_type), joinedload(Document.extraction))
        .order_by(Document.created_at, Document.id)
    )
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        key = tuple_(Document.created_at, Document.id)
        page = query if last is None else query.where(key > tuple_(*last))
        rows = list(session.scalars(page.limit(batch)).unique())
        yield from rows
        if len(rows) < batch:
            return
        last = (rows[-1].created_at, rows[-1].id)
        session.expunge_all()  # keep memory flat however many documents there are


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Document.status, func.count()).group_by(Document.status))
    return {status: count for status, count in rows}


def type_spec(session: Session, name: str | None) -> DocumentTypeSpec | None:
    if name is None:
        return None
    row = session.scalar(select(DocumentType).where(DocumentType.name == name))
    return row.to_spec() if row else BUILTIN_TYPES.get(name)


def extraction_result(extraction: Extraction) -> ExtractionResult:
    """The stored extraction as the domain value the export and validation work on."""
    return ExtractionResult(
        document_type=extraction.document_type,
        fields=fields_from_json(extraction.fields),
        line_items=tuple(fields_from_json(item) for item in extraction.line_items),
        validation=tuple(
            RuleResult(
                rule["rule"],
                bool(rule["ok"]),
                rule.get("message", ""),
                tuple(rule.get("fields", ())),
            )
            for rule in extraction.validation
        ),
        engine=EngineInfo(extraction.engine, extraction.engine_version, extraction.adapter),
        type_confidence=extraction.type_confidence,
    )


def document_export(session: Session, document: Document) -> dict[str, Any]:
    """The v1 export of a stored document (its current, reviewed state)."""
    return export_with_spec(document, type_spec(session, document.type_name))


def export_with_spec(document: Document, spec: DocumentTypeSpec | None) -> dict[str, Any]:
    """:func:`document_export` with its type's spec already at hand (batch exports cache it)."""
    meta = DocumentMeta(
        id=str(document.id),
        filename=document.filename,
        sha256=document.sha256,
        pages=document.page_count,
        document_type=document.type_name,
        status=document.status,
    )
    extraction = document.extraction
    result = extraction_result(extraction) if extraction else None
    return export_document(meta, result, spec)
