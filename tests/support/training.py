"""Approved documents made directly in the database, for the training and admin tests.

Each is a synthetic receipt (a real image file in the blob store) whose reviewed values are its
exact ground truth, with their pages and boxes, as the review step leaves them. Keeping only a
few fields keeps the tiny model's targets short enough to learn in a few hundred CPU steps.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from core.domain import DocumentStatus, FieldValue
from core.storage import BlobStore
from models import Database, Document, DocumentType, Extraction, Page, utcnow
from worker.synthetic import generate

SHORT_FIELDS = ("total_amount", "currency")


def approved_receipt(
    database: Database, blobs: BlobStore, seed: int, fields: Sequence[str] = SHORT_FIELDS
) -> uuid.UUID:
    """An approved receipt whose reviewed ``fields`` are the synthetic ground truth."""
    generated = generate("receipt", seed, output="png")
    blob = blobs.put_bytes(generated.data)
    reviewed = {
        name: FieldValue(
            generated.fields[name], 1.0, *generated.boxes[name], source="review"
        ).to_json()
        for name in fields
        if generated.fields.get(name) is not None
    }
    with database.session() as session:
        type_id = session.scalar(select(DocumentType.id).where(DocumentType.name == "receipt"))
        document = Document(
            sha256=blob.sha256,
            filename=f"{generated.name}.png",
            storage_key=blob.key,
            mime_type=generated.mime_type,
            size_bytes=len(generated.data),
            page_count=1,
            requested_type="receipt",
            document_type_id=type_id,
            status=DocumentStatus.APPROVED.value,
            approved_at=utcnow(),
        )
        session.add(document)
        session.flush()
        page = Page(document_id=document.id, index=0, width=1240, height=1754, image_key=blob.key)
        session.add(page)
        session.add(
            Extraction(
                document_id=document.id,
                document_type="receipt",
                engine="test",
                engine_version="0",
                fields=reviewed,
                original={"fields": {}, "line_items": []},
            )
        )
        return document.id


def zip_folder(folder: Path, *, prefix: str = "adapter/") -> bytes:
    """A .zip of a peft folder, its files under ``prefix``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.iterdir()):
            zipped.write(path, prefix + path.name)
    return buffer.getvalue()
