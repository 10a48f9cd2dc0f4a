"""The JSON API with bearer tokens, against real PostgreSQL and Redis."""

import io

import jsonschema
import pytest
from flask.testing import FlaskClient

from core.doctypes import INVOICE
from core.export import export_schema
from models import Database, Document
from tests.conftest import token_for
from tests.support.documents import invoice_pdf

pytestmark = pytest.mark.integration


def upload(
    client: FlaskClient, auth: dict[str, str], data: bytes, name: str = "a.pdf", **form: str
):
    return client.post(
        "/api/v1/documents", headers=auth, data={"file": (io.BytesIO(data), name), **form}
    )


def test_every_endpoint_needs_a_token(client: FlaskClient) -> None:
    for path in ("/api/v1/documents", "/api/v1/document-types", "/api/v1/schemas/invoice.json"):
        response = client.get(path)
        assert response.status_code == 401
        assert "Bearer" in response.json["error"]["message"]
    bad = client.get("/api/v1/documents", headers={"Authorization": "Bearer fl_nope"})
    assert bad.status_code == 401


def test_a_read_only_token_cannot_upload(
    client: FlaskClient, database: Database, staff: int
) -> None:
    token = token_for(database, staff, "documents:read")
    response = upload(client, {"Authorization": f"Bearer {token}"}, invoice_pdf())
    assert response.status_code == 403
    assert "documents:write" in response.json["error"]["message"]


def test_upload_queues_a_document_and_the_same_file_is_one_document(
    client: FlaskClient, auth: dict[str, str], database: Database
) -> None:
    first = upload(client, auth, invoice_pdf(), "march.pdf", type="invoice")
    assert first.status_code == 201, first.json
    assert first.json["status"] == "queued" and first.json["created"] is True
    assert first.headers["Location"].endswith(first.json["id"])
    again = upload(client, auth, invoice_pdf(), "copy of march.pdf")
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"] and again.json["created"] is False
    with database.session() as session:
        assert session.query(Document).count() == 1


def test_an_unknown_type_is_refused_before_storing(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    response = upload(client, auth, invoice_pdf(), type="passport")
    assert response.status_code == 422
    assert "passport" in response.json["error"]["message"]


def test_list_pages_with_a_cursor(client: FlaskClient, auth: dict[str, str]) -> None:
    ids = [upload(client, auth, invoice_pdf(tag=str(n)), f"{n}.pdf").json["id"] for n in range(5)]
    first = client.get("/api/v1/documents?limit=2", headers=auth).json
    second = client.get(
        f"/api/v1/documents?limit=2&cursor={first['next_cursor']}", headers=auth
    ).json
    third = client.get(
        f"/api/v1/documents?limit=2&cursor={second['next_cursor']}", headers=auth
    ).json
    seen = [d["id"] for page in (first, second, third) for d in page["items"]]
    assert seen == list(reversed(ids))
    assert third["next_cursor"] is None
    assert client.get("/api/v1/documents?cursor=garbage", headers=auth).status_code == 400
    assert client.get("/api/v1/documents?status=lost", headers=auth).status_code == 400


def test_export_of_a_queued_document_validates_and_has_no_fields(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    created = upload(client, auth, invoice_pdf(), type="invoice").json
    export = client.get(f"/api/v1/documents/{created['id']}/export", headers=auth).json
    assert export["document"]["status"] == "queued" and export["fields"] == {}
    missing = client.get("/api/v1/documents/00000000-0000-0000-0000-000000000000", headers=auth)
    assert missing.status_code == 404


def test_schemas_and_types_are_served(client: FlaskClient, auth: dict[str, str]) -> None:
    schema = client.get("/api/v1/schemas/invoice.json", headers=auth).json
    assert schema == export_schema(INVOICE)
    jsonschema.Draft202012Validator.check_schema(schema)
    names = [t["name"] for t in client.get("/api/v1/document-types", headers=auth).json["items"]]
    assert names == ["invoice", "receipt"]
    assert client.get("/api/v1/schemas/nothing.json", headers=auth).status_code == 404


def test_the_openapi_document_describes_every_api_route(client: FlaskClient, app) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.removeprefix("/api/v1")
            for name in rule.arguments:
                path = (
                    path.replace(f"<uuid:{name}>", f"{{{name}}}")
                    .replace(f"<int:{name}>", f"{{{name}}}")
                    .replace(f"<{name}>", f"{{{name}}}")
                )
            routes.add(path)
    assert routes <= set(spec["paths"]), routes - set(spec["paths"])
