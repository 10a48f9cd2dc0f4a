"""Reading one document: claim it, run the pipeline with no session open, record the outcome.

The task that calls :func:`process_document` stays thin; everything here is written so that
running it twice, or in two workers at once, leaves exactly one result:

- the claim is a conditional UPDATE (queued -> processing, or processing with a stale
  heartbeat -> processing) that only one worker can win;
- the result is written only while the document is still in the attempt that was claimed;
- a document that keeps killing its worker is failed after ``task_max_attempts`` claims.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core.doctypes import DocumentTypeSpec
from core.domain import DocumentStatus
from core.files import RejectedFile
from models import Document, DocumentType, utcnow
from models.catalog import load_specs
from models.outbox import (
    PROCESS_DOCUMENT,
    READ_ON_GPU,
    complete,
    document_summary,
    enqueue,
    record_event,
)
from worker.context import WorkerContext
from worker.engines.base import EngineError, EngineOutput, EngineRequest, ReadOptions
from worker.engines.registry import GPU_ENGINES
from worker.heartbeat import Progress, heartbeat
from worker.pipeline.run import run_pipeline
from worker.pipeline.source import RenderError, SourceDocument
from worker.previews import Preview, render_previews
from worker.recording import record_failure, record_result

log = logging.getLogger(__name__)

READ_ERRORS = (RenderError, EngineError, RejectedFile)
# Often enough for a progress display; the sweeper's patience is stuck_after_s.
HEARTBEAT_EVERY_S = 2.0


@dataclass(frozen=True)
class Claim:
    document_id: uuid.UUID
    attempt: int
    source: SourceDocument
    spec: DocumentTypeSpec | None
    types: dict[str, DocumentTypeSpec]
    options: ReadOptions
    engine: str


def process_document(ctx: WorkerContext, document_id: uuid.UUID, *, on_gpu: bool = False) -> str:
    """Read the document if it is ours to read; return what happened, for the log."""
    if not on_gpu and _forward_to_gpu(ctx, document_id):
        return "forwarded to the gpu queue"
    claim = claim_document(ctx, document_id)
    if claim is None:
        return "skipped: not queued, or claimed by another worker"
    started = time.perf_counter()
    progress = Progress(claim.source.page_count)
    every_s = min(ctx.settings.stuck_after_s / 4, HEARTBEAT_EVERY_S)
    with heartbeat(ctx.database, document_id, progress, every_s=every_s):
        outcome = _read(ctx, claim, progress)
    if isinstance(outcome, str):
        record_failure(ctx.database, document_id, claim.attempt, outcome)
        return f"failed: {outcome}"
    output, previews = outcome
    if not on_gpu and _detected_gpu_type(claim, output):
        return _requeue_for_gpu(ctx, claim, output.result.document_type)
    duration_ms = int((time.perf_counter() - started) * 1000)
    return record_result(
        ctx.database,
        claim.document_id,
        claim.attempt,
        output=output,
        previews=previews,
        duration_ms=duration_ms,
    )


def _read(
    ctx: WorkerContext, claim: Claim, progress: Progress
) -> tuple[EngineOutput, list[Preview]] | str:
    """The pipeline's output and page previews, or the reason the document cannot be read."""
    if not claim.source.path.is_file():
        return "The stored file of this document is missing from the data directory."
    request = EngineRequest(
        claim.source, claim.spec, claim.types, claim.options, progress=progress.pages_read
    )
    try:
        output = run_pipeline(request, ctx.engines.get(claim.engine))
        previews = render_previews(
            claim.source,
            ctx.blobs,
            ctx.settings.preview_width,
            on_page=lambda done, total: progress.update("previews", done, total),
        )
    except READ_ERRORS as error:
        return str(error)
    except Exception as error:
        # A bug or a broken file we did not foresee: fail this document, keep the worker.
        log.exception("unexpected error reading %s", claim.document_id)
        return f"Unexpected error while reading the document ({type(error).__name__}: {error})."
    return output, previews


