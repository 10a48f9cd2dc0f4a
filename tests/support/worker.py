"""A real Celery worker process for integration tests, started as production starts one."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings
from formlens.commands.serve import worker_argv
from worker.celery_app import QUEUES


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process read ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORMLENS_")}
    for name, value in settings.model_dump().items():
        if value in ("", None):
            continue
        env[f"FORMLENS_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    env["PYTHONUNBUFFERED"] = "1"
    env["OMP_THREAD_LIMIT"] = "1"
    return env


@dataclass
class WorkerProcess:
    settings: Settings
    log_path: Path
    queues: str = ",".join(QUEUES)
    concurrency: int = 2
    beat: bool = True
    pool: str = "prefork"
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            worker_argv(self.queues, self.concurrency, beat=self.beat, pool=self.pool),
            env=settings_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the children too
            cwd=Path(__file__).resolve().parents[2],
        )
        self._wait_ready(offset, timeout)

    def _wait_ready(self, offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the worker exited early:\n{self.log_tail(offset)}")
            if " ready." in self.log_tail(offset):
                return
            time.sleep(0.2)
        raise TimeoutError(f"the worker was not ready in {timeout} s:\n{self.log_tail(offset)}")

    def log_tail(self, offset: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")[-20000:]

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, as a crash or OOM would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
