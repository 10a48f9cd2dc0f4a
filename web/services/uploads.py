"""Use case: accept an upload as a document and queue it for reading.

Order matters for safety and cost: the name and the type are checked first, the bytes are
streamed to the store under a size limit while being hashed, the content is inspected (magic
bytes, page count, pixels) before anything expensive, and the document row, its
``document.received`` event and its outbox message commit in one transaction. Publishing to the
broker happens after the request (see :func:`web.queue.init_app`), in the background, and may
fail without losing anything.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.domain import DocumentStatus
from core.files import FileLimits, RejectedFile, UnsupportedType, inspect_file
from core.storage import BlobTooLarge
from models import Document, DocumentType
from models.outbox import PROCESS_DOCUMENT, document_summary, enqueue, record_event
from web.extensions import Services

MAX_FILENAME = 255


class UploadRefused(Exception):
    """The upload cannot be accepted; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class UploadRequest:
    stream: IO[bytes]
    filename: str
    document_type: str | None = None  # None: detect
    ignore_embedded_xml: bool = False
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    document_id: uuid.UUID
    created: bool
    status: str


def clean_filename(raw: str) -> str:
    """The name to keep as metadata; names that try to be paths are refused."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        raise UploadRefused("The file has no name.")
    if "/" in name or "\\" in name or name in {".", ".."} or PurePosixPath(name).name != name:
        raise UploadRefused("The file name must be a plain name, not a path.")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise UploadRefused("The file name contains control characters.")
    return name[:MAX_FILENAME]


def submit_upload(services: Services, upload: UploadRequest) -> UploadOutcome:
    filename = clean_filename(upload.filename)
    _check_type(services, upload.document_type)
    settings = services.settings
    try:
        blob = services.blobs.put_stream(upload.stream, max_bytes=settings.max_upload_bytes)
    except BlobTooLarge:
        raise UploadRefused(
            f"The file is larger than the limit of {settings.max_upload_bytes // 2**20} MiB.", 413
        ) from None
    limits = FileLimits(settings.max_upload_bytes, settings.max_pages, settings.max_image_pixels)
    try:
        info = inspect_file(services.blobs.path(blob.key), limits)
    except RejectedFile as error:
        _forget_unreferenced(services, blob.key)
        status = 415 if isinstance(error, UnsupportedType) else 422
        raise UploadRefused(str(error), status) from None
    document = Document(
        sha256=blob.sha256,
        filename=filename,
        storage_key=blob.key,
        mime_type=info.mime_type,
        size_bytes=info.size_bytes,
        page_count=info.page_count,
        requested_type=upload.document_type,
        uploaded_by_id=upload.user_id,
        options={"ignore_embedded_xml": True} if upload.ignore_embedded_xml else {},
    )
    return _store(services, document)


def _check_type(services: Services, name: str | None) -> None:
    if name is None:
        return
    with services.database.session() as session:
        if session.scalar(select(DocumentType.id).where(DocumentType.name == name)) is None:
            raise UploadRefused(f"There is no document type {name!r}.", 422)


def _existing(services: Services, sha256: str) -> UploadOutcome | None:
    with services.database.session() as session:
        found = session.execute(
            select(Document.id, Document.status).where(Document.sha256 == sha256)
        ).first()
    if found is None:
        return None
    return UploadOutcome(found.id, created=False, status=found.status)


def _store(services: Services, document: Document) -> UploadOutcome:
    """Insert the document (or find the same bytes uploaded before) and queue it."""
    if (existing := _existing(services, document.sha256)) is not None:
        return existing
    try:
        with services.database.session() as session:
            session.add(document)
            session.flush()
            record_event(session, "document.received", document_summary(document), document.id)
            enqueue(session, PROCESS_DOCUMENT, document.id)
    except IntegrityError:
        # The same bytes were uploaded concurrently: answer with the winner.
        existing = _existing(services, document.sha256)
        if existing is None:
            raise
        return existing
    return UploadOutcome(document.id, created=True, status=DocumentStatus.QUEUED.value)


def _forget_unreferenced(services: Services, key: str) -> None:
    with services.database.session() as session:
        referenced = session.scalar(select(Document.id).where(Document.storage_key == key))
    if referenced is None:
        services.blobs.delete(key)
