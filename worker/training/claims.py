"""A training job's row from a worker's side: claiming it, and ending it without success.

The claim is a conditional UPDATE (queued -> running, or running with a stale heartbeat ->
running) that exactly one worker wins; it counts attempts, and a job that keeps killing its
worker is failed after ``training_max_attempts``. Every later write is conditional on the
attempt claimed, so a worker that lost the job (its heartbeat went stale and another took
over) changes nothing.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import Session

from core.doctypes import DocumentTypeSpec
from core.settings import Settings
from core.training_params import TrainingParams
from models import Database, DocumentType, JobStatus, TrainingJob, utcnow
from models.catalog import load_specs
from models.outbox import TRAIN_ADAPTER, complete
from worker.training.monitor import JobMonitor


@dataclass(frozen=True)
class JobClaim:
    job_id: int
    attempt: int
    type_name: str
    spec: DocumentTypeSpec  # with the active adapter, if any
    params: TrainingParams
    base: str  # the checkpoint the type is read with
    workdir: Path  # data, rendered pages, checkpoints: kept for the next attempt if we die


def job_dir(settings: Settings, job_id: int) -> Path:
    return settings.training_dir / f"job-{job_id}"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_job(database: Database, settings: Settings, job_id: int) -> JobClaim | None:
    now = utcnow()
    stale = now - timedelta(seconds=settings.stuck_after_s)
    with database.session() as session:
        claimed = session.execute(
            update(TrainingJob)
            .where(
                TrainingJob.id == job_id,
                or_(
                    TrainingJob.status == JobStatus.QUEUED.value,
                    and_(
                        TrainingJob.status == JobStatus.RUNNING.value,
                        or_(TrainingJob.heartbeat_at.is_(None), TrainingJob.heartbeat_at < stale),
                    ),
                ),
            )
            .values(
                status=JobStatus.RUNNING.value,
                attempts=TrainingJob.attempts + 1,
                started_at=func.coalesce(TrainingJob.started_at, now),
                heartbeat_at=now,
                worker=worker_name(),
                progress={"phase": "starting"},
                checkpoint_dir=str(job_dir(settings, job_id)),
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        job = session.get_one(TrainingJob, job_id, populate_existing=True)
        if job.attempts > settings.training_max_attempts:
            _give_up(session, job, settings.training_max_attempts)
            return None
        return _claim_of(session, settings, job)


def _claim_of(session: Session, settings: Settings, job: TrainingJob) -> JobClaim:
    doc_type = session.get_one(DocumentType, job.document_type_id)
    spec = load_specs(session, settings.adapter_dir)[doc_type.name]
    return JobClaim(
        job_id=job.id,
        attempt=job.attempts,
        type_name=doc_type.name,
        spec=spec,
        params=TrainingParams.from_json(job.params),
        base=doc_type.base_model or settings.paligemma_model,
        workdir=job_dir(settings, job.id),
    )


def _give_up(session: Session, job: TrainingJob, attempts: int) -> None:
    job.status = JobStatus.FAILED.value
    job.error = f"Gave up after {attempts} attempts: the worker stopped during training each time."
    job.finished_at = utcnow()
    job.heartbeat_at = None
    complete(session, TRAIN_ADAPTER, job.id)


def end_job(
    database: Database, claim: JobClaim, monitor: JobMonitor, status: JobStatus, reason: str
) -> str:
    """End a job that did not succeed, if it is still in the attempt this worker claimed."""
    with database.session() as session:
        ended = session.execute(
            update(TrainingJob)
            .where(
                TrainingJob.id == claim.job_id,
                TrainingJob.status == JobStatus.RUNNING.value,
                TrainingJob.attempts == claim.attempt,
            )
            .values(
                status=status.value,
                error=reason if status == JobStatus.FAILED else None,
                finished_at=utcnow(),
                heartbeat_at=None,
                progress={**monitor.progress, "phase": status.value},
                log=TrainingJob.log + monitor.pending_log() + f"{status.value}: {reason}\n",
            )
            .execution_options(synchronize_session=False)
        )
        if ended.rowcount == 1:  # type: ignore[attr-defined]
            complete(session, TRAIN_ADAPTER, claim.job_id)
    return f"{status.value}: {reason}"
