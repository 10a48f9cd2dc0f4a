"""A receiver that hangs holds up neither other receivers nor the reading of documents.

Runs the production topology on its own database and broker: a CPU worker for the ``cpu``
queue (with the sweeper), and a separate webhooks worker with a thread pool of its own.
"""

import io
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core.settings import Settings
from models import Database, WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.conftest import make_settings
from tests.integration.test_reliability import api_client
from tests.integration.test_webhooks import emit
from tests.support.documents import invoice_pdf
from tests.support.receiver import running_receiver
from tests.support.waiting import wait_until_done
from tests.support.worker import WorkerProcess
from worker.webhooks.delivery import SENDING

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TIMEOUT_S = 12.0


@pytest.fixture
def isolated(tmp_path: Path, fresh_database_url: str, redis_url: str) -> Settings:
    return make_settings(
        tmp_path / "data", fresh_database_url, redis_url, webhook_timeout_s=TIMEOUT_S
    )


def statuses_by_url(database: Database) -> dict[str, list[str]]:
    with database.session() as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.subscription.url, []).append(row.status)
        return found


def test_a_hanging_receiver_blocks_neither_other_deliveries_nor_extraction(
    isolated: Settings, tmp_path: Path
) -> None:
    client, auth = api_client(isolated)
    admin = make_admin_token(isolated)
    database = Database(isolated.effective_database_url)
    cpu = WorkerProcess(isolated, tmp_path / "cpu.log", queues="cpu,gpu,training", concurrency=1)
    hooks = WorkerProcess(
        isolated,
        tmp_path / "hooks.log",
        queues="webhooks",
        concurrency=4,
        beat=False,
        pool="threads",
    )
    with running_receiver() as healthy, running_receiver() as hanging:
        hanging.answer = hanging.hang()
        for url in (hanging.url, healthy.url):
            body = {"url": url, "event_types": ["document.received"]}
            assert client.post("/api/v1/webhooks", headers=admin, json=body).status_code == 201
        cpu.start()
        hooks.start()
        try:
            started = time.monotonic()
            emit(isolated, database)
            emit(isolated, database)
            healthy.wait_for(2, timeout=10)
            hanging.wait_for(2, timeout=10)
            # Both requests to the hanging receiver are in flight, and the others went past.
            assert statuses_by_url(database)[hanging.url] == [SENDING, SENDING]
            assert time.monotonic() - started < TIMEOUT_S
            uploaded = client.post(
                "/api/v1/documents",
                headers=auth,
                data={"file": (io.BytesIO(invoice_pdf(tag="hang")), "hang.pdf")},
            )
            document_id = uploaded.json["id"]
            wait_until_done(database, [document_id], timeout=TIMEOUT_S, log=cpu.log_tail())
            assert statuses_by_url(database)[hanging.url][:2] == [SENDING, SENDING]
            assert time.monotonic() - started < TIMEOUT_S  # read while the receiver hung
            timed_out = first_attempts(database, hanging.url, 2, deadline=TIMEOUT_S + 15)
            deadline = time.monotonic() + 15  # the upload's own event, published by the sweeper
            while set(statuses_by_url(database)[healthy.url]) != {"delivered"}:
                assert time.monotonic() < deadline, hooks.log_tail()
                time.sleep(0.2)
        finally:
            hooks.stop()
            cpu.stop()
    assert all("timed out" in (a.error or "") for a in timed_out), hooks.log_tail()
    assert all((a.latency_ms or 0) >= TIMEOUT_S * 900 for a in timed_out)
    assert len(statuses_by_url(database)[healthy.url]) == 3
    database.engine.dispose()


def first_attempts(
    database: Database, url: str, count: int, deadline: float
) -> list[WebhookAttempt]:
    """The first ``count`` logged attempts to ``url``, waiting up to ``deadline`` seconds."""
    until = time.monotonic() + deadline
    while True:
        with database.session() as session:
            found = list(
                session.scalars(
                    select(WebhookAttempt)
                    .join(WebhookDelivery)
                    .join(WebhookSubscription)
                    .where(WebhookSubscription.url == url)
                    .order_by(WebhookAttempt.id)
                    .limit(count)
                )
            )
        if len(found) >= count or time.monotonic() > until:
            assert len(found) == count, f"{len(found)} attempts logged to {url}"
            return found
        time.sleep(0.2)


def make_admin_token(settings: Settings) -> dict[str, str]:
    from models import Role  # noqa: PLC0415
    from models.accounts import create_token, create_user  # noqa: PLC0415
    from tests.conftest import PASSWORD  # noqa: PLC0415

    database = Database(settings.effective_database_url)
    with database.session() as session:
        user = create_user(session, "root@example.com", PASSWORD, Role.ADMIN)
        _, token = create_token(session, user, "test", ["admin"])
    database.engine.dispose()
    return {"Authorization": f"Bearer {token}"}
