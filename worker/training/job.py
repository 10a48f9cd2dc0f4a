"""A retraining job from claim to outcome; the `train_adapter` task calls `run_training_job`.

- The claim is a conditional UPDATE (queued -> running, or running with a stale heartbeat ->
  running) that one worker wins; it counts attempts, and a job that keeps killing its worker
  is failed after ``training_max_attempts``.
- The stages run with a :class:`JobMonitor` beating: prepare the data (or reuse the frozen
  manifest of an earlier attempt), load the base, train (resuming from a checkpoint), stamp and
  check the adapter, evaluate it against the active one, register it.
- Registration is one transaction: the adapter row (a candidate, with its metrics), its
  ``adapter.trained`` event, the promotion if the type auto-promotes and the candidate wins,
  and the job's success. Files move into the store just before, by a rename.
- Cancelled or failed: the job says so and its working folder goes. A worker that dies leaves
  the folder (manifest, rendered pages, checkpoint) for the next attempt.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import socket
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import Session

from core.adapter_store import AdapterStore
from core.archives import ArchiveLimits, copy_folder
from core.doctypes import AdapterRef, DocumentTypeSpec
from core.settings import Settings
from core.training_params import TrainingParams
from models import Database, DocumentType, JobStatus, TrainingJob, utcnow
from models.adapter_registry import AdapterFiles, activate, adapter_summary, add_adapter, lock_type
from models.catalog import load_specs
from models.outbox import TRAIN_ADAPTER, complete, record_event
from worker.context import WorkerContext
from worker.engines.base import EngineError
from worker.engines.paligemma.adapter_files import AdapterFileError, AdapterInfo, inspect_adapter
from worker.engines.paligemma.adapter_files import stamp_adapter as stamp
from worker.engines.paligemma.base_model import describe_base
from worker.engines.paligemma.checkpoint import CheckpointError, inspect_checkpoint
from worker.engines.paligemma.checkpoint import resolve_model_dir as model_dir
from worker.engines.paligemma.engine import EngineConfig, PaliGemmaEngine
from worker.engines.paligemma.loading import load_model
from worker.engines.paligemma.prompts import extraction_prompt
from worker.training.dataset import Dataset, build_dataset, load_manifest, save_manifest
from worker.training.evaluation import Evaluation, evaluate, should_promote
from worker.training.monitor import JobCancelled, JobLost, JobMonitor
from worker.training.sources import NothingToLearn, plan_dataset, reviewed_documents
from worker.training.trainer import TrainResult, train

log = logging.getLogger(__name__)
# Errors that end a job with their own message (anything else is reported as unexpected).
EXPECTED_ERRORS = (
    NothingToLearn,
    EngineError,
    CheckpointError,
    AdapterFileError,
    FloatingPointError,
    torch.OutOfMemoryError,
)


@dataclass(frozen=True)
class Trained:
    """What training produced, before it is registered."""

    dataset: Dataset
    result: TrainResult
    info: AdapterInfo
    evaluation: Evaluation


@dataclass(frozen=True)
class JobClaim:
    job_id: int
    attempt: int
    type_name: str
    spec: DocumentTypeSpec  # with the active adapter, if any
    params: TrainingParams
    base: str  # the checkpoint the type is read with


def run_training_job(ctx: WorkerContext, job_id: int) -> str:
    """Run the job if it is ours to run; returns what happened, for the log."""
    claim = claim_job(ctx.database, ctx.settings, job_id)
    if claim is None:
        return "skipped: not queued, or running on another worker"
    every_s = min(ctx.settings.stuck_after_s / 4, 5.0)
    monitor = JobMonitor(ctx.database, job_id, claim.attempt, every_s)
    workdir = ctx.settings.training_dir / f"job-{job_id}"
    try:
        with monitor.running():
            return _run(ctx, claim, monitor, workdir)
    except JobLost:
        return "stopped: the job was handed to another worker"
    except JobCancelled:
        outcome = _end(ctx.database, claim, monitor, JobStatus.CANCELLED, "cancelled by an admin")
    except EXPECTED_ERRORS as error:
        outcome = _end(ctx.database, claim, monitor, JobStatus.FAILED, str(error))
    except Exception as error:
        log.exception("training job %s failed", job_id)
        reason = f"Unexpected error ({type(error).__name__}: {error})"
        outcome = _end(ctx.database, claim, monitor, JobStatus.FAILED, reason)
    shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def _run(ctx: WorkerContext, claim: JobClaim, monitor: JobMonitor, workdir: Path) -> str:
    dataset = prepare_dataset(ctx, claim, monitor, workdir)
    monitor.check()
    monitor.phase("loading the base model")
    loaded = load_model(claim.base, device=ctx.settings.paligemma_device)
    base = describe_base(loaded.checkpoint.path, claim.base)
    AdapterStore(ctx.settings.adapter_dir).publish_base(claim.base, base.to_json())
    monitor.phase("training")
    result = train(
        loaded,
        dataset,
        claim.params,
        workdir,
        monitor,
        checkpoint_every_s=ctx.settings.training_checkpoint_every_s,
    )
    del loaded  # the evaluation engine loads its own copy; free this one first
    _free_memory()
    monitor.log(f"loss {result.initial_loss:.4f} (first epoch) -> {result.final_loss:.4f} (last)")
    stamp(result.adapter_dir, base)
    info = inspect_adapter(result.adapter_dir, base)
    monitor.check()
    monitor.phase("evaluating")
    evaluation = evaluate_candidate(ctx.settings, claim, dataset, info, monitor)
    monitor.check()
    monitor.phase("registering")
    return register(ctx, claim, monitor, Trained(dataset, result, info, evaluation))


# --- claiming ----------------------------------------------------------------------------------


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
    )


def _give_up(session: Session, job: TrainingJob, attempts: int) -> None:
    job.status = JobStatus.FAILED.value
    job.error = f"Gave up after {attempts} attempts: the worker stopped during training each time."
    job.finished_at = utcnow()
    job.heartbeat_at = None
    complete(session, TRAIN_ADAPTER, job.id)


# --- stages ------------------------------------------------------------------------------------


def prepare_dataset(
    ctx: WorkerContext, claim: JobClaim, monitor: JobMonitor, workdir: Path
) -> Dataset:
    """The frozen data of an earlier attempt, or a new dataset from the approved documents."""
    existing = load_manifest(workdir)
    if existing is not None:
        monitor.log(f"reusing the data of the earlier attempt ({len(existing.train)} examples)")
        return existing
    monitor.phase("preparing the data")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    size = inspect_checkpoint(model_dir(claim.base)).image_size
    with ctx.database.session() as session:
        type_id = session.get_one(TrainingJob, claim.job_id).document_type_id
        reviewed = reviewed_documents(session, ctx.blobs, type_id)
    plan = plan_dataset(reviewed, claim.type_name, claim.params, workdir / "synthetic")
    prompt = extraction_prompt(claim.spec)
    dataset = build_dataset(
        plan, claim.spec, prompt, size=size, workdir=workdir, max_examples=claim.params.max_examples
    )
    save_manifest(dataset, workdir)
    stats = dataset.stats
    monitor.log(
        f"{stats['train_examples']} training pages from {stats['train_documents']} documents "
        f"({stats['reviewed_documents']} reviewed, {stats['synthetic_documents']} synthetic); "
        f"{stats['eval_documents']} held out for evaluation ({stats['eval_source']})"
    )
    return dataset


def _free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def evaluate_candidate(
    settings: Settings, claim: JobClaim, dataset: Dataset, info: AdapterInfo, monitor: JobMonitor
) -> Evaluation:
    engine = PaliGemmaEngine(replace(EngineConfig.from_settings(settings), model=claim.base))
    candidate = AdapterRef(claim.type_name, 0, str(info.path), info.base_model)
    try:
        return evaluate(
            engine,
            claim.spec,
            candidate,
            claim.spec.adapter,
            held_out=dataset.evaluation,
            train_sample=dataset.train_sample,
            progress=monitor.log,
        )
    finally:
        engine.close()


# --- outcome -----------------------------------------------------------------------------------


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
    shutil.rmtree(ctx.settings.training_dir / f"job-{claim.job_id}", ignore_errors=True)
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


def _end(
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
