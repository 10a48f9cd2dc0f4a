"""Use cases of retraining for admins: start a job for a type, cancel it, read jobs.

A job row and its outbox message commit together (published when the request ends; the
sweeper resends it if the broker lost it). At most one job per type is queued or running:
a partial unique index says so in the database, and :func:`start_training` says it in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from core.training_params import InvalidParams, TrainingParams, parse_params
from models import DocumentType, JobStatus, TrainingJob, utcnow
from models.adapters import LIVE_JOB_STATUSES
from models.audit import record_audit
from models.outbox import TRAIN_ADAPTER, complete, enqueue
from web.extensions import Services
from web.services.admin_common import AdminRefused, get_type

TERMINAL_JOB_STATUSES = frozenset(
    {JobStatus.SUCCEEDED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value}
)


class InvalidTrainingParams(AdminRefused):
    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(
            "The parameters are not valid: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            422,
        )
        self.errors = dict(errors)


def check_params(raw: Mapping[str, Any]) -> TrainingParams:
    try:
        return parse_params(raw)
    except InvalidParams as invalid:
        raise InvalidTrainingParams(invalid.errors) from None


def start_training(
    services: Services, type_name: str, params: TrainingParams, actor_id: int | None
) -> int:
    """Queue a retraining job for ``type_name``; returns the job's id."""
    try:
        with services.database.session() as session:
            doc_type = get_type(session, type_name)
            _refuse_if_live(session, doc_type)
            job = TrainingJob(
                document_type_id=doc_type.id,
                params=params.to_json(),
                created_by_id=actor_id,
                progress={"phase": "queued"},
            )
            session.add(job)
            session.flush()
            enqueue(session, TRAIN_ADAPTER, job.id)
            record_audit(
                session,
                actor_id,
                "training.started",
                ("training_job", job.id),
                document_type=type_name,
                params=params.to_json(),
            )
            job_id = job.id
    except IntegrityError:
        # Another admin started one between our check and our insert.
        with services.database.session() as session:
            _refuse_if_live(session, get_type(session, type_name))
        raise
    return job_id


def _refuse_if_live(session: Session, doc_type: DocumentType) -> None:
    live = session.scalar(
        select(TrainingJob).where(
            TrainingJob.document_type_id == doc_type.id,
            TrainingJob.status.in_(LIVE_JOB_STATUSES),
        )
    )
    if live is not None:
        raise AdminRefused(
            f"A training job for {doc_type.name} is {live.status} already (job #{live.id}); "
            "cancel it or wait until it ends: two jobs for one type never run at once.",
            409,
        )


def cancel_training(services: Services, job_id: int, actor_id: int | None) -> str:
    """Cancel a queued job at once, or ask a running one to stop; returns its status."""
    with services.database.session() as session:
        job = session.get(TrainingJob, job_id, with_for_update=True)
        if job is None:
            raise AdminRefused("There is no such training job.", 404)
        if job.status == JobStatus.QUEUED.value:
            job.status = JobStatus.CANCELLED.value
            job.finished_at = utcnow()
            job.progress = {**job.progress, "phase": "cancelled"}
            complete(session, TRAIN_ADAPTER, job.id)
            record_audit(session, actor_id, "training.cancelled", ("training_job", job.id))
        elif job.status == JobStatus.RUNNING.value:
            job.cancel_requested = True
            record_audit(session, actor_id, "training.cancel_requested", ("training_job", job.id))
        else:
            raise AdminRefused(f"Job #{job.id} is {job.status} already.", 409)
        return job.status


def list_jobs(
    session: Session, type_name: str | None = None, limit: int = 100
) -> list[TrainingJob]:
    query = (
        select(TrainingJob)
        .options(joinedload(TrainingJob.document_type))
        .order_by(TrainingJob.created_at.desc(), TrainingJob.id.desc())
        .limit(limit)
    )
    if type_name:
        query = query.join(DocumentType).where(DocumentType.name == type_name)
    return list(session.scalars(query))


def get_job(session: Session, job_id: int) -> TrainingJob:
    job = session.get(TrainingJob, job_id, options=[joinedload(TrainingJob.document_type)])
    if job is None:
        raise AdminRefused("There is no such training job.", 404)
    return job
