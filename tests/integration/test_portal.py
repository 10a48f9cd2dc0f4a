"""The portal for people: logins, CSRF, uploads and the document pages."""

import io
import re
import uuid

import pytest
from flask.testing import FlaskClient

from models import Database, Document
from tests.conftest import PASSWORD, csrf_token, login
from tests.support.documents import invoice_pdf

pytestmark = pytest.mark.integration


def test_every_page_needs_a_login(client: FlaskClient) -> None:
    for path in (
        "/",
        "/documents",
        "/documents/rows",
        "/documents/00000000-0000-0000-0000-000000000000",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_wrong_password_is_refused_without_saying_why(client: FlaskClient, staff: int) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": "staff@example.com", "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 200
    assert "The e-mail or password is not right." in response.get_data(as_text=True)
    unknown = client.post(
        "/login", data={"email": "who@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert "The e-mail or password is not right." in unknown.get_data(as_text=True)


def test_forms_without_a_csrf_token_are_refused(client: FlaskClient, staff: int) -> None:
    response = client.post("/login", data={"email": "staff@example.com", "password": PASSWORD})
    assert response.status_code == 400
    login(client, "staff@example.com")
    upload = client.post("/documents/upload", data={"file": (io.BytesIO(invoice_pdf()), "a.pdf")})
    assert upload.status_code == 400


def test_login_only_redirects_within_the_site(client: FlaskClient, staff: int) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": "staff@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/documents"


def test_upload_from_the_portal_and_see_it_listed(staff_client: FlaskClient) -> None:
    token = csrf_token(staff_client, "/documents")
    response = staff_client.post(
        "/documents/upload",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
        data={
            "file": (io.BytesIO(invoice_pdf()), "march<img src=x onerror=alert(1)>.pdf"),
            "type": "invoice",
        },
    )
    assert response.status_code == 201, response.json
    page = staff_client.get("/documents").get_data(as_text=True)
    assert "march&lt;img src=x onerror=alert(1)&gt;.pdf" in page and "<img src=x" not in page
    detail = staff_client.get(response.json["url"]).get_data(as_text=True)
    assert "march&lt;img" in detail and "<img src=x" not in detail


def add_document(database: Database, status: str) -> str:
    """A document row alone, with no outbox message: no worker will ever touch it."""
    with database.session() as session:
        document = Document(
            sha256=uuid.uuid4().hex * 2,
            filename=f"{status}.pdf",
            storage_key="0" * 64,
            mime_type="application/pdf",
            size_bytes=1,
            page_count=3,
            status=status,
            progress={"stage": "reading", "done": 1, "total": 3} if status == "processing" else {},
        )
        session.add(document)
        session.flush()
        return str(document.id)


def test_the_list_stays_live_only_while_documents_are_being_read(
    staff_client: FlaskClient, database: Database
) -> None:
    add_document(database, "extracted")
    assert 'hx-trigger="every' not in staff_client.get("/documents").get_data(as_text=True)
    reading = add_document(database, "processing")
    page = staff_client.get("/documents").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in page and "1/3" in page
    status = staff_client.get(f"/documents/{reading}").get_data(as_text=True)
    assert '<progress max="3" value="1">' in status and "reading page 2 of 3" in status
    queued = add_document(database, "queued")
    assert "waiting for a worker" in staff_client.get(f"/documents/{queued}").get_data(as_text=True)


def test_refusals_are_messages_not_errors(staff_client: FlaskClient) -> None:
    token = csrf_token(staff_client, "/documents")
    response = staff_client.post(
        "/documents/upload",
        headers={"X-CSRFToken": token},
        data={"file": (io.BytesIO(b"PK\x03\x04 zip"), "invoice.pdf")},
    )
    assert response.status_code == 415
    assert response.json["error"]["message"] == "Only PDF, PNG, JPEG and TIFF files can be read."


def test_pages_send_security_headers(staff_client: FlaskClient) -> None:
    response = staff_client.get("/documents")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert not re.search(r"<script>[^<]", response.get_data(as_text=True))  # no inline scripts


def test_login_attempts_are_rate_limited(settings, database, staff: int) -> None:
    from tests.conftest import create_test_app  # noqa: PLC0415

    app = create_test_app(settings.model_copy(update={"login_rate_limit": "3 per minute"}))
    client = app.test_client()
    token = csrf_token(client)
    codes = [
        client.post(
            "/login", data={"email": "staff@example.com", "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    limited = client.post(
        "/login", data={"email": "staff@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert limited.status_code == 429
    assert "Too many requests" in limited.get_data(as_text=True)
