"""Fixtures shared by the whole suite: real PostgreSQL, Redis, Celery workers and the app.

Servers: the ones listening on 127.0.0.1 (5432, 6379) when there are some, otherwise
throwaway servers started from the installed binaries (``FORMLENS_TEST_THROWAWAY=1`` forces
throwaway ones). Each test session gets its own database and its own Redis key prefix, so
several runs can share one server.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core.settings import Settings
from migrations.config import upgrade
from models import Base, Database, Role
from models.accounts import create_token, create_user
from models.seed import seed_document_types
from tests.support.servers import (
    LOCAL_POSTGRES,
    LOCAL_REDIS,
    listening,
    scratch_database,
    throwaway_postgres,
    throwaway_redis,
)
from tests.support.worker import WorkerProcess

PASSWORD = "correct horse battery"
FORCE_THROWAWAY = os.environ.get("FORMLENS_TEST_THROWAWAY") == "1"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL of a PostgreSQL server's maintenance database."""
    if listening(LOCAL_POSTGRES) and not FORCE_THROWAWAY:
        yield "postgresql://postgres@127.0.0.1:5432/postgres"
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if listening(LOCAL_REDIS) and not FORCE_THROWAWAY:
        yield "redis://127.0.0.1:6379/0"
        return
    with throwaway_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


@pytest.fixture(scope="session")
def database_url(postgres_server: str) -> Iterator[str]:
    """A fresh database for this test session, dropped at the end."""
    with scratch_database(postgres_server) as url:
        yield url


def make_settings(
    data_dir: Path, database_url: str, broker_url: str, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "broker_url": broker_url,
        "broker_prefix": f"fltest-{uuid.uuid4().hex[:8]}:",
        "secret_key": "test-secret-key-" + "x" * 32,
        "sweep_interval_s": 1.0,
        "stuck_after_s": 6.0,
        "visibility_timeout_s": 60,
        "login_rate_limit": "1000 per minute",
        "upload_rate_limit": "1000 per minute",
        "ocr_languages": "eng",
        # Webhook tests deliver to receivers on 127.0.0.1, and retry in seconds, not days.
        "webhook_allow_private": True,
        "webhook_retry_schedule": "0.3,0.3,0.3,0.3,0.3,0.3",
        "webhook_timeout_s": 5.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str
) -> Settings:
    return make_settings(tmp_path_factory.mktemp("data"), database_url, redis_url)


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> Iterator[Database]:
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def database(migrated: Database) -> Database:
    """The session's database, emptied and re-seeded for this test."""
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    for attempt in range(5):
        try:
            with migrated.session() as session:
                session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                seed_document_types(session)
            break
        except OperationalError:
            # The session's worker may still be writing a previous test's document; TRUNCATE
            # then loses a deadlock. Its write is about to finish: try again.
            if attempt == 4:
                raise
            time.sleep(0.5)
    return migrated


@pytest.fixture
def app(settings: Settings, database: Database) -> Iterator[Flask]:
    app = create_test_app(settings)
    yield app
    app.extensions["formlens"].database.engine.dispose()


def create_test_app(settings: Settings) -> Flask:
    from web import create_app  # noqa: PLC0415 - keeps web out of pure unit-test imports

    return create_app(settings, testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(database: Database) -> int:
    with database.session() as session:
        return create_user(session, "admin@example.com", PASSWORD, Role.ADMIN, "Ada Admin").id


@pytest.fixture
def staff(database: Database) -> int:
    with database.session() as session:
        return create_user(session, "staff@example.com", PASSWORD, Role.STAFF, "Sam Staff").id


def token_for(database: Database, user_id: int, *scopes: str) -> str:
    from models import User  # noqa: PLC0415

    with database.session() as session:
        user = session.get_one(User, user_id)
        _, token = create_token(
            session, user, "test", scopes or ("documents:read", "documents:write")
        )
    return token


@pytest.fixture
def api_token(database: Database, staff: int) -> str:
    return token_for(database, staff)


@pytest.fixture
def auth(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page hands out (CSRF protection stays on in tests)."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def staff_client(client: FlaskClient, staff: int) -> FlaskClient:
    login(client, "staff@example.com")
    return client


@pytest.fixture
def admin_client(client: FlaskClient, admin: int) -> FlaskClient:
    login(client, "admin@example.com")
    return client


@pytest.fixture
def fresh_database_url(postgres_server: str) -> Iterator[str]:
    """A migrated database of its own, for tests that run their own workers and sweepers."""
    with scratch_database(postgres_server, "formlens_iso") as url:
        upgrade(url)
        database = Database(url)
        with database.session() as session:
            seed_document_types(session)
        database.engine.dispose()
        yield url


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random PaliGemma checkpoint at 896 px, loaded through the real code path."""
    from worker.engines.paligemma.tiny import build_tiny_checkpoint  # noqa: PLC0415 - torch

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-paligemma"), image_size=896)


@pytest.fixture(scope="session")
def worker(
    settings: Settings, migrated: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One Celery worker process (with the sweeper) for the session's integration tests."""
    process = WorkerProcess(settings, tmp_path_factory.mktemp("logs") / "worker.log")
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random PaliGemma checkpoint for the admin and training tests: the real layout, at
    448 px (1024 image tokens, far cheaper on a CPU than the 896 px default)."""
    from worker.engines.paligemma.tiny import build_tiny_checkpoint  # noqa: PLC0415 - torch

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-paligemma"), image_size=448)


@pytest.fixture(scope="session")
def tiny_adapter(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    """A stamped random LoRA adapter (peft folder, safetensors) for ``tiny_model``."""
    from worker.engines.paligemma.tiny import build_tiny_adapter  # noqa: PLC0415 - torch

    return build_tiny_adapter(tiny_model, tmp_path_factory.mktemp("tiny-adapter") / "adapter")
