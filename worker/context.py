"""What a worker process holds for its whole life: settings, database, blob store, engines.

Built lazily on first use and rebuilt if the process id changes, so a forked pool child never
shares its parent's database connections or model weights.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from core.settings import Settings, load_settings
from core.storage import BlobStore
from models import Database
from worker.engines.registry import EngineRegistry


@dataclass
class WorkerContext:
    settings: Settings
    database: Database
    blobs: BlobStore
    engines: EngineRegistry
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def build(cls, settings: Settings) -> WorkerContext:
        return cls(
            settings=settings,
            database=Database(settings.effective_database_url),
            blobs=BlobStore(settings.blob_dir),
            engines=EngineRegistry(settings),
        )


_lock = threading.Lock()
_context: WorkerContext | None = None
_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Set the settings this process's context is built from (the Celery entry calls this)."""
    global _settings, _context  # noqa: PLW0603 - one context per process, by design
    with _lock:
        _settings = settings
        _context = None


def get_context() -> WorkerContext:
    global _context  # noqa: PLW0603
    with _lock:
        if _context is None or _context.pid != os.getpid():
            _context = WorkerContext.build(_settings or load_settings())
        return _context


def reset_after_fork() -> None:
    """Drop (without closing) connections inherited from the parent process."""
    global _context  # noqa: PLW0603
    with _lock:
        if _context is not None:
            _context.database.dispose()
        _context = None
