"""The review page's view model: inputs with their values, boxes, checks and errors.

Built from the stored extraction, or, when a save was refused or ran into a conflict, from what
the reviewer typed, so nothing typed is lost. Page boxes carry ``data-field`` keys that match
the inputs' containers (``total_amount``, ``items.2.unit_price``), which is how clicking one
highlights the other (``static/js/app.js``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.corrections import ItemEdit, item_values, values
from core.doctypes import FieldKind, FieldSpec
from core.domain import MISSING, FieldValue, fields_from_json
from models import Document, Review, User
from models.queries import type_spec
from web.portal.presenters import DocumentView, PageView, describe_reason, document_view
from web.review.forms import base_json
from web.services.review import REVIEWABLE, Conflict, Refused, ReviewInput

MULTILINE = frozenset({FieldKind.ADDRESS})


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str


@dataclass(frozen=True)
class FieldInput:
    key: str
    name: str
    title: str
    kind: str
    required: bool
    value: str
    engine_value: str | None
    confidence: float
    source: str | None
    low: bool
    error: str | None = None
    checks: list[Check] = field(default_factory=list)
    changed_to: str | None = None  # someone else's value, after a conflict
    multiline: bool = False

    @property
    def edited(self) -> bool:
        return self.source == "review"


@dataclass(frozen=True)
class RowInput:
    index: int
    origin: int | None
    cells: list[FieldInput]


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    action: str
    summary: str


@dataclass(frozen=True)
class ReviewPage:
    doc: DocumentView
    fields: list[FieldInput]
    item_titles: list[str]
    rows: list[RowInput]
    blank_row: RowInput
    has_items: bool
    general_checks: list[Check]
    pages: list[PageView]
    version: int
    base: str
    confidence: float | None
    type_confidence: float | None
    editable: bool
    history: list[HistoryEntry]
    reasons: list[tuple[str, str]]
    message: str | None = None
    conflict: Conflict | None = None


def review_page(
    session: Session,
    document: Document,
    *,
    submitted: ReviewInput | None = None,
    refused: Refused | None = None,
    conflict: Conflict | None = None,
) -> ReviewPage:
    extraction = document.extraction
    spec = type_spec(session, extraction.document_type if extraction else None)
    stored = fields_from_json(extraction.fields) if extraction else {}
    items = [fields_from_json(item) for item in extraction.line_items] if extraction else []
    engine = fields_from_json((extraction.original or {}).get("fields")) if extraction else {}
    rules = list(extraction.validation) if extraction else []
    errors = refused.errors if refused else {}
    specs = spec.fields if spec else ()
    threshold = spec.review_threshold if spec else 0.6
    ctx = _Context(_typed_values(submitted, stored, conflict), errors, rules, engine, threshold)
    inputs = [_field_input(s, stored.get(s.name, MISSING), ctx) for s in specs]
    if conflict:
        inputs = _mark_conflicts(inputs, conflict)
    item_specs = spec.line_item_fields if spec else ()
    rows = _rows(items, item_specs, submitted, ctx)
    found = [f.confidence for f in stored.values() if f.value is not None]
    return ReviewPage(
        doc=document_view(session, document),
        fields=inputs,
        item_titles=[s.title for s in item_specs],
        rows=rows,
        blank_row=_blank_row(len(rows), item_specs),
        has_items=bool(item_specs),
        general_checks=[Check(r["ok"], r["message"]) for r in rules if not r.get("fields")],
        pages=_pages(document, specs, stored, items, threshold),
        version=document.version,
        base=base_json(values(stored), item_values(items)),
        confidence=sum(found) / len(found) if found else None,
        type_confidence=extraction.type_confidence if extraction else None,
        editable=document.status in REVIEWABLE and spec is not None,
        history=_history(session, document),
        reasons=[(r, describe_reason(r)) for r in document.review_reasons],
        message=refused.message if refused else None,
        conflict=conflict,
    )


def _typed_values(
    submitted: ReviewInput | None, stored: Mapping[str, FieldValue], conflict: Conflict | None
) -> dict[str, str]:
    """What the inputs show: the stored values, overlaid with what the reviewer typed.

    After a conflict only the reviewer's own edits are kept (fields they changed from what
    they saw); everything else shows the newly stored values.
    """
    shown = {name: found.value or "" for name, found in stored.items()}
    if submitted is None:
        return shown
    seen = submitted.base.fields if submitted.base and conflict else None
    for name, typed in submitted.fields.items():
        if seen is None or typed.strip() != (seen.get(name) or ""):
            shown[name] = typed
    return shown


@dataclass(frozen=True)
class _Context:
    typed: Mapping[str, str]
    errors: Mapping[str, str]
    rules: Sequence[Mapping[str, Any]]
    engine: Mapping[str, FieldValue]
    threshold: float


def _field_input(spec: FieldSpec, found: FieldValue, ctx: _Context) -> FieldInput:
    checks = [Check(r["ok"], r["message"]) for r in ctx.rules if spec.name in r.get("fields", ())]
    return FieldInput(
        key=spec.name,
        name=f"field-{spec.name}",
        title=spec.title,
        kind=spec.kind.value,
        required=spec.required,
        value=ctx.typed.get(spec.name, found.value or ""),
        engine_value=ctx.engine.get(spec.name, MISSING).value,
        confidence=found.confidence,
        source=found.source or None,
        low=found.value is not None and found.confidence < ctx.threshold,
        error=ctx.errors.get(spec.name),
        checks=checks,
        multiline=spec.kind in MULTILINE,
    )


def _mark_conflicts(inputs: list[FieldInput], conflict: Conflict) -> list[FieldInput]:
    theirs = {change.field: change.now for change in conflict.changes}
    return [
        replace(i, changed_to=theirs[i.key] or "(empty)") if i.key in theirs else i for i in inputs
    ]


def _rows(
    items: Sequence[Mapping[str, FieldValue]],
    specs: Sequence[FieldSpec],
    submitted: ReviewInput | None,
    ctx: _Context,
) -> list[RowInput]:
    if submitted is not None and submitted.line_items is not None:
        edits = list(submitted.line_items)
    else:
        edits = [
            ItemEdit({n: f.value or "" for n, f in item.items()}, i) for i, item in enumerate(items)
        ]
    rows = []
    for index, edit in enumerate(edits):
        stored = items[edit.origin] if edit.origin is not None and edit.origin < len(items) else {}
        cells = [
            _cell(index, s, stored.get(s.name, MISSING), edit.values.get(s.name, ""), ctx)
            for s in specs
        ]
        rows.append(RowInput(index, edit.origin, cells))
    return rows


def _cell(row: int, spec: FieldSpec, found: FieldValue, typed: str, ctx: _Context) -> FieldInput:
    key = f"items.{row}.{spec.name}"
    return FieldInput(
        key=key,
        name=f"item-{row}-{spec.name}",
        title=spec.title,
        kind=spec.kind.value,
        required=False,
        value=typed,
        engine_value=None,
        confidence=found.confidence,
        source=found.source or None,
        low=found.value is not None and found.confidence < ctx.threshold,
        error=ctx.errors.get(key),
    )


def _blank_row(index: int, specs: Sequence[FieldSpec]) -> RowInput:
    ctx = _Context({}, {}, (), {}, 0.0)
    cells = [_cell(index, s, MISSING, "", ctx) for s in specs]
    return RowInput(index, None, cells)


def _pages(
    document: Document,
    specs: Sequence[FieldSpec],
    stored: Mapping[str, FieldValue],
    items: Sequence[Mapping[str, FieldValue]],
    threshold: float,
) -> list[PageView]:
    titles = {s.name: s.title for s in specs}
    located = [(name, titles.get(name, name), found) for name, found in stored.items()]
    for row, item in enumerate(items):
        located += [(f"items.{row}.{n}", f"Line {row + 1}: {n}", f) for n, f in item.items()]
    views = []
    for page in document.pages:
        boxes = [
            {"field": key, "title": title, "bbox": f.bbox, "low": f.confidence < threshold}
            for key, title, f in located
            if f.bbox and f.page == page.index + 1
        ]
        url = url_for("portal.page_image", document_id=document.id, index=page.index)
        views.append(PageView(page.index, url, page.width, page.height, boxes))
    return views


def _history(session: Session, document: Document) -> list[HistoryEntry]:
    rows = session.execute(
        select(Review, User)
        .outerjoin(User, User.id == Review.user_id)
        .where(Review.document_id == document.id)
        .order_by(Review.id.desc())
        .limit(20)
    ).all()
    return [
        HistoryEntry(
            review.created_at,
            (user.name or user.email) if user else "someone",
            review.action,
            _summary(review.changes),
        )
        for review, user in rows
    ]


def _summary(changes: Mapping[str, Any]) -> str:
    names = [name.replace("_", " ") for name in changes.get("fields", {})]
    if "line_items" in changes:
        names.append("line items")
    return ", ".join(names) if names else "no changes"
