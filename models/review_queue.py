"""The review queue: documents waiting for a person, oldest first, filtered by reason.

Keyset pagination on ``(created_at, id)`` ascending, within ``status = 'needs_review'``: every
page is a range scan of ``ix_documents_status_created``, however long the queue is.

Reasons are strings such as ``missing:total_amount`` or ``duplicate_of:<uuid>``. A filter is
either a whole reason or a kind (the part before the colon), matched in the JSON text of the
list, which reads the same on PostgreSQL (jsonb) and SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, func, select, tuple_
from sqlalchemy.orm import Session, joinedload

from core.domain import DocumentStatus
from models.documents import Document
from models.queries import DocumentFilter, decode_cursor, encode_cursor, filtered_documents

REASON_KINDS = ("missing", "low_confidence", "rule", "duplicate_of", "uncertain_type")
_REASON = re.compile(r"^[a-z_]+(:[A-Za-z0-9_.\-]+)?$")


class BadReason(ValueError):
    """A reason filter that is not a reason."""


@dataclass(frozen=True, slots=True)
class QueueFilter:
    document_type: str | None = None
    reason: str | None = None  # "missing" (a kind) or "missing:total_amount" (one reason)


@dataclass(frozen=True)
class QueuePage:
    documents: Sequence[Document]
    next_cursor: str | None


def _reason_pattern(reason: str) -> str:
    """A LIKE pattern for ``reason`` inside the JSON text of the reasons list."""
    if not _REASON.match(reason):
        raise BadReason(f"{reason!r} is not a review reason.")
    escaped = reason.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    # A kind matches any reason of that kind; a full reason only itself.
    closing = ":" if ":" not in reason and reason != "uncertain_type" else '"'
    return f'%"{escaped}{closing}%'


def queue_query(flt: QueueFilter) -> Select[Document]:
    status = DocumentStatus.NEEDS_REVIEW.value
    query = filtered_documents(DocumentFilter(status=status, document_type=flt.document_type))
    if flt.reason:
        text = cast(Document.review_reasons, String)
        query = query.where(text.like(_reason_pattern(flt.reason), escape="\\"))
    return query


def review_queue(
    session: Session, flt: QueueFilter, *, cursor: str | None = None, limit: int = 50
) -> QueuePage:
    """Oldest first, after ``cursor``; pass ``next_cursor`` back for the next page."""
    query = queue_query(flt).options(joinedload(Document.document_type))
    if cursor:
        created, ident = decode_cursor(cursor)
        query = query.where(tuple_(Document.created_at, Document.id) > tuple_(created, ident))
    query = query.order_by(Document.created_at, Document.id).limit(limit + 1)
    rows = list(session.scalars(query))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return QueuePage(rows[:limit], next_cursor)


def queue_size(session: Session, flt: QueueFilter) -> int:
    counted = select(func.count()).select_from(queue_query(flt).subquery())
    return session.scalar(counted) or 0


def next_in_queue(session: Session, after: Document) -> Document | None:
    """The oldest document waiting after ``after`` (or before it, if it was the last)."""
    base = queue_query(QueueFilter()).where(Document.id != after.id)
    key = tuple_(Document.created_at, Document.id)
    later = base.where(key > tuple_(after.created_at, after.id))
    order = (Document.created_at, Document.id)
    return session.scalar(later.order_by(*order).limit(1)) or session.scalar(
        base.order_by(*order).limit(1)
    )
