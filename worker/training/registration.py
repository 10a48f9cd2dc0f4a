"""Registering what a job trained: the adapter, its metrics, its event, maybe its promotion,
and the job's success, in one transaction (the files move into the store just before)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.adapter_store import AdapterStore
from core.archives import ArchiveLimits, copy_folder
from core.training_params import TrainingParams
from models import JobStatus, TrainingJob, utcnow
from models.adapter_registry import AdapterFiles, activate, adapter_summary, add_adapter, lock_type
from models.outbox import TRAIN_ADAPTER, complete, record_event
from worker.context import WorkerContext
from worker.engines.paligemma.adapter_files import AdapterInfo
from worker.training.claims import JobClaim
from worker.training.dataset import Dataset
from worker.training.evaluation import Evaluation, should_promote
from worker.training.monitor import JobCancelled, JobLost, JobMonitor
from worker.training.sources import NothingToLearn
from worker.training.trainer import TrainResult


@dataclass(frozen=True)
class Trained:
    """What training produced, before it is registered."""

    dataset: Dataset
    result: TrainResult
    info: AdapterInfo
    evaluation: Evaluation


def register(ctx: WorkerContext, claim: JobClaim, monitor: JobMonitor, trained: Trained) -> str:
    """Add the adapter as a candidate (promoted if it should be) and end the job, at once."""
    store = AdapterStore(ctx.settings.adapter_dir)
    settings = ctx.settings
    limits = ArchiveLimits(settings.adapter_unpacked_max_bytes, 64, float("inf"))
    dataset, evaluation = trained.dataset, trained.evaluation
    with store.staging(f"job{claim.job_id}") as staging:
        copy_folder(trained.result.adapter_dir, staging, limits)
        with ctx.database.session() as session:
            job = _still_ours(session, claim)
            doc_type = lock_type(session, claim.type_name)
            if doc_type is None:
                raise NothingToLearn(f"the document type {claim.type_name} was deleted")
            metrics = job_metrics(trained, claim.params)
            promote, reason = should_promote(doc_type.auto_promote, evaluation)
            metrics.update(promoted=promote, promotion_reason=reason)
            adapter = add_adapter(
                session,
                store,
                doc_type,
                staging,
                AdapterFiles.of(trained.info),
                source="training",
                created_by_id=job.created_by_id,
                train_examples=len(dataset.train),
                metrics=metrics,
                training_job_id=job.id,
            )
            event = {"adapter": adapter_summary(adapter), "job_id": job.id, "promoted": promote}
            record_event(session, "adapter.trained", event | {"metrics": _headline(metrics)})
            if promote:
                activate(session, doc_type, adapter, None, reason="auto-promote")
            outcome = "promoted" if promote else "not promoted"
            monitor.log(f"registered {adapter.key}; {outcome}: {reason}")
            _succeed(session, job, monitor, metrics, adapter.id)
            key = adapter.key
    shutil.rmtree(claim.workdir, ignore_errors=True)
    return f"trained {key}" + (" (promoted)" if promote else "")


def _still_ours(session: Session, claim: JobClaim) -> TrainingJob:
    job = session.get(TrainingJob, claim.job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status != JobStatus.RUNNING.value or job.attempts != claim.attempt:
        raise JobLost(f"job {claim.job_id} is no longer this worker's")
    if job.cancel_requested:
        raise JobCancelled(f"job {claim.job_id} was cancelled")
    return job


def _succeed(
    session: Session,
    job: TrainingJob,
    monitor: JobMonitor,
    metrics: dict[str, Any],
    adapter_id: int,
) -> None:
    job.status = JobStatus.SUCCEEDED.value
    job.adapter_id = adapter_id
    job.metrics = metrics
    job.finished_at = utcnow()
    job.heartbeat_at = None
    job.progress = {**monitor.progress, "phase": "done"}
    job.log = job.log + monitor.pending_log()
    complete(session, TRAIN_ADAPTER, job.id)


def job_metrics(trained: Trained, params: TrainingParams) -> dict[str, Any]:
    return {
        **trained.evaluation.to_json(),
        **trained.result.to_json(),
        "dataset": trained.dataset.stats,
        "params": params.to_json(),
    }


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The few numbers an event carries (the full metrics are on the adapter)."""
    active = metrics.get("active") or {}
    return {
        "all_field_accuracy": metrics["candidate"].get("all_field_accuracy"),
        "key_field_accuracy": metrics["candidate"].get("key_field_accuracy"),
        "active_all_field_accuracy": active.get("all_field_accuracy"),
        "final_loss": metrics.get("final_loss"),
    }
