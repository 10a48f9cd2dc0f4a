"""Use cases on existing documents."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from core.domain import DocumentStatus
from models import Document
from models.outbox import PROCESS_DOCUMENT, enqueue
from web.extensions import Services

# Approved documents carry people's corrections; reading them again would discard those.
REPROCESSABLE = (
    DocumentStatus.EXTRACTED.value,
    DocumentStatus.NEEDS_REVIEW.value,
    DocumentStatus.FAILED.value,
)


def reprocess_document(services: Services, document_id: uuid.UUID) -> bool:
    """Queue a read document to be read again; ``False`` if it is not in a state to be."""
    with services.database.session() as session:
        moved = session.execute(
            update(Document)
            .where(Document.id == document_id, Document.status.in_(REPROCESSABLE))
            .values(
                status=DocumentStatus.QUEUED.value,
                attempts=0,
                error=None,
                document_type_id=None,
                version=Document.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return False
        enqueue(session, PROCESS_DOCUMENT, document_id)
    return True
