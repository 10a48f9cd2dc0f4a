"""Bad input gets a clear answer and nothing gets stuck: 4xx with a message, or ``failed``."""

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from core.storage import BlobStore
from models import Database, Document
from tests.conftest import create_test_app, make_settings
from tests.support import bad_files
from tests.support.documents import invoice_pdf
from tests.support.waiting import wait_until_done
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def small_app(settings: Settings, database: Database) -> Flask:
    limited = settings.model_copy(update={"max_upload_bytes": 200_000, "max_pages": 10})
    return create_test_app(limited)


BAD = [
    ("not-a-document", b"MZ\x90\x00 an executable", "a.pdf", 415, "Only PDF, PNG, JPEG and TIFF"),
    ("too-large", b"%PDF-1.4\n" + b"0" * 300_000, "a.pdf", 413, "larger than the limit"),
    ("empty", b"", "a.pdf", 422, "empty"),
    ("encrypted", bad_files.encrypted_pdf(), "a.pdf", 422, "encrypted"),
    ("truncated", invoice_pdf()[:200], "a.pdf", 422, "truncated or damaged"),
    ("page-bomb", bad_files.page_count_bomb(11), "a.pdf", 422, "11 pages; the limit is 10"),
    ("pixel-bomb", bad_files.decompression_bomb_png(), "a.png", 422, "too many pixels"),
    ("path-traversal", invoice_pdf(), "../../etc/passwd", 400, "plain name, not a path"),
]


@pytest.mark.parametrize(
    ("data", "name", "status", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_uploads_get_a_4xx_with_a_message(
    small_app: Flask, auth: dict[str, str], data: bytes, name: str, status: int, message: str
) -> None:
    client = small_app.test_client()
    response = client.post(
        "/api/v1/documents", headers=auth, data={"file": (io.BytesIO(data), name)}
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert message in response.json["error"]["message"]


def test_refused_uploads_leave_no_blob_behind(
    small_app: Flask, auth: dict[str, str], settings: Settings
) -> None:
    before = set(settings.blob_dir.rglob("*")) if settings.blob_dir.exists() else set()
    encrypted = {"file": (io.BytesIO(bad_files.encrypted_pdf()), "x.pdf")}
    small_app.test_client().post("/api/v1/documents", headers=auth, data=encrypted)
    after = set(settings.blob_dir.rglob("*"))
    assert {p for p in after - before if p.is_file()} == set()


def test_a_request_over_the_body_limit_is_413_json(
    client: FlaskClient, auth: dict[str, str], settings: Settings
) -> None:
    big = b"%PDF-1.4\n" + b"0" * (settings.max_upload_bytes + 2 * 1024 * 1024)
    response = client.post(
        "/api/v1/documents", headers=auth, data={"file": (io.BytesIO(big), "big.pdf")}
    )
    assert response.status_code == 413 and "error" in response.json


def test_documents_the_worker_cannot_read_fail_with_a_reason(
    tmp_path: Path, fresh_database_url: str, redis_url: str
) -> None:
    """A lost blob, a blank page, a giant page: each ends in a terminal state, none kills the
    worker."""
    settings = make_settings(tmp_path / "data", fresh_database_url, redis_url)
    from tests.integration.test_reliability import api_client  # noqa: PLC0415

    client, auth = api_client(settings)
    ids = {}
    for name, data in {
        "lost.pdf": invoice_pdf(tag="lost"),
        "blank.pdf": bad_files.blank_page_pdf(),
        "giant.pdf": bad_files.huge_page_pdf(),
        "logo.pdf": bad_files.logo_only_pdf(),
        "sideways.png": bad_files.rotated_scan(),
        "broken-xml.pdf": bad_files.broken_facturx_pdf(),
    }.items():
        response = client.post(
            "/api/v1/documents", headers=auth, data={"file": (io.BytesIO(data), name)}
        )
        assert response.status_code == 201, response.json
        ids[name] = response.json["id"]
    database = Database(settings.effective_database_url)
    with database.session() as session:
        lost = session.get_one(Document, ids["lost.pdf"])
        BlobStore(settings.blob_dir).path(lost.storage_key).unlink()
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        done = wait_until_done(database, list(ids.values()), timeout=90, log=worker.log_tail())
        assert worker.process is not None and worker.process.poll() is None
    finally:
        worker.stop()
    assert done[ids["lost.pdf"]] == "failed"
    for name in ("blank.pdf", "giant.pdf", "logo.pdf", "sideways.png", "broken-xml.pdf"):
        assert done[ids[name]] in {"needs_review", "extracted"}, name
    with database.session() as session:
        error = session.get_one(Document, ids["lost.pdf"]).error
        assert error == "The stored file of this document is missing from the data directory."
    database.engine.dispose()
