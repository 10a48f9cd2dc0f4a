"""Where training documents come from: the type's approved documents, and synthetic ones.

Approved documents carry people's reviewed values (``extraction.fields``; the engine's own
answer stays in ``extraction.original``), with the page and box each value was read at where
it is known. When a type has few of them, synthetic invoices or receipts with exact ground
truth are mixed in (half digital PDFs, half scans with some noise); they also stand in as the
evaluation set when there are too few reviewed documents to hold any back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import BBox, DocumentStatus, FieldValue, fields_from_json
from core.storage import BlobStore
from core.training_params import AUTO_SYNTHETIC_TARGET, TrainingParams
from models import Document, Extraction
from worker.synthetic import DOC_TYPES, SyntheticDocument, generate
from worker.training.dataset import DatasetPlan, LabelledDocument, split_documents

log = logging.getLogger(__name__)
# Far from the seeds people and tests use: synthetic training data is its own stream.
SYNTHETIC_SEED_BASE = 7_000_000
MAX_SYNTHETIC_EVAL = 16


class NothingToLearn(Exception):
    """There are no documents to train on; the message says why."""


def reviewed_documents(
    session: Session, blobs: BlobStore, document_type_id: int
) -> list[LabelledDocument]:
    """The type's approved documents whose files are still stored, newest approval first."""
    rows = session.execute(
        select(Document, Extraction)
        .join(Extraction, Extraction.document_id == Document.id)
        .where(
            Document.document_type_id == document_type_id,
            Document.status == DocumentStatus.APPROVED.value,
        )
        .order_by(Document.approved_at.desc().nulls_last(), Document.created_at.desc())
    )
    documents = []
    for document, extraction in rows:
        path = blobs.path(document.storage_key)
        if not path.is_file():
            log.warning("approved document %s has no stored file; left out", document.id)
            continue
        documents.append(
            LabelledDocument(
                name=f"document:{document.id}",
                path=path,
                mime_type=document.mime_type,
                page_count=document.page_count,
                fields=fields_from_json(extraction.fields),
                line_items=tuple(fields_from_json(item) for item in extraction.line_items),
            )
        )
    return documents


def synthetic_documents(
    type_name: str, count: int, first_seed: int, folder: Path
) -> list[LabelledDocument]:
    """``count`` generated documents written to ``folder`` (none for types without a generator)."""
    if type_name not in DOC_TYPES or count <= 0:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    documents = []
    for number in range(count):
        scan = number % 2 == 1
        generated = generate(
            type_name,
            first_seed + number,
            output="png" if scan else "pdf",
            noise=0.2 * (number % 4) if scan else 0.0,
        )
        path = folder / f"{generated.name}{generated.extension}"
        path.write_bytes(generated.data)
        documents.append(labelled(generated, path))
    return documents


def labelled(generated: SyntheticDocument, path: Path) -> LabelledDocument:
    """A generated document with its ground truth as located field values."""

    def located(value: str | None, box: tuple[int, BBox] | None) -> FieldValue:
        if box is None:
            return FieldValue(value, 1.0)
        page, bbox = box
        return FieldValue(value, 1.0, page, bbox, "synthetic")

    fields = {
        name: located(value, generated.boxes.get(name))
        for name, value in generated.fields.items()
        if value is not None
    }
    items = tuple(
        {name: located(value, boxes.get(name)) for name, value in item.items() if value is not None}
        for item, boxes in zip(generated.line_items, generated.line_item_boxes, strict=True)
    )
    return LabelledDocument(
        name=f"synthetic:{generated.doc_type}:{generated.seed}",
        path=path,
        mime_type=generated.mime_type,
        page_count=generated.pages,
        fields=fields,
        line_items=items,
    )


def plan_dataset(
    reviewed: Sequence[LabelledDocument],
    type_name: str,
    params: TrainingParams,
    folder: Path,
) -> DatasetPlan:
    """Split the reviewed documents, and add synthetic ones as ``params`` ask."""
    by_name = {document.name: document for document in reviewed}
    train_names, eval_names = split_documents(list(by_name), params.eval_fraction, params.seed)
    train = [by_name[name] for name in train_names]
    evaluation = [by_name[name] for name in eval_names]
    wanted = params.synthetic_documents
    if wanted is None:
        wanted = max(0, AUTO_SYNTHETIC_TARGET - len(train))
    held_out = 0
    if not evaluation and params.eval_fraction > 0 and wanted > 0:
        held_out = min(MAX_SYNTHETIC_EVAL, max(1, round(wanted * params.eval_fraction)))
    first_seed = SYNTHETIC_SEED_BASE + params.seed * 100_000
    synthetic = synthetic_documents(type_name, wanted + held_out, first_seed, folder)
    train += synthetic[: len(synthetic) - held_out] if held_out else synthetic
    evaluation += synthetic[len(synthetic) - held_out :] if held_out and synthetic else []
    if not train:
        raise NothingToLearn(
            f"No approved {type_name} documents to learn from"
            + ("" if type_name in DOC_TYPES else f", and no synthetic generator for {type_name}")
            + "."
        )
    return DatasetPlan(tuple(train), tuple(evaluation), len(reviewed), len(synthetic))
