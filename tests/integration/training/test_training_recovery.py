"""A training job survives its worker: killed mid-training, it is queued again by the sweeper and
resumed from its checkpoint; a job that keeps killing workers is given up; a cancel stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.settings import Settings
from models import Adapter, Database, OutboxMessage, TrainingJob, utcnow
from models.outbox import TRAIN_ADAPTER, enqueue
from tests.integration.training.conftest import MEMORISE
from tests.integration.training.test_training_job import queue_job
from tests.support.worker import settings_env
from worker.context import WorkerContext
from worker.training.job import run_training_job
from worker.training.recovery import requeue_stale_jobs
from worker.training.trainer import CHECKPOINT

pytestmark = pytest.mark.integration
SLOW_STEPS = replace(MEMORISE, batch_size=1, epochs=40)  # 120 one-example steps


def job_row(database: Database, job_id: int) -> TrainingJob:
    with database.session() as session:
        return session.get_one(TrainingJob, job_id)


def wait_for(condition, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_killed_worker_s_job_resumes_from_its_checkpoint(
    training_settings: Settings, database: Database, four_receipts: list[str]
) -> None:
    settings = training_settings.model_copy(
        update={"training_checkpoint_every_s": 0.0, "stuck_after_s": 2.0}
    )
    job_id = queue_job(database, SLOW_STEPS)
    with database.session() as session:
        enqueue(session, TRAIN_ADAPTER, job_id)
    code = (
        "from worker.context import WorkerContext; from core.settings import load_settings; "
        "from worker.training.job import run_training_job; "
        f"run_training_job(WorkerContext.build(load_settings()), {job_id})"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env=settings_env(settings),
        cwd=Path.cwd(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    workdir = settings.training_dir / f"job-{job_id}"
    try:
        wait_for(lambda: (job_row(database, job_id).progress.get("step") or 0) >= 5, what="steps")
        wait_for((workdir / CHECKPOINT / "meta.json").exists, what="a checkpoint")
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # as an OOM kill or a lost machine would
        child.wait(timeout=10)
    killed_at = job_row(database, job_id).progress["step"]
    assert job_row(database, job_id).status == "running"

    wait_for(lambda: requeue_stale_jobs(database, settings) == (1, 0), 20, "the sweeper")
    job = job_row(database, job_id)
    assert job.status == "queued" and job.progress["phase"] == "waiting to resume"
    with database.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert message.dispatched_at is None and message.completed_at is None  # sent again

    outcome = run_training_job(WorkerContext.build(settings), job_id)
    assert outcome == "trained receipt@v1", job_row(database, job_id).log
    job = job_row(database, job_id)
    assert job.attempts == 2 and job.status == "succeeded"
    assert "queued again to resume from its last checkpoint" in job.log
    assert "reusing the data of the earlier attempt (3 examples)" in job.log
    resumed_at = job.metrics["resumed_at_step"]
    assert killed_at - 1 <= resumed_at < 120 and job.metrics["steps"] == 120
    assert not workdir.exists()


def test_a_job_that_keeps_killing_workers_is_given_up(
    training_settings: Settings, database: Database
) -> None:
    job_id = queue_job(database, MEMORISE)
    stale = utcnow() - timedelta(minutes=10)
    with database.session() as session:
        enqueue(session, TRAIN_ADAPTER, job_id)
        session.execute(
            update(TrainingJob).values(status="running", attempts=3, heartbeat_at=stale)
        )
    assert requeue_stale_jobs(database, training_settings) == (0, 1)
    job = job_row(database, job_id)
    assert job.status == "failed" and "Gave up after 3 attempts" in (job.error or "")
    with database.session() as session:
        assert session.scalars(select(OutboxMessage.completed_at)).one() is not None


def test_a_running_job_stops_when_cancelled(
    training_settings: Settings, database: Database, four_receipts: list[str]
) -> None:
    job_id = queue_job(database, SLOW_STEPS)
    outcomes: list[str] = []
    runner = threading.Thread(
        target=lambda: outcomes.append(
            run_training_job(WorkerContext.build(training_settings), job_id)
        )
    )
    runner.start()
    wait_for(lambda: (job_row(database, job_id).progress.get("step") or 0) >= 2, what="steps")
    with database.session() as session:
        session.execute(update(TrainingJob).values(cancel_requested=True))
    runner.join(timeout=120)
    assert outcomes == ["cancelled: cancelled by an admin"]
    job = job_row(database, job_id)
    assert job.status == "cancelled" and job.progress["step"] < 120
    assert not (training_settings.training_dir / f"job-{job_id}").exists()
    with database.session() as session:
        assert session.scalars(select(Adapter)).all() == []
