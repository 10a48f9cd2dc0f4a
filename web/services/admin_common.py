"""What the admin use cases share: the refusal they raise, and the document type they act on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DocumentType


class AdminRefused(Exception):
    """An admin request that cannot be honoured; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def get_type(session: Session, name: str) -> DocumentType:
    found = session.scalar(select(DocumentType).where(DocumentType.name == name))
    if found is None:
        raise AdminRefused(f"There is no document type {name!r}.", 404)
    return found
