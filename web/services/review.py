"""Use cases of review: save a reviewer's corrections, approve a document, reopen it.

A save or an approval is one transaction on the locked document row:

1. the document must still be reviewable and still at the ``version`` the reviewer opened
   (optimistic locking: otherwise the answer is a :class:`Conflict` saying what changed);
2. the typed values are normalised by kind (:mod:`core.corrections`); one that cannot be read
   refuses the whole save, with a message per field, and nothing is written;
3. validation runs again on the corrected fields, the review reasons are recomputed, the
   version goes up and a :class:`~models.Review` row keeps who changed what;
4. an approval also records who and when, and the ``document.approved`` event (with the v1
   export, which pushes to accounting systems map) and its webhook deliveries commit with it;
   their outbox messages are published after the request (:func:`web.queue.init_app`).

``extraction.original`` is never touched: an approval's review row holds the diff from the
engine's answer to the approved values, the signal for retraining and the audit trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.corrections import (
    Corrected,
    ItemEdit,
    correct,
    diff,
    is_empty,
    item_values,
    missing_required,
    review_reasons,
    values,
)
from core.doctypes import DocumentTypeSpec
from core.domain import (
    DocumentStatus,
    RuleResult,
    fields_from_json,
    fields_to_json,
    line_items_to_json,
)
from core.validation import validate
from models import Document, Extraction, Review, User, utcnow
from models.outbox import document_summary, record_event
from models.queries import document_export, extraction_result, type_spec
from web.extensions import Services

REVIEWABLE = (DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.EXTRACTED.value)
REOPENED = "reopened"


class DocumentMissing(LookupError):
    """There is no such document."""


@dataclass(frozen=True)
class ReviewBase:
    """The values the reviewer saw when the form was rendered (to explain a conflict)."""

    fields: Mapping[str, str | None]
    line_items: Sequence[Mapping[str, str | None]] = ()


@dataclass(frozen=True)
class ReviewInput:
    version: int
    fields: Mapping[str, str]
    line_items: Sequence[ItemEdit] | None = None  # None: leave the line items as they are
    approve: bool = False
    base: ReviewBase | None = None


@dataclass(frozen=True)
class Saved:
    version: int
    changed: bool


@dataclass(frozen=True)
class Approved:
    version: int
    event_id: uuid.UUID


@dataclass(frozen=True)
class Refused:
    errors: dict[str, str]
    message: str


@dataclass(frozen=True)
class Change:
    field: str
    was: str | None  # what the reviewer saw
    now: str | None  # what is stored now


@dataclass(frozen=True)
class Conflict:
    version: int
    message: str
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class NotReviewable:
    message: str


Outcome = Saved | Approved | Refused | Conflict | NotReviewable


def submit_review(
    services: Services, document_id: uuid.UUID, user_id: int, data: ReviewInput
) -> Outcome:
    """Save (and with ``data.approve``, approve) a reviewer's corrections."""
    with services.database.session() as session:
        return _submit(session, document_id, user_id, data)


def _locked(session: Session, document_id: uuid.UUID) -> Document:
    document = session.get(Document, document_id, with_for_update=True, populate_existing=True)
    if document is None:
        raise DocumentMissing(str(document_id))
    return document


def _submit(session: Session, document_id: uuid.UUID, user_id: int, data: ReviewInput) -> Outcome:
    document = _locked(session, document_id)
    ready = _reviewable(session, document, data)
    if not isinstance(ready, tuple):
        return ready
    extraction, spec = ready
    result = extraction_result(extraction)
    corrected = correct(result.fields, result.line_items, data.fields, data.line_items, spec)
    errors = corrected.errors | (missing_required(corrected.fields, spec) if data.approve else {})
    if errors:
        return Refused(errors, _refusal(errors, data.approve))
    change = diff(result.fields, corrected.fields, result.line_items, corrected.line_items)
    if is_empty(change) and not data.approve:
        return Saved(document.version, changed=False)
    validation = validate(corrected.fields, corrected.line_items, spec)
    _write(extraction, corrected, validation)
    document.review_reasons = review_reasons(
        corrected.fields, validation, spec, document.review_reasons
    )
    document.version += 1
    if data.approve:
        return _approve(session, document, extraction, user_id)
    _add_review(session, document, user_id, "save", change)
    return Saved(document.version, changed=True)


def _reviewable(
    session: Session, document: Document, data: ReviewInput
) -> tuple[Extraction, DocumentTypeSpec] | NotReviewable | Conflict:
    if document.status not in REVIEWABLE:
        return NotReviewable(_not_reviewable(session, document))
    if document.version != data.version:
        return conflict(session, document, data)
    extraction = document.extraction
    spec = type_spec(session, extraction.document_type) if extraction else None
    if extraction is None or spec is None:
        return NotReviewable("This document has no fields to review yet.")
    return extraction, spec


