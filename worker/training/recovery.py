"""The sweeper's part for training: jobs whose worker died are queued again, or given up.

A running job's worker touches ``heartbeat_at`` every few seconds. When it stops for longer
than ``stuck_after_s`` (SIGKILL, OOM, a lost machine) the job goes back to ``queued`` with its
task message re-opened, and the next training worker resumes it from its last checkpoint (its
working folder keeps the frozen data and the checkpoint). A job that used up
``training_max_attempts`` is failed with a reason instead of crash-looping workers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Update, select, update
from sqlalchemy.orm import Session

from core.settings import Settings
from models import Database, JobStatus, OutboxMessage, TrainingJob, utcnow
from models.outbox import TRAIN_ADAPTER, complete, enqueue

log = logging.getLogger(__name__)


def requeue_stale_jobs(database: Database, settings: Settings) -> tuple[int, int]:
    """Queue again (or fail) running jobs with a stale heartbeat; returns (requeued, failed)."""
    stale = utcnow() - timedelta(seconds=settings.stuck_after_s)
    with database.session() as session:
        rows = session.execute(
            select(TrainingJob.id, TrainingJob.attempts).where(
                TrainingJob.status == JobStatus.RUNNING.value, TrainingJob.heartbeat_at < stale
            )
        ).all()
    requeued = failed = 0
    for job_id, attempts in rows:
        with database.session() as session:
            if attempts >= settings.training_max_attempts:
                failed += _fail(session, job_id, attempts, stale)
            else:
                requeued += _requeue(session, job_id, attempts, stale)
    if requeued or failed:
        log.info("training jobs: %d queued again, %d given up", requeued, failed)
    return requeued, failed


def _stale_job(job_id: int, attempts: int, stale: datetime) -> Update:
    """An UPDATE that only matches while the job is as the sweep found it."""
    return (
        update(TrainingJob)
        .where(
            TrainingJob.id == job_id,
            TrainingJob.attempts == attempts,
            TrainingJob.status == JobStatus.RUNNING.value,
            TrainingJob.heartbeat_at < stale,
        )
        .execution_options(synchronize_session=False)
    )


def _fail(session: Session, job_id: int, attempts: int, stale: datetime) -> int:
    reason = f"Gave up after {attempts} attempts: the worker stopped during training each time."
    ended = session.execute(
        _stale_job(job_id, attempts, stale).values(
            status=JobStatus.FAILED.value,
            error=reason,
            finished_at=utcnow(),
            heartbeat_at=None,
            log=TrainingJob.log + f"failed: {reason}\n",
        )
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    complete(session, TRAIN_ADAPTER, job_id)
    return 1


def _requeue(session: Session, job_id: int, attempts: int, stale: datetime) -> int:
    line = "the worker stopped (no heartbeat); queued again to resume from its last checkpoint\n"
    moved = session.execute(
        _stale_job(job_id, attempts, stale).values(
            status=JobStatus.QUEUED.value,
            heartbeat_at=None,
            progress={"phase": "waiting to resume"},
            log=TrainingJob.log + line,
        )
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    # Send the open message again now rather than after the broker's visibility timeout.
    reopened = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.task == TRAIN_ADAPTER[0],
            OutboxMessage.argument == str(job_id),
            OutboxMessage.completed_at.is_(None),
        )
        .values(dispatched_at=None)
        .execution_options(synchronize_session=False)
    )
    if reopened.rowcount == 0:  # type: ignore[attr-defined]
        enqueue(session, TRAIN_ADAPTER, job_id)
    return 1
