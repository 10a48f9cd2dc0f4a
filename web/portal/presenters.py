"""View models: what templates show of a document, computed once in Python, not in Jinja."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from core.doctypes import DocumentTypeSpec, FieldSpec
from core.domain import TERMINAL_STATUSES, DocumentStatus
from models import Document
from models.queries import type_spec

REASON_TEXT = {
    "missing": "{field} was not found",
    "low_confidence": "{field} was read with low confidence",
    "rule": "validation failed: {field}",
    "duplicate_of": "possible duplicate of another document",
    "uncertain_type": "the document type is uncertain",
}


@dataclass(frozen=True)
class FieldView:
    name: str
    title: str
    value: str | None
    confidence: float
    page: int | None
    bbox: list[float] | None
    source: str | None
    low: bool


@dataclass(frozen=True)
class PageView:
    index: int
    url: str
    width: int
    height: int
    boxes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentView:
    id: str
    filename: str
    status: str
    is_done: bool
    document_type: str | None
    created_at: datetime
    processed_at: datetime | None
    page_count: int
    error: str | None
    reasons: list[str]
    fields: list[FieldView]
    line_items: list[list[FieldView]]
    line_item_titles: list[str]
    validation: list[dict[str, Any]]
    pages: list[PageView]
    engine: str | None
    version: int
    duplicate_of: str | None
    progress: dict[str, Any]


def describe_reason(reason: str) -> str:
    kind, _, subject = reason.partition(":")
    template = REASON_TEXT.get(kind, reason)
    return template.format(field=subject.replace("_", " "))


def _field_views(
    values: dict[str, Any], specs: tuple[FieldSpec, ...], threshold: float
) -> list[FieldView]:
    names = [spec.name for spec in specs] or list(values)
    titles = {spec.name: spec.title for spec in specs}
    views = []
    for name in names:
        data = values.get(name) or {}
        value = data.get("value")
        confidence = float(data.get("confidence") or 0.0)
        views.append(
            FieldView(
                name=name,
                title=titles.get(name, name),
                value=value,
                confidence=confidence,
                page=data.get("page"),
                bbox=data.get("bbox"),
                source=data.get("source"),
                low=value is not None and confidence < threshold,
            )
        )
    return views


def _page_views(document: Document, fields: list[FieldView]) -> list[PageView]:
    views = []
    for page in document.pages:
        boxes = [
            {"field": f.name, "title": f.title, "bbox": f.bbox, "low": f.low}
            for f in fields
            if f.bbox and f.page == page.index + 1
        ]
        views.append(
            PageView(
                index=page.index,
                url=url_for("portal.page_image", document_id=document.id, index=page.index),
                width=page.width,
                height=page.height,
                boxes=boxes,
            )
        )
    return views


def document_view(session: Session, document: Document) -> DocumentView:
    type_name = document.type_name
    spec: DocumentTypeSpec | None = type_spec(session, type_name)
    extraction = document.extraction
    threshold = spec.review_threshold if spec else 0.6
    fields = (
        _field_views(extraction.fields, spec.fields if spec else (), threshold)
        if extraction
        else []
    )
    item_specs = spec.line_item_fields if spec else ()
    items = (
        [_field_views(item, item_specs, threshold) for item in extraction.line_items]
        if extraction
        else []
    )
    duplicate = next(
        (r.partition(":")[2] for r in document.review_reasons if r.startswith("duplicate_of:")),
        None,
    )
    return DocumentView(
        id=str(document.id),
        filename=document.filename,
        status=document.status,
        is_done=DocumentStatus(document.status) in TERMINAL_STATUSES,
        document_type=type_name,
        created_at=document.created_at,
        processed_at=document.processed_at,
        page_count=document.page_count,
        error=document.error,
        reasons=[describe_reason(reason) for reason in document.review_reasons],
        fields=fields,
        line_items=items,
        line_item_titles=[s.title for s in item_specs],
        validation=list(extraction.validation) if extraction else [],
        pages=_page_views(document, fields),
        engine=f"{extraction.engine} {extraction.engine_version}" if extraction else None,
        version=document.version,
        duplicate_of=duplicate,
        progress=dict(document.progress or {}),
    )