def claim_document(ctx: WorkerContext, document_id: uuid.UUID) -> Claim | None:
    settings = ctx.settings
    now = utcnow()
    stale = now - timedelta(seconds=settings.stuck_after_s)
    with ctx.database.session() as session:
        claimed = session.execute(
            update(Document)
            .where(
                Document.id == document_id,
                or_(
                    Document.status == DocumentStatus.QUEUED.value,
                    and_(
                        Document.status == DocumentStatus.PROCESSING.value,
                        or_(Document.heartbeat_at.is_(None), Document.heartbeat_at < stale),
                    ),
                ),
            )
            .values(
                status=DocumentStatus.PROCESSING.value,
                attempts=Document.attempts + 1,
                processing_started_at=now,
                heartbeat_at=now,
                error=None,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        document = session.get_one(Document, document_id, populate_existing=True)
        if document.attempts > settings.task_max_attempts:
            reason = (
                f"Gave up after {settings.task_max_attempts} attempts: the worker stopped "
                "while reading this document each time."
            )
            _fail_now(session, document, reason)
            return None
        return _build_claim(ctx, session, document)


def _build_claim(ctx: WorkerContext, session: Session, document: Document) -> Claim:
    settings = ctx.settings
    types = load_specs(session, settings.adapter_dir)
    type_name = document.requested_type or _detected_type_name(session, document)
    spec = types.get(type_name) if type_name else None
    options = ReadOptions(
        ignore_embedded_xml=bool(document.options.get("ignore_embedded_xml")),
        ocr_languages=settings.ocr_languages,
        ocr_dpi=settings.ocr_dpi,
    )
    source = SourceDocument(
        ctx.blobs.path(document.storage_key),
        document.mime_type,
        document.page_count,
        name=document.filename,
        render_timeout_s=settings.render_timeout_s,
        max_pixels=settings.max_image_pixels,
    )
    engine = document.options.get("engine") or (spec.engine if spec else "auto")
    return Claim(document.id, document.attempts, source, spec, types, options, str(engine))


def _detected_type_name(session: Session, document: Document) -> str | None:
    if document.document_type_id is None:
        return None
    return session.scalar(
        select(DocumentType.name).where(DocumentType.id == document.document_type_id)
    )


def _fail_now(session: Session, document: Document, reason: str) -> None:
    document.status = DocumentStatus.FAILED.value
    document.error = reason
    document.heartbeat_at = None
    complete(session, PROCESS_DOCUMENT, document.id)
    complete(session, READ_ON_GPU, document.id)
    record_event(session, "document.failed", document_summary(document), document.id)


def _forward_to_gpu(ctx: WorkerContext, document_id: uuid.UUID) -> bool:
    """Hand a document whose type is read by a GPU engine over to the ``gpu`` queue."""
    with ctx.database.session() as session:
        document = session.get(Document, document_id)
        if document is None or document.status != DocumentStatus.QUEUED.value:
            return False
        type_name = document.requested_type or _detected_type_name(session, document)
        engine = document.options.get("engine")
        if engine is None and type_name is not None:
            engine = session.scalar(
                select(DocumentType.engine).where(DocumentType.name == type_name)
            )
        if engine not in GPU_ENGINES:
            return False
        complete(session, PROCESS_DOCUMENT, document_id)
        enqueue(session, READ_ON_GPU, document_id)
    return True


def _detected_gpu_type(claim: Claim, output: EngineOutput) -> bool:
    if claim.spec is not None:
        return False
    detected = claim.types.get(output.result.document_type)
    return detected is not None and detected.engine in GPU_ENGINES


def _requeue_for_gpu(ctx: WorkerContext, claim: Claim, type_name: str) -> str:
    """The type was detected on the CPU and is read on a GPU: queue it there, remembering it."""
    with ctx.database.session() as session:
        document = session.get_one(Document, claim.document_id)
        if document.attempts != claim.attempt:
            return "skipped: another worker took over"
        document.document_type_id = session.scalar(
            select(DocumentType.id).where(DocumentType.name == type_name)
        )
        document.status = DocumentStatus.QUEUED.value
        document.heartbeat_at = None
        document.attempts = 0  # the CPU read succeeded; the GPU read gets its own tries
        complete(session, PROCESS_DOCUMENT, document.id)
        enqueue(session, READ_ON_GPU, document.id)
    return f"detected {type_name}: forwarded to the gpu queue"
