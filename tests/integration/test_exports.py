"""Batch exports: JSON Lines that validate against the schema, CSV that opens with the expected
columns, filters, and streaming that does not hold the documents in memory."""

import csv
import io
import json
import uuid
from datetime import timedelta

import jsonschema
import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from core.doctypes import INVOICE, LINE_ITEM_FIELDS
from core.domain import DocumentStatus
from models import Database, Document, DocumentType, Extraction, utcnow
from models.queries import DocumentFilter
from tests.support.reviewing import INVOICE_FIELDS, add_read_document
from web.services.exports import BATCH, ExportRequest, stream_export

pytestmark = pytest.mark.integration


def approve(database: Database, document_id: uuid.UUID, days_ago: int = 0) -> None:
    with database.session() as session:
        document = session.get_one(Document, document_id)
        document.status = DocumentStatus.APPROVED.value
        document.approved_at = utcnow() - timedelta(days=days_ago)


@pytest.fixture
def documents(database: Database) -> dict[str, uuid.UUID]:
    fields = {**INVOICE_FIELDS, "vendor_name": {**INVOICE_FIELDS["vendor_name"],
              "value": "=HYPERLINK(\"http://evil\")"}}  # fmt: skip
    ids = {
        "today": add_read_document(database, filename="today.pdf"),
        "last_week": add_read_document(database, filename="last-week.pdf", line_items=[]),
        "formula": add_read_document(database, filename="formula.pdf", fields=fields),
        "receipt": add_read_document(
            database,
            filename="receipt.pdf",
            document_type="receipt",
            line_items=[],
            fields={"total_amount": {"value": "4.20", "confidence": 0.9}},
        ),
    }
    approve(database, ids["today"])
    approve(database, ids["last_week"], days_ago=7)
    return ids


def test_json_lines_validate_against_the_served_schema(
    client: FlaskClient, auth: dict[str, str], documents: dict[str, uuid.UUID]
) -> None:
    schema = client.get("/api/v1/schemas/invoice.json", headers=auth).get_json()
    assert isinstance(schema, dict)
    response = client.get("/api/v1/exports/documents?type=invoice", headers=auth)
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 3
    pool = client.application.extensions["formlens"].database.engine.pool
    assert pool.checkedout() == 0  # the stream's session gave its connection back
    for line in lines:
        jsonschema.validate(json.loads(line), schema)
    single = client.get(f"/api/v1/documents/{documents['today']}/export", headers=auth)
    jsonschema.validate(single.get_json(), schema)


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_has_a_column_per_field_and_nested_line_items(
    client: FlaskClient, auth: dict[str, str], documents: dict[str, uuid.UUID]
) -> None:
    response = client.get(
        "/api/v1/exports/documents?format=csv&type=invoice&status=approved", headers=auth
    )
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = read_csv(response)
    header = list(rows[0])
    assert header == [
        "document_id", "filename", "document_type", "status", "uploaded_at", "approved_at",
        *INVOICE.field_names, "line_items",
    ]  # fmt: skip
    assert [r["filename"] for r in rows] == ["today.pdf", "last-week.pdf"]
    today = rows[0]
    assert today["invoice_number"] == "INV-2024-0042" and today["total_amount"] == ""
    assert json.loads(today["line_items"])[0]["description"] == "Widgets"
    assert today["approved_at"].startswith(str(utcnow().date()))


def test_csv_rows_layout_gives_one_row_per_line_item(
    client: FlaskClient, auth: dict[str, str], documents: dict[str, uuid.UUID]
) -> None:
    response = client.get(
        "/api/v1/exports/documents?format=csv&layout=rows&type=invoice", headers=auth
    )
    rows = read_csv(response)
    assert list(rows[0])[-8:] == ["item_index", *(f"item_{f.name}" for f in LINE_ITEM_FIELDS)]
    by_file = {r["filename"]: r for r in rows}
    assert by_file["today.pdf"]["item_index"] == "1"
    assert by_file["today.pdf"]["item_description"] == "Widgets"
    assert by_file["last-week.pdf"]["item_index"] == ""  # no items: one row all the same
    assert by_file["formula.pdf"]["vendor_name"].startswith("'=HYPERLINK")  # not a formula
    jsonl = client.get("/api/v1/exports/documents?layout=rows&type=invoice", headers=auth)
    records = [json.loads(line) for line in jsonl.get_data(as_text=True).splitlines()]
    assert {r["item_description"] for r in records} == {"Widgets", None}


