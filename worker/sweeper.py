"""The periodic sweep that makes the queue lossless.

Run by Celery beat every ``sweep_interval_s``. It hands documents whose worker died (stale
heartbeat) to the next worker, fails those that exhausted their attempts, does the same for
training jobs (:mod:`worker.training.recovery`), queues the webhook retries that came due, and
publishes the outbox messages that the broker never got or lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from core.domain import DocumentStatus
from core.settings import Settings
from models import Database, Document, OutboxMessage, utcnow
from models.outbox import PROCESS_DOCUMENT, enqueue
from worker.outbox import Publisher, publish, publish_due
from worker.recording import record_failure
from worker.training.recovery import requeue_stale_jobs
from worker.webhooks.delivery import release_due_retries

log = logging.getLogger(__name__)

# Give the web process's own publish a moment before the sweeper sends the same message.
PUBLISH_GRACE_S = 5.0


@dataclass(frozen=True, slots=True)
class SweepReport:
    requeued: int
    failed: int
    published: int
    retried: int = 0
    jobs_requeued: int = 0
    jobs_failed: int = 0


def sweep(database: Database, publisher: Publisher, settings: Settings) -> SweepReport:
    requeued, failed = requeue_stale(database, settings)
    jobs_requeued, jobs_failed = requeue_stale_jobs(database, settings)
    retried = publish(database, publisher, release_due_retries(database))
    published = publish_due(
        database,
        publisher,
        grace_s=PUBLISH_GRACE_S,
        redispatch_after_s=float(settings.visibility_timeout_s),
    )
    report = SweepReport(requeued, failed, published, retried, jobs_requeued, jobs_failed)
    if requeued or failed or published or retried or jobs_requeued or jobs_failed:
        log.info("sweep: %s", report)
    return report


def requeue_stale(database: Database, settings: Settings) -> tuple[int, int]:
    """Put documents whose worker stopped beating back in the queue (or fail them)."""
    stale = utcnow() - timedelta(seconds=settings.stuck_after_s)
    with database.session() as session:
        rows = session.execute(
            select(Document.id, Document.attempts).where(
                Document.status == DocumentStatus.PROCESSING.value,
                Document.heartbeat_at < stale,
            )
        ).all()
    requeued = failed = 0
    for document_id, attempts in rows:
        if attempts >= settings.task_max_attempts:
            reason = (
                f"Gave up after {attempts} attempts: the worker stopped while reading this "
                "document each time."
            )
            record_failure(database, document_id, attempts, reason)
            failed += 1
        elif _requeue(database, document_id, attempts, stale):
            requeued += 1
    return requeued, failed


def _requeue(database: Database, document_id: object, attempts: int, stale: object) -> bool:
    with database.session() as session:
        moved = session.execute(
            update(Document)
            .where(
                Document.id == document_id,
                Document.attempts == attempts,
                Document.status == DocumentStatus.PROCESSING.value,
                Document.heartbeat_at < stale,
            )
            .values(status=DocumentStatus.QUEUED.value, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return False
        # Send the open message again now rather than after the broker's visibility timeout.
        reopened = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.argument == str(document_id), OutboxMessage.completed_at.is_(None))
            .values(dispatched_at=None)
            .execution_options(synchronize_session=False)
        )
        if reopened.rowcount == 0:  # type: ignore[attr-defined]
            enqueue(session, PROCESS_DOCUMENT, document_id)
    return True
