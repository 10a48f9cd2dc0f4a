"""Documents as the worker leaves them (pages, an extraction), written straight to the database,
so review and export tests need no worker."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from models import Database, Document, DocumentType, Extraction, Page, utcnow

INVOICE_FIELDS: dict[str, dict[str, Any]] = {
    "invoice_number": {"value": "INV-2024-0042", "confidence": 0.97, "page": 1,
                       "bbox": [0.59, 0.1, 0.8, 0.12], "source": "textlayer"},
    "issue_date": {"value": "2024-03-15", "confidence": 0.42, "page": 1,
                   "bbox": [0.59, 0.12, 0.8, 0.14], "source": "textlayer"},
    "vendor_name": {"value": "ACME Supplies GmbH", "confidence": 0.9, "page": 1,
                    "bbox": [0.08, 0.06, 0.3, 0.08], "source": "textlayer"},
    "currency": {"value": "EUR", "confidence": 0.9, "page": 1, "bbox": None,
                 "source": "textlayer"},
    "net_amount": {"value": "100.00", "confidence": 0.9, "page": 1,
                   "bbox": [0.5, 0.37, 0.7, 0.39], "source": "textlayer"},
    "tax_amount": {"value": "19.00", "confidence": 0.9, "page": 1,
                   "bbox": [0.5, 0.39, 0.7, 0.41], "source": "textlayer"},
    "total_amount": {"value": None, "confidence": 0.0, "page": None, "bbox": None,
                     "source": None},
}  # fmt: skip
LINE_ITEMS: list[dict[str, Any]] = [
    {
        "description": {"value": "Widgets", "confidence": 0.8, "page": 1,
                        "bbox": [0.08, 0.3, 0.3, 0.32], "source": "textlayer"},
        "quantity": {"value": "10", "confidence": 0.8, "page": 1, "bbox": None,
                     "source": "textlayer"},
        "line_total": {"value": "100.00", "confidence": 0.8, "page": 1, "bbox": None,
                       "source": "textlayer"},
    }
]  # fmt: skip


def add_read_document(
    database: Database,
    *,
    filename: str = "march.pdf",
    document_type: str = "invoice",
    status: str = "needs_review",
    reasons: list[str] | None = None,
    fields: dict[str, dict[str, Any]] | None = None,
    line_items: list[dict[str, Any]] | None = None,
    created_at: datetime | None = None,
) -> uuid.UUID:
    fields = INVOICE_FIELDS if fields is None else fields
    items = LINE_ITEMS if line_items is None else line_items
    with database.session() as session:
        type_id = session.scalar(select(DocumentType.id).where(DocumentType.name == document_type))
        document = Document(
            sha256=uuid.uuid4().hex * 2,
            filename=filename,
            storage_key="0" * 64,
            mime_type="application/pdf",
            size_bytes=1000,
            page_count=1,
            document_type_id=type_id,
            status=status,
            review_reasons=["missing:total_amount"] if reasons is None else reasons,
            created_at=created_at or utcnow(),
            processed_at=utcnow(),
        )
        session.add(document)
        session.flush()
        session.add(Page(document_id=document.id, index=0, width=1240, height=1754,
                         image_key="1" * 64, source="textlayer"))  # fmt: skip
        session.add(
            Extraction(
                document_id=document.id,
                document_type=document_type,
                engine="textlayer",
                engine_version="0.1",
                fields=fields,
                line_items=items,
                validation=[],
                original={"fields": fields, "line_items": items},
            )
        )
        return document.id


def add_queue(database: Database, count: int, **options: Any) -> list[uuid.UUID]:
    """``count`` documents created a minute apart, oldest first."""
    start = utcnow() - timedelta(hours=1)
    return [
        add_read_document(
            database,
            filename=f"doc-{n}.pdf",
            created_at=start + timedelta(minutes=n),
            **options,
        )
        for n in range(count)
    ]
