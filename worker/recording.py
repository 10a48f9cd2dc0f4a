"""Writing a read document's outcome: pages, extraction, status, events, in one transaction."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.domain import (
    DocumentStatus,
    ExtractionResult,
    PageText,
    fields_to_json,
    line_items_to_json,
)
from models import Database, Document, DocumentType, Extraction, Page, utcnow
from models.outbox import PROCESS_DOCUMENT, READ_ON_GPU, complete, document_summary, record_event
from worker.engines.base import EngineOutput
from worker.previews import Preview

DUPLICATE_PREFIX = "duplicate_of:"


def _claimed(session: Session, document_id: uuid.UUID, attempt: int) -> Document | None:
    """The document, locked, if it is still in the attempt that this worker claimed."""
    document = session.get(Document, document_id, with_for_update=True, populate_existing=True)
    if document is None or document.status != DocumentStatus.PROCESSING.value:
        return None
    return document if document.attempts == attempt else None


def record_failure(database: Database, document_id: uuid.UUID, attempt: int, reason: str) -> None:
    with database.session() as session:
        document = _claimed(session, document_id, attempt)
        if document is None:
            return
        document.status = DocumentStatus.FAILED.value
        document.error = reason
        document.heartbeat_at = None
        document.progress = {}
        document.processed_at = utcnow()
        _finish(session, document, "document.failed")


def record_result(
    database: Database,
    document_id: uuid.UUID,
    attempt: int,
    *,
    output: EngineOutput,
    previews: list[Preview],
    duration_ms: int,
) -> str:
    with database.session() as session:
        document = _claimed(session, document_id, attempt)
        if document is None:
            return "discarded: another worker took over"
        result = output.result
        session.execute(delete(Page).where(Page.document_id == document_id))
        session.execute(delete(Extraction).where(Extraction.document_id == document_id))
        session.add_all(_pages(document_id, output.pages, previews))
        session.add(_extraction(document_id, result, duration_ms))
        document.document_type_id = session.scalar(
            select(DocumentType.id).where(DocumentType.name == result.document_type)
        )
        document.dedupe_key = dedupe_key(result)
        reasons = [*result.review_reasons, *_duplicate_reasons(session, document)]
        document.review_reasons = reasons
        status = DocumentStatus.NEEDS_REVIEW if reasons else DocumentStatus.EXTRACTED
        document.status = status.value
        document.heartbeat_at = None
        document.progress = {}
        document.processed_at = utcnow()
        session.flush()
        _finish(session, document, f"document.{document.status}")
        return document.status


def _finish(session: Session, document: Document, event_type: str) -> None:
    complete(session, PROCESS_DOCUMENT, document.id)
    complete(session, READ_ON_GPU, document.id)
    session.refresh(document, ["document_type"])
    record_event(session, event_type, document_summary(document), document.id)


def _pages(
    document_id: uuid.UUID, texts: tuple[PageText, ...], previews: list[Preview]
) -> list[Page]:
    by_index = {page.index: page for page in texts}
    rows = []
    for preview in previews:
        text = by_index.get(preview.index)
        words = [[w.text, *w.bbox, round(w.confidence, 3)] for w in text.words] if text else []
        rows.append(
            Page(
                document_id=document_id,
                index=preview.index,
                width=preview.width,
                height=preview.height,
                image_key=preview.key,
                source=text.source if text else "",
                text=text.text if text else "",
                words=words,
            )
        )
    return rows


def _extraction(document_id: uuid.UUID, result: ExtractionResult, duration_ms: int) -> Extraction:
    fields = fields_to_json(result.fields)
    items = line_items_to_json(result.line_items)
    return Extraction(
        document_id=document_id,
        document_type=result.document_type,
        type_confidence=result.type_confidence,
        engine=result.engine.name,
        engine_version=result.engine.version,
        adapter=result.engine.adapter,
        fields=fields,
        line_items=items,
        validation=[rule.to_json() for rule in result.validation],
        original={"fields": fields, "line_items": items},
        duration_ms=duration_ms,
    )


def _normal(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def dedupe_key(result: ExtractionResult) -> str | None:
    """ "type|vendor|number", normalised; ``None`` unless both vendor and number were read."""
    vendor, number = result.value("vendor_name"), result.value("invoice_number")
    if not vendor or not number:
        return None
    return f"{result.document_type}|{_normal(vendor)}|{_normal(number)}"


def _duplicate_reasons(session: Session, document: Document) -> list[str]:
    if document.dedupe_key is None:
        return []
    other = session.scalar(
        select(Document.id)
        .where(Document.dedupe_key == document.dedupe_key, Document.id != document.id)
        .order_by(Document.created_at)
        .limit(1)
    )
    return [f"{DUPLICATE_PREFIX}{other}"] if other else []
