"""Documents and what was read from them: types, documents, pages, extractions, reviews."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.doctypes import DocumentTypeSpec, FieldSpec
from core.domain import DocumentStatus
from models.base import Base, Timestamped, utcnow

if TYPE_CHECKING:
    from models.adapters import Adapter

_STATUSES = ", ".join(f"'{status.value}'" for status in DocumentStatus)


class DocumentType(Timestamped, Base):
    """A kind of document: its fields, how it is read, and the adapter its model uses."""

    __tablename__ = "document_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(255), default="")
    fields: Mapped[list[Any]] = mapped_column(default=list)
    line_item_fields: Mapped[list[Any]] = mapped_column(default=list)
    engine: Mapped[str] = mapped_column(String(32), default="auto")
    prompt: Mapped[str] = mapped_column(Text, default="")
    review_threshold: Mapped[float] = mapped_column(default=0.6)
    use_embedded_xml: Mapped[bool] = mapped_column(default=True)
    base_model: Mapped[str] = mapped_column(String(512), default="")
    auto_promote: Mapped[bool] = mapped_column(default=False)
    active_adapter_id: Mapped[int | None] = mapped_column(
        ForeignKey("adapters.id", ondelete="SET NULL", use_alter=True)
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    active_adapter: Mapped[Adapter | None] = relationship(foreign_keys=[active_adapter_id])

    def to_spec(self) -> DocumentTypeSpec:
        return DocumentTypeSpec(
            name=self.name,
            fields=tuple(FieldSpec.from_json(item) for item in self.fields),
            line_item_fields=tuple(FieldSpec.from_json(item) for item in self.line_item_fields),
            engine=self.engine,
            prompt=self.prompt,
            review_threshold=self.review_threshold,
            use_embedded_xml=self.use_embedded_xml,
            base_model=self.base_model,
        )


class Document(Timestamped, Base):
    """One uploaded file. ``sha256`` is unique: the same bytes uploaded twice are one document."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        Index("ix_documents_created", "created_at", "id"),
        Index("ix_documents_status_created", "status", "created_at", "id"),
        Index("ix_documents_type_created", "document_type_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(64))
    mime_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    page_count: Mapped[int]
    # What the uploader asked for (None: detect), and what the document turned out to be.
    requested_type: Mapped[str | None] = mapped_column(String(64))
    document_type_id: Mapped[int | None] = mapped_column(ForeignKey("document_types.id"))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.QUEUED.value)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    review_reasons: Mapped[list[Any]] = mapped_column(default=list)
    # "vendor|number", normalised, for spotting the same invoice uploaded as another file.
    dedupe_key: Mapped[str | None] = mapped_column(String(255), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    processing_started_at: Mapped[datetime | None]
    # Touched while a worker reads the document; a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None]
    # {"stage": "reading", "done": 3, "total": 12} while a worker reads it, for the portal.
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    processed_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Bumped on every change a person makes, so two reviewers cannot overwrite each other.
    version: Mapped[int] = mapped_column(default=1)

    document_type: Mapped[DocumentType | None] = relationship()
    pages: Mapped[list[Page]] = relationship(
        back_populates="document", order_by="Page.index", cascade="all, delete-orphan"
    )
    extraction: Mapped[Extraction | None] = relationship(
        back_populates="document", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> DocumentStatus:
        return DocumentStatus(self.status)

    @property
    def type_name(self) -> str | None:
        """The detected (or requested and confirmed) type's name; None while unknown."""
        return self.document_type.name if self.document_type else None


class Page(Base):
    """A page as shown to people (a preview image) and as read (words with boxes)."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "index", name="document_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    index: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    image_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # [[text, x0, y0, x1, y1, confidence], ...] with boxes normalised to the page.
    words: Mapped[list[Any]] = mapped_column(default=list)

    document: Mapped[Document] = relationship(back_populates="pages")


class Extraction(Timestamped, Base):
    """The fields of a document: the engine's answer, then people's corrections.

    ``fields``/``line_items``/``validation`` hold the current state; ``original`` keeps the
    engine's answer untouched, so the difference is the training signal and the audit trail.
    """

    __tablename__ = "extractions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    document_type: Mapped[str] = mapped_column(String(64))
    type_confidence: Mapped[float] = mapped_column(default=1.0)
    engine: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(64))
    adapter: Mapped[str | None] = mapped_column(String(128))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    line_items: Mapped[list[Any]] = mapped_column(default=list)
    validation: Mapped[list[Any]] = mapped_column(default=list)
    original: Mapped[dict[str, Any]] = mapped_column(default=dict)
    duration_ms: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship(back_populates="extraction")


class Review(Timestamped, Base):
    """One save or approval by a person, with the field-level diff it made."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    # {"fields": {name: {"from": old, "to": new}}, "line_items": {"from": [...], "to": [...]}}
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
