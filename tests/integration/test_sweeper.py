"""The sweeper against real PostgreSQL and Redis: stale work is requeued, lost messages resent,
and a document that keeps killing its worker is failed after a bounded number of tries."""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from core.settings import Settings
from models import Database, Document, OutboxMessage, utcnow
from models.outbox import PROCESS_DOCUMENT, enqueue
from web.queue import Queue
from worker.sweeper import sweep

pytestmark = pytest.mark.integration


def add_document(database: Database, *, status: str, attempts: int, beat_ago_s: float) -> uuid.UUID:
    with database.session() as session:
        document = Document(
            sha256=uuid.uuid4().hex * 2,
            filename="x.pdf",
            storage_key="0" * 64,
            mime_type="application/pdf",
            size_bytes=1,
            page_count=1,
            status=status,
            attempts=attempts,
            heartbeat_at=utcnow() - timedelta(seconds=beat_ago_s),
        )
        session.add(document)
        session.flush()
        message = enqueue(session, PROCESS_DOCUMENT, document.id)
        message.created_at = message.dispatched_at = utcnow() - timedelta(seconds=beat_ago_s)
        return document.id


def queued_messages(settings: Settings) -> int:
    client = redis.Redis.from_url(settings.effective_broker_url)
    return int(client.llen(f"{settings.broker_prefix}cpu"))


@pytest.fixture
def isolated(settings: Settings, fresh_database_url: str) -> Settings:
    """The session's settings on a database and a broker prefix of their own: the session's
    worker, whose beat sweeps every second, never sees these documents or messages (it would
    otherwise requeue and publish them too, and its worker start them)."""
    update = {
        "broker_prefix": f"sweeper-{uuid.uuid4().hex[:8]}:",
        "database_url": fresh_database_url,
    }
    return settings.model_copy(update=update)


@pytest.fixture
def database(isolated: Settings) -> Iterator[Database]:
    """This module's own database (the conftest fixture of this name is the session's)."""
    database = Database(isolated.effective_database_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def publisher(isolated: Settings, database: Database):
    return Queue(isolated, database)._send


def test_a_dead_workers_document_is_requeued_and_sent_again(
    isolated: Settings, database: Database, publisher
) -> None:
    before = queued_messages(isolated)
    stale = add_document(database, status="processing", attempts=1, beat_ago_s=60)
    alive = add_document(database, status="processing", attempts=1, beat_ago_s=0)
    report = sweep(database, publisher, isolated)
    assert (report.requeued, report.failed) == (1, 0)
    assert report.published == 1 and queued_messages(isolated) == before + 1
    with database.session() as session:
        assert session.get_one(Document, stale).status == "queued"
        assert session.get_one(Document, alive).status == "processing"


def test_a_document_that_exhausted_its_attempts_fails_with_a_reason(
    isolated: Settings, database: Database, publisher
) -> None:
    settings = isolated
    poisoned = add_document(
        database, status="processing", attempts=settings.task_max_attempts, beat_ago_s=60
    )
    report = sweep(database, publisher, settings)
    assert report.failed == 1
    with database.session() as session:
        document = session.get_one(Document, poisoned)
        assert document.status == "failed"
        assert f"Gave up after {settings.task_max_attempts} attempts" in (document.error or "")
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.argument == str(poisoned))
        )
        assert message is not None and message.completed_at is not None


def test_messages_the_broker_never_got_are_sent(
    isolated: Settings, database: Database, publisher
) -> None:
    with database.session() as session:
        message = enqueue(session, PROCESS_DOCUMENT, uuid.uuid4())
        message.created_at = utcnow() - timedelta(seconds=30)
    before = queued_messages(isolated)
    assert sweep(database, publisher, isolated).published == 1
    assert queued_messages(isolated) == before + 1
    assert sweep(database, publisher, isolated).published == 0  # sent once, not every sweep
