"""A background thread that tells the database a document is still being read, and how far.

While a worker reads a document it touches ``heartbeat_at`` (and writes the progress the
pipeline reported) every couple of seconds. If the worker dies (SIGKILL, OOM, a lost machine)
the heartbeat stops, and the sweeper hands the document to another worker once it is older
than ``stuck_after_s``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update

from core.domain import DocumentStatus
from models import Database, Document, utcnow

log = logging.getLogger(__name__)


class Progress:
    """The latest progress of one document, written by the pipeline, read by the heartbeat."""

    def __init__(self, total: int) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"stage": "reading", "done": 0, "total": total}

    def update(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._state = {"stage": stage, "done": done, "total": total}

    def pages_read(self, done: int, total: int) -> None:
        self.update("reading", done, total)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)


def beat(database: Database, document_id: uuid.UUID, progress: Progress) -> None:
    with database.session() as session:
        session.execute(
            update(Document)
            .where(Document.id == document_id, Document.status == DocumentStatus.PROCESSING.value)
            .values(heartbeat_at=utcnow(), progress=progress.snapshot())
            .execution_options(synchronize_session=False)
        )


@contextmanager
def heartbeat(
    database: Database, document_id: uuid.UUID, progress: Progress, every_s: float
) -> Iterator[None]:
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(max(every_s, 0.5)):
            try:
                beat(database, document_id, progress)
            except Exception:  # a missed beat is harmless; a dead thread would not be
                log.warning("heartbeat for %s failed", document_id, exc_info=True)

    thread = threading.Thread(target=run, name=f"heartbeat-{document_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