def test_filters_by_type_status_and_date(
    client: FlaskClient, auth: dict[str, str], documents: dict[str, uuid.UUID]
) -> None:
    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/exports/documents?format=csv&{query}", headers=auth)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["filename"] for r in read_csv(response)]

    today = utcnow().date()
    assert names("type=receipt") == ["receipt.pdf"]
    assert names("status=approved") == ["today.pdf", "last-week.pdf"]
    assert names(f"date_field=approved&from={today}") == ["today.pdf"]
    week_ago = today - timedelta(days=7)
    assert names(f"date_field=approved&from={week_ago}&to={week_ago}") == ["last-week.pdf"]
    assert names(f"from={today + timedelta(days=1)}") == []
    assert len(names(f"to={today}")) == 4
    for bad in ("format=xml", "layout=flat", "from=yesterday", "status=lost", "date_field=x"):
        response = client.get(f"/api/v1/exports/documents?{bad}", headers=auth)
        assert response.status_code == 400, bad
    assert client.get("/api/v1/exports/documents").status_code == 401


def test_the_portal_export_page_downloads(
    staff_client: FlaskClient, documents: dict[str, uuid.UUID]
) -> None:
    page = staff_client.get("/exports").get_data(as_text=True)
    assert "JSON Lines" in page and "invoice.schema.json" in page
    response = staff_client.get("/exports/download?format=csv&type=invoice&status=approved")
    assert response.status_code == 200
    assert len(read_csv(response)) == 2
    schema = staff_client.get("/exports/schemas/invoice.json")
    assert schema.json["title"] == "FormLens export: invoice"


def add_many(database: Database, count: int) -> None:
    """``count`` invoices with extractions, inserted in bulk."""
    start = utcnow() - timedelta(days=1)
    with database.session() as session:
        type_id = session.scalar(select(DocumentType.id).where(DocumentType.name == "invoice"))
        ids = [uuid.uuid4() for _ in range(count)]
        session.execute(
            insert(Document),
            [
                {"id": i, "sha256": i.hex * 2, "filename": f"bulk-{n}.pdf", "storage_key": "0" * 64,
                 "mime_type": "application/pdf", "size_bytes": 1, "page_count": 1,
                 "document_type_id": type_id, "status": "approved",
                 "created_at": start + timedelta(seconds=n), "approved_at": start}
                for n, i in enumerate(ids)
            ],
        )  # fmt: skip
        session.execute(
            insert(Extraction),
            [
                {"document_id": i, "document_type": "invoice", "engine": "textlayer",
                 "engine_version": "0.1", "fields": INVOICE_FIELDS, "line_items": [],
                 "validation": [], "original": {}}
                for i in ids
            ],
        )  # fmt: skip


def test_a_big_export_streams_batch_by_batch(database: Database) -> None:
    count = 3 * BATCH + 17
    add_many(database, count)
    request = ExportRequest(DocumentFilter(document_type="invoice"), "csv", "rows")
    with database.session() as session:
        chunks = stream_export(session, request)
        first = next(chunks)  # the download starts before all documents are read
        assert first.startswith("document_id,") and len(session.identity_map) <= 2 * BATCH + 2
        largest = len(session.identity_map)
        lines = first.count("\n")
        for chunk in chunks:
            largest = max(largest, len(session.identity_map))
            lines += chunk.count("\n")
    assert lines == count + 1  # and the header
    # A batch of documents with their extractions (and the type) is all a session holds.
    assert largest <= 2 * BATCH + 2