def _refusal(errors: Mapping[str, str], approving: bool) -> str:
    count = len(errors)
    noun = "value needs" if count == 1 else "values need"
    verb = "approved" if approving else "saved"
    return f"Nothing was {verb}: {count} {noun} correcting (see the messages by the fields)."


def _write(extraction: Extraction, corrected: Corrected, validation: Sequence[RuleResult]) -> None:
    extraction.fields = fields_to_json(corrected.fields)
    extraction.line_items = line_items_to_json(corrected.line_items)
    extraction.validation = [rule.to_json() for rule in validation]


def _add_review(
    session: Session, document: Document, user_id: int, action: str, change: dict[str, Any]
) -> None:
    changes = {"version": document.version, **change}
    session.add(Review(document_id=document.id, user_id=user_id, action=action, changes=changes))


def _approve(
    session: Session, document: Document, extraction: Extraction, user_id: int
) -> Approved:
    now = utcnow()
    document.status = DocumentStatus.APPROVED.value
    document.approved_at, document.approved_by_id = now, user_id
    document.review_reasons = []  # a person vouched for every value; nothing is left open
    original = extraction.original or {}
    current = extraction_result(extraction)
    engine_fields = fields_from_json(original.get("fields"))
    engine_items = tuple(fields_from_json(item) for item in original.get("line_items") or [])
    total = diff(engine_fields, current.fields, engine_items, current.line_items)
    _add_review(session, document, user_id, "approve", total)
    session.flush()
    approver = session.get_one(User, user_id)
    payload = document_summary(document) | {
        "approved_at": now.isoformat(),
        "approved_by": approver.email,
        "export": document_export(session, document),
    }
    event = record_event(session, "document.approved", payload, document.id)
    return Approved(document.version, event.id)


def _not_reviewable(session: Session, document: Document) -> str:
    if document.status == DocumentStatus.APPROVED.value and document.approved_at:
        approver = session.get(User, document.approved_by_id) if document.approved_by_id else None
        who = approver.name or approver.email if approver else "someone"
        return f"{who} approved this document at {document.approved_at:%Y-%m-%d %H:%M} UTC."
    status = document.status.replace("_", " ")
    return f"This document is {status}; it can be reviewed once it has been read."


def conflict(session: Session, document: Document, data: ReviewInput) -> Conflict:
    """What changed since the version the reviewer opened, and who changed it."""
    reviews = session.scalars(
        select(Review).where(Review.document_id == document.id).order_by(Review.id.desc()).limit(50)
    )
    newer = [r for r in reviews if int(r.changes.get("version", 0)) > data.version]
    names = []
    for review in reversed(newer):
        user = session.get(User, review.user_id) if review.user_id else None
        name = (user.name or user.email) if user else "someone"
        if name not in names:
            names.append(name)
    who = " and ".join(names) if names else "Someone (or a new reading of the document)"
    message = (
        f"{who} changed this document while you were editing it. Your edits are kept below; "
        "check the fields marked as changed, then save again."
    )
    return Conflict(document.version, message, _changes(document, data.base))


def _changes(document: Document, base: ReviewBase | None) -> list[Change]:
    extraction = document.extraction
    if extraction is None or base is None:
        return []
    now = values(fields_from_json(extraction.fields))
    changes = [
        Change(name, seen, now.get(name))
        for name, seen in base.fields.items()
        if now.get(name) != seen
    ]
    items_now = item_values([fields_from_json(item) for item in extraction.line_items])
    if [dict(item) for item in base.line_items] != items_now:
        changes.append(
            Change("line_items", f"{len(base.line_items)} lines", f"{len(items_now)} lines")
        )
    return changes


def reopen_document(
    services: Services, document_id: uuid.UUID, user_id: int, version: int
) -> Outcome:
    """Send an approved document back to review (to correct it; approving again re-sends it)."""
    with services.database.session() as session:
        document = _locked(session, document_id)
        if document.status != DocumentStatus.APPROVED.value:
            return NotReviewable("Only approved documents can be reopened.")
        if document.version != version:
            return conflict(session, document, ReviewInput(version=version, fields={}))
        document.status = DocumentStatus.NEEDS_REVIEW.value
        document.approved_at, document.approved_by_id = None, None
        reasons = [r for r in document.review_reasons if r != REOPENED]
        document.review_reasons = [*reasons, REOPENED]
        document.version += 1
        _add_review(session, document, user_id, "reopen", {"fields": {}})
        return Saved(document.version, changed=True)
