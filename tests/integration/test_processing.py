"""Uploads read end to end by a separate Celery worker process, on Postgres and Redis."""

import io
import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Database, Document, Event, Extraction, OutboxMessage, Page
from tests.conftest import csrf_token
from tests.support.documents import INVOICE_LINES, invoice_pdf, page_image, scanned_pdf
from tests.support.waiting import wait_until_done
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.integration


def upload(client: FlaskClient, auth: dict[str, str], data: bytes, name: str, **form: str) -> str:
    response = client.post(
        "/api/v1/documents", headers=auth, data={"file": (io.BytesIO(data), name), **form}
    )
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def test_a_text_pdf_is_read_by_the_worker(
    client: FlaskClient, auth: dict[str, str], database: Database, worker: WorkerProcess
) -> None:
    document_id = upload(client, auth, invoice_pdf(), "march.pdf", type="invoice")
    status = wait_until_done(database, [document_id], log=worker.log_tail())[document_id]
    assert status in {"extracted", "needs_review"}
    with database.session() as session:
        document = session.get_one(Document, document_id)
        pages = session.scalars(select(Page).where(Page.document_id == document.id)).all()
        assert [page.index for page in pages] == [0]
        assert "INV-2024-0042" in pages[0].text
        assert pages[0].width == 1240 and pages[0].image_key
        extraction = session.scalar(select(Extraction).where(Extraction.document_id == document.id))
        assert extraction is not None and extraction.document_type == "invoice"
        events = session.scalars(select(Event.type).where(Event.document_id == document.id)).all()
        assert events[0] == "document.received" and events[-1] == f"document.{status}"
        open_messages = session.scalars(
            select(OutboxMessage).where(OutboxMessage.completed_at.is_(None))
        ).all()
        assert open_messages == []
    export = client.get(f"/api/v1/documents/{document_id}/export", headers=auth).json
    assert export["document"]["status"] == status
    assert set(export["fields"]) >= {"invoice_number", "total_amount"}


def test_the_portal_shows_the_page_with_the_fields(
    client: FlaskClient,
    auth: dict[str, str],
    database: Database,
    worker: WorkerProcess,
    staff_client: FlaskClient,
) -> None:
    token = csrf_token(staff_client, "/documents")
    response = staff_client.post(
        "/documents/upload",
        headers={"X-CSRFToken": token},
        data={"file": (io.BytesIO(scanned_pdf(INVOICE_LINES)), "scan.pdf")},
    )
    document_id = response.json["id"]
    wait_until_done(database, [document_id], log=worker.log_tail())
    page = staff_client.get(f"/documents/{document_id}").get_data(as_text=True)
    assert f"/documents/{document_id}/pages/0.webp" in page
    image = staff_client.get(f"/documents/{document_id}/pages/0.webp")
    assert image.status_code == 200 and image.data[:4] == b"RIFF"
    assert image.headers["Cache-Control"].startswith("private")
    assert staff_client.get(f"/documents/{document_id}/pages/7.webp").status_code == 404


def test_reading_again_replaces_the_result(
    client: FlaskClient, auth: dict[str, str], database: Database, worker: WorkerProcess
) -> None:
    document_id = upload(client, auth, invoice_pdf(tag="again"), "again.pdf")
    wait_until_done(database, [document_id], log=worker.log_tail())
    response = client.post(f"/api/v1/documents/{document_id}/reprocess", headers=auth)
    assert response.status_code == 202 and response.json["status"] == "queued"
    wait_until_done(database, [document_id], log=worker.log_tail())
    with database.session() as session:
        count = session.query(Extraction).filter_by(document_id=document_id).count()
        assert count == 1
        assert session.query(Page).filter_by(document_id=document_id).count() == 1


def test_progress_is_shown_while_a_long_document_is_read(
    client: FlaskClient, auth: dict[str, str], database: Database, worker: WorkerProcess
) -> None:
    scans = [page_image(INVOICE_LINES) for _ in range(6)]
    buffer = io.BytesIO()
    scans[0].save(buffer, format="PDF", save_all=True, append_images=scans[1:])
    document_id = upload(client, auth, buffer.getvalue(), "six-page-scan.pdf")
    seen = []
    deadline = time.monotonic() + 120
    while (body := client.get(f"/api/v1/documents/{document_id}", headers=auth).json)["status"] in {
        "queued",
        "processing",
    }:
        if body["progress"]:
            seen.append((body["progress"]["stage"], body["progress"]["done"]))
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.2)
    assert any(stage == "reading" and 0 < done < 6 for stage, done in seen), seen
    assert body["progress"] is None
