"""Domain value types shared by every layer: words on a page, extracted fields, results.

These are plain frozen dataclasses with no dependency on Flask, Celery, SQLAlchemy or torch,
so that the pipeline stages can be pure functions over them. Coordinates are always normalised
to the page: ``(x0, y0, x1, y1)`` in ``0..1`` with the origin at the top left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

BBox = tuple[float, float, float, float]


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    EXTRACTED = "extracted"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"
    APPROVED = "approved"


# The status machine. Reprocessing sends a finished document back to the queue.
TRANSITIONS: Mapping[DocumentStatus, frozenset[DocumentStatus]] = {
    DocumentStatus.QUEUED: frozenset({DocumentStatus.PROCESSING, DocumentStatus.FAILED}),
    DocumentStatus.PROCESSING: frozenset(
        {
            DocumentStatus.QUEUED,  # a lost worker: the sweeper puts it back
            DocumentStatus.EXTRACTED,
            DocumentStatus.NEEDS_REVIEW,
            DocumentStatus.FAILED,
        }
    ),
    DocumentStatus.EXTRACTED: frozenset(
        {DocumentStatus.APPROVED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.QUEUED}
    ),
    DocumentStatus.NEEDS_REVIEW: frozenset(
        {DocumentStatus.APPROVED, DocumentStatus.EXTRACTED, DocumentStatus.QUEUED}
    ),
    DocumentStatus.FAILED: frozenset({DocumentStatus.QUEUED}),
    DocumentStatus.APPROVED: frozenset({DocumentStatus.NEEDS_REVIEW, DocumentStatus.QUEUED}),
}

TERMINAL_STATUSES = frozenset(
    {
        DocumentStatus.EXTRACTED,
        DocumentStatus.NEEDS_REVIEW,
        DocumentStatus.FAILED,
        DocumentStatus.APPROVED,
    }
)


def can_transition(current: DocumentStatus, target: DocumentStatus) -> bool:
    return target in TRANSITIONS[current]


def clamp_bbox(box: BBox) -> BBox:
    """Order and clip a box to the unit square (engines round, models hallucinate)."""
    x0, y0, x1, y1 = box
    x0, x1 = sorted((min(max(x0, 0.0), 1.0), min(max(x1, 0.0), 1.0)))
    y0, y1 = sorted((min(max(y0, 0.0), 1.0), min(max(y1, 0.0), 1.0)))
    return (round(x0, 4), round(y0, 4), round(x1, 4), round(y1, 4))


def union_bbox(boxes: list[BBox]) -> BBox | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@dataclass(frozen=True, slots=True)
class Word:
    """One word read from a page, with its box and the reader's confidence (0..1)."""

    text: str
    bbox: BBox
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class PageText:
    """The words of one page in reading order, as one reader saw them.

    ``index`` counts from 0; ``width`` and ``height`` are the page size in the reader's unit
    (PDF points for a text layer, pixels for OCR), kept so boxes can be turned back into it.
    """

    index: int
    width: float
    height: float
    words: tuple[Word, ...]
    source: str

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def is_empty(self) -> bool:
        return not any(word.text.strip() for word in self.words)


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One extracted field: its normalised value and where it came from.

    ``page`` counts from 1 as people do; ``value`` is ``None`` when the field was not found
    (never a guess).
    """

    value: str | None
    confidence: float = 0.0
    page: int | None = None
    bbox: BBox | None = None
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "page": self.page,
            "bbox": list(self.bbox) if self.bbox else None,
            "source": self.source or None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> FieldValue:
        if not data:
            return MISSING
        bbox = data.get("bbox")
        return cls(
            value=data.get("value"),
            confidence=float(data.get("confidence") or 0.0),
            page=data.get("page"),
            bbox=tuple(bbox) if bbox else None,
            source=data.get("source") or "",
        )


MISSING = FieldValue(value=None)

LineItem = Mapping[str, FieldValue]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one validation rule, shown to reviewers next to the fields it names."""

    rule: str
    ok: bool
    message: str
    fields: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "ok": self.ok,
            "message": self.message,
            "fields": list(self.fields),
        }


@dataclass(frozen=True, slots=True)
class EngineInfo:
    name: str
    version: str
    adapter: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "adapter": self.adapter}


@dataclass(frozen=True)
class ExtractionResult:
    """What the pipeline concluded about one document."""

    document_type: str
    fields: Mapping[str, FieldValue]
    line_items: tuple[LineItem, ...] = ()
    validation: tuple[RuleResult, ...] = ()
    engine: EngineInfo = EngineInfo("none", "0")
    type_confidence: float = 1.0
    review_reasons: tuple[str, ...] = field(default=())

    @property
    def needs_review(self) -> bool:
        return bool(self.review_reasons)

    def value(self, name: str) -> str | None:
        found = self.fields.get(name)
        return found.value if found else None


def fields_to_json(fields: Mapping[str, FieldValue]) -> dict[str, dict[str, Any]]:
    return {name: value.to_json() for name, value in fields.items()}


def line_items_to_json(items: tuple[LineItem, ...]) -> list[dict[str, dict[str, Any]]]:
    return [fields_to_json(item) for item in items]


def fields_from_json(data: Mapping[str, Any] | None) -> dict[str, FieldValue]:
    return {name: FieldValue.from_json(value) for name, value in (data or {}).items()}
