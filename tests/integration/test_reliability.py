"""Nothing is lost: a worker killed mid-batch, and Redis stopped during uploads.

Each test runs its own database, broker and workers, so the session's worker and sweeper
cannot help (or hide anything).
"""

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.settings import Settings
from models import Database, Document, Extraction, Role, User
from models.accounts import create_token, create_user
from tests.conftest import PASSWORD, create_test_app, make_settings
from tests.support.documents import INVOICE_LINES, text_pdf
from tests.support.servers import RedisServer, free_port
from tests.support.waiting import TERMINAL, statuses, wait_until_done
from tests.support.worker import WorkerProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def api_client(settings: Settings) -> tuple[FlaskClient, dict[str, str]]:
    app = create_test_app(settings)
    database = Database(settings.effective_database_url)
    with database.session() as session:
        user = create_user(session, "robot@example.com", PASSWORD, Role.STAFF)
        _, token = create_token(session, user, "test", ["documents:read", "documents:write"])
    database.engine.dispose()
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def many_page_pdf(number: int, pages: int = 4) -> bytes:
    return text_pdf([INVOICE_LINES] * pages, tag=f"document {number}")


def upload_many(client: FlaskClient, auth: dict[str, str], count: int) -> list[str]:
    ids = []
    for number in range(count):
        response = client.post(
            "/api/v1/documents",
            headers=auth,
            data={"file": (io.BytesIO(many_page_pdf(number)), f"batch-{number}.pdf")},
        )
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


@pytest.fixture
def isolated(tmp_path: Path, fresh_database_url: str, redis_url: str) -> Settings:
    return make_settings(
        tmp_path / "data", fresh_database_url, redis_url, stuck_after_s=5.0, visibility_timeout_s=10
    )


def test_killing_the_worker_mid_batch_loses_nothing_and_duplicates_nothing(
    isolated: Settings, tmp_path: Path
) -> None:
    client, auth = api_client(isolated)
    database = Database(isolated.effective_database_url)
    first = WorkerProcess(isolated, tmp_path / "first.log")
    first.start()
    ids = upload_many(client, auth, 20)
    deadline = time.monotonic() + 60
    while not any(status in TERMINAL for status in statuses(database, ids).values()):
        assert time.monotonic() < deadline, first.log_tail()
        time.sleep(0.05)
    first.kill()
    left = [i for i, status in statuses(database, ids).items() if status not in TERMINAL]
    assert left, "the whole batch finished before the kill; the test proves nothing"

    second = WorkerProcess(isolated, tmp_path / "second.log")
    second.start()
    try:
        done = wait_until_done(database, ids, timeout=120, log=second.log_tail())
    finally:
        second.stop()
    assert set(done.values()) <= {"extracted", "needs_review"}
    with database.session() as session:
        per_document = dict(
            session.execute(
                select(Extraction.document_id, func.count()).group_by(Extraction.document_id)
            ).all()
        )
        assert sorted(str(k) for k in per_document) == sorted(ids)
        assert set(per_document.values()) == {1}
        most_attempts = session.scalar(select(func.max(Document.attempts))) or 0
        assert most_attempts <= isolated.task_max_attempts
    database.engine.dispose()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path, free_port())
    server.start()
    yield server
    server.stop()


def test_uploads_while_redis_is_down_are_processed_when_it_is_back(
    tmp_path: Path, fresh_database_url: str, own_redis: RedisServer
) -> None:
    settings = make_settings(tmp_path / "data", fresh_database_url, own_redis.url)
    client, auth = api_client(settings)
    database = Database(settings.effective_database_url)
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        own_redis.stop()
        started = time.monotonic()
        ids = upload_many(client, auth, 5)
        assert time.monotonic() - started < 30, "uploads must not hang on a dead broker"
        assert set(statuses(database, ids).values()) == {"queued"}
        own_redis.start()
        done = wait_until_done(database, ids, timeout=90, log=worker.log_tail())
    finally:
        worker.stop()
    assert set(done.values()) <= {"extracted", "needs_review"}
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Extraction)) == 5
        assert session.scalar(select(func.count()).select_from(User)) == 1
    database.engine.dispose()
