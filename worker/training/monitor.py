"""The job row while a worker trains: heartbeat, progress, log lines, and cancel requests.

A background thread writes, every few seconds and in one UPDATE, the heartbeat, the latest
progress and the log lines added since, and reads back whether an admin asked to cancel. The
UPDATE only matches while the job is still running in the attempt this worker claimed: when
the sweeper handed the job to another worker (this one's heartbeat went stale), the write
matches nothing and the training loop stops at its next step instead of racing the new owner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from models import Database, JobStatus, TrainingJob, utcnow
from worker.training.progress import StepReport

log = logging.getLogger(__name__)
MAX_LINES_PER_ATTEMPT = 5000


class JobCancelled(Exception):
    """An admin cancelled the job."""


class JobLost(Exception):
    """The job is no longer this worker's (handed to another, or deleted)."""


class JobMonitor:
    def __init__(self, database: Database, job_id: int, attempt: int, every_s: float) -> None:
        self.database = database
        self.job_id = job_id
        self.attempt = attempt
        self.every_s = max(0.5, every_s)
        self._lock = threading.Lock()
        self._progress: dict[str, Any] = {"phase": "starting"}
        self._pending: list[str] = []
        self._lines = 0
        self._cancelled = threading.Event()
        self._lost = threading.Event()

    # -- what the stages tell ---------------------------------------------------------------

    def phase(self, name: str, **extra: Any) -> None:
        with self._lock:
            self._progress = {**self._progress, "phase": name, **extra}
        self.log(name)

    def on_step(self, report: StepReport) -> None:
        eta = report.elapsed_s / max(report.step, 1) * (report.total_steps - report.step)
        with self._lock:
            self._progress = {
                "phase": "training",
                "step": report.step,
                "total_steps": report.total_steps,
                "epoch": report.epoch,
                "loss": round(report.loss, 4),
                "elapsed_s": round(report.elapsed_s, 1),
                "eta_s": round(eta, 1),
            }

    def log(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        log.info("training job %s: %s", self.job_id, message)
        with self._lock:
            if self._lines < MAX_LINES_PER_ATTEMPT:
                self._pending.append(f"{stamp} {message}\n")
                self._lines += 1

    def check(self) -> None:
        """Called between steps and stages: stop if cancelled or no longer ours."""
        if self._lost.is_set():
            raise JobLost(f"job {self.job_id} was handed to another worker")
        if self._cancelled.is_set():
            raise JobCancelled(f"job {self.job_id} was cancelled")

    @property
    def progress(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._progress)

    def pending_log(self) -> str:
        """Lines not written yet, taken (the job's final write carries them)."""
        with self._lock:
            lines, self._pending = self._pending, []
        return "".join(lines)

    # -- the heartbeat -----------------------------------------------------------------------

    def beat(self) -> None:
        lines = self.pending_log()
        with self.database.session() as session:
            found = session.execute(
                update(TrainingJob)
                .where(
                    TrainingJob.id == self.job_id,
                    TrainingJob.status == JobStatus.RUNNING.value,
                    TrainingJob.attempts == self.attempt,
                )
                .values(
                    heartbeat_at=utcnow(),
                    progress=self.progress,
                    log=TrainingJob.log + lines,
                )
                .returning(TrainingJob.cancel_requested)
            ).first()
        if found is None:
            self._lost.set()
        elif found.cancel_requested:
            self._cancelled.set()

    @contextmanager
    def running(self) -> Iterator[JobMonitor]:
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(self.every_s):
                try:
                    self.beat()
                except Exception:  # a missed beat is harmless; a dead thread would not be
                    log.warning("heartbeat of training job %s failed", self.job_id, exc_info=True)

        thread = threading.Thread(target=run, name=f"training-{self.job_id}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
