"""Document types in the admin: create one with fields, edit fields and settings, refusals."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEntry, Database, DocumentType
from models.catalog import load_specs
from tests.conftest import csrf_token

pytestmark = pytest.mark.integration


def type_form(token: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "label": "Purchase order",
        "engine": "paligemma",
        "prompt": "extract purchase order",
        "review_threshold": "0.7",
        "fields-0-name": "order_number",
        "fields-0-kind": "identifier",
        "fields-0-required": "on",
        "fields-1-name": "order_date",
        "fields-1-kind": "date",
        "fields-2-name": "",
        "items-0-name": "description",
        "items-0-kind": "text",
    }
    return form | overrides


def test_create_a_type_with_fields_and_line_items(
    admin_client: FlaskClient, database: Database, admin_settings
) -> None:
    token = csrf_token(admin_client, "/admin/types/new")
    response = admin_client.post(
        "/admin/types/new", data=type_form(token, name="purchase_order", auto_promote="on")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = admin_client.get("/admin/types/purchase_order").get_data(as_text=True)
    assert 'value="order_number"' in page and "extract purchase order" in page
    with database.session() as session:
        spec = load_specs(session, admin_settings.adapter_dir)["purchase_order"]
        row = session.scalars(
            select(DocumentType).where(DocumentType.name == "purchase_order")
        ).one()
        actions = session.scalars(select(AuditEntry.action)).all()
    assert spec.field_names == ("order_number", "order_date")
    assert spec.required_fields == ("order_number",) and spec.line_item_names == ("description",)
    assert spec.engine == "paligemma" and spec.review_threshold == 0.7
    assert row.auto_promote is True and row.use_embedded_xml is False
    assert actions == ["document_type.created"]


def test_edit_reorders_removes_and_is_audited(
    admin_client: FlaskClient, database: Database
) -> None:
    token = csrf_token(admin_client, "/admin/types/receipt")
    form = type_form(
        token,
        label="Till receipt",
        engine="auto",
        prompt="extract receipt",
        **{"fields-0-position": "5", "fields-1-position": "1", "items-0-name": ""},
    )
    response = admin_client.post("/admin/types/receipt", data=form, follow_redirects=True)
    assert "Saved:" in response.get_data(as_text=True)
    with database.session() as session:
        receipt = session.scalars(select(DocumentType).where(DocumentType.name == "receipt")).one()
        entry = session.scalars(select(AuditEntry)).one()
    assert [f["name"] for f in receipt.fields] == ["order_date", "order_number"]
    assert receipt.line_item_fields == [] and receipt.label == "Till receipt"
    assert entry.action == "document_type.updated" and "fields" in entry.details["changed"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fields-1-name": "order_number"}, "appear twice"),
        ({"fields-0-name": "Bad Name"}, "is not a field name"),
        ({"fields-0-name": "line_items"}, "is not a field name"),
        ({"fields-0-kind": "colour"}, "unknown kind"),
        ({"engine": "magic"}, "Unknown engine"),
        ({"review_threshold": "2"}, "between 0 and 1"),
        ({"prompt": " "}, "prompt cannot be empty"),
        ({"fields-0-name": "", "fields-1-name": ""}, "at least one field"),
    ],
)
def test_invalid_types_are_refused_with_the_form_kept(
    admin_client: FlaskClient, overrides: dict[str, str], message: str
) -> None:
    token = csrf_token(admin_client, "/admin/types/new")
    response = admin_client.post("/admin/types/new", data=type_form(token, name="po", **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert 'value="Purchase order"' in page  # what was typed is still there


def test_names_are_checked_and_unique(admin_client: FlaskClient) -> None:
    token = csrf_token(admin_client, "/admin/types/new")
    bad = admin_client.post("/admin/types/new", data=type_form(token, name="../etc"))
    assert bad.status_code == 422 and "is not a type name" in bad.get_data(as_text=True)
    taken = admin_client.post("/admin/types/new", data=type_form(token, name="invoice"))
    assert taken.status_code == 409
