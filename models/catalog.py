"""Document types as the pipeline sees them: typed specs with their active adapters."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.doctypes import AdapterRef, DocumentTypeSpec
from models.adapters import Adapter
from models.documents import DocumentType


def adapter_ref(adapter: Adapter, adapter_root: Path) -> AdapterRef:
    return AdapterRef(
        document_type=adapter.document_type.name,
        version=adapter.version,
        path=str(adapter_root / adapter.path),
        base_model=adapter.base_model,
    )


def load_specs(session: Session, adapter_root: Path) -> dict[str, DocumentTypeSpec]:
    """Every document type by name, each with its active adapter (if any) resolved to files."""
    rows = session.scalars(
        select(DocumentType)
        .options(joinedload(DocumentType.active_adapter).joinedload(Adapter.document_type))
        .order_by(DocumentType.id)
    )
    specs: dict[str, DocumentTypeSpec] = {}
    for row in rows:
        spec = row.to_spec()
        if row.active_adapter is not None:
            spec = replace(spec, adapter=adapter_ref(row.active_adapter, adapter_root))
        specs[row.name] = spec
    return specs
