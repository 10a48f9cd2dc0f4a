"""A retraining job from claim to outcome; the `train_adapter` task calls `run_training_job`.

- The claim (:mod:`worker.training.claims`) is a conditional UPDATE that one worker wins.
- The stages run with a :class:`JobMonitor` beating: prepare the data (or reuse the frozen
  manifest of an earlier attempt), load the base, train (resuming from a checkpoint), stamp and
  check the adapter, evaluate it against the active one, register it.
- Registration (:mod:`worker.training.registration`) is one transaction: the adapter row (a
  candidate, with its metrics), its ``adapter.trained`` event, the promotion if the type
  auto-promotes and the candidate wins, and the job's success.
- Cancelled or failed: the job says so and its working folder goes. A worker that dies leaves
  the folder (manifest, rendered pages, checkpoint) for the next attempt.
"""

from __future__ import annotations

import gc
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import torch

from core.adapter_store import AdapterStore
from core.doctypes import AdapterRef
from core.settings import Settings
from models import JobStatus, TrainingJob
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
from worker.training.claims import JobClaim, claim_job, end_job
from worker.training.dataset import Dataset, build_dataset, load_manifest, save_manifest
from worker.training.evaluation import Evaluation, evaluate
from worker.training.monitor import JobCancelled, JobLost, JobMonitor
from worker.training.registration import Trained, register
from worker.training.sources import NothingToLearn, plan_dataset, reviewed_documents
from worker.training.trainer import train

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


def run_training_job(ctx: WorkerContext, job_id: int) -> str:
    """Run the job if it is ours to run; returns what happened, for the log."""
    claim = claim_job(ctx.database, ctx.settings, job_id)
    if claim is None:
        return "skipped: not queued, or running on another worker"
    every_s = min(ctx.settings.stuck_after_s / 4, 5.0)
    monitor = JobMonitor(ctx.database, job_id, claim.attempt, every_s)
    workdir = claim.workdir
    try:
        with monitor.running():
            return _run(ctx, claim, monitor, workdir)
    except JobLost:
        return "stopped: the job was handed to another worker"
    except JobCancelled:
        outcome = end_job(
            ctx.database, claim, monitor, JobStatus.CANCELLED, "cancelled by an admin"
        )
    except EXPECTED_ERRORS as error:
        outcome = end_job(ctx.database, claim, monitor, JobStatus.FAILED, str(error))
    except Exception as error:
        log.exception("training job %s failed", job_id)
        reason = f"Unexpected error ({type(error).__name__}: {error})"
        outcome = end_job(ctx.database, claim, monitor, JobStatus.FAILED, reason)
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
