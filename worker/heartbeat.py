"""A background thread that tells the database a document is still being read.

While a worker reads a document it touches ``heartbeat_at`` every few seconds. If the worker
dies (SIGKILL, OOM, a lost machine) the heartbeat stops, and the sweeper hands the document to
another worker once it is older than ``stuck_after_s``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import update

from core.domain import DocumentStatus
from models import Database, Document, utcnow

log = logging.getLogger(__name__)


def beat(database: Database, document_id: uuid.UUID) -> None:
    with database.session() as session:
        session.execute(
            update(Document)
            .where(Document.id == document_id, Document.status == DocumentStatus.PROCESSING.value)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )


@contextmanager
def heartbeat(database: Database, document_id: uuid.UUID, every_s: float) -> Iterator[None]:
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(max(every_s, 0.5)):
            try:
                beat(database, document_id)
            except Exception:  # a missed beat is harmless; a dead thread would not be
                log.warning("heartbeat for %s failed", document_id, exc_info=True)

    thread = threading.Thread(target=run, name=f"heartbeat-{document_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
