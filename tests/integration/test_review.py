"""Review in the portal: the queue, corrections, approval, and two reviewers at once."""

import html
import re
import uuid

import jsonschema
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.doctypes import INVOICE
from core.export import export_schema
from models import Database, Document, Event, Extraction, Review, WebhookDelivery
from tests.conftest import csrf_token, login
from tests.support.reviewing import add_queue, add_read_document

pytestmark = pytest.mark.integration


def form_of(client: FlaskClient, document_id: uuid.UUID) -> dict[str, str]:
    """The review form's current values, as the browser would send them."""
    page = client.get(f"/review/{document_id}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields |= dict(
        re.findall(r'<input type="text" id="[^"]+" name="([^"]+)" value="([^"]*)"', page)
    )
    fields |= dict(re.findall(r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    return {name: html.unescape(value) for name, value in fields.items()}


def field_block(page: str, field: str) -> str:
    """The markup of one field in the review form (not its box on the page image)."""
    form = page.split('class="fields review"')[1]
    return form.split(f'data-field="{field}"')[1].split('class="review-field')[0]


def post_review(client: FlaskClient, document_id: uuid.UUID, form: dict[str, str], **changes):
    return client.post(f"/review/{document_id}", data={**form, **changes})


def test_the_queue_lists_documents_to_review_oldest_first_with_filters(
    staff_client: FlaskClient, database: Database
) -> None:
    ids = add_queue(database, 3)
    add_read_document(database, filename="receipt.pdf", document_type="receipt",
                      reasons=["low_confidence:total_amount"])  # fmt: skip
    add_read_document(database, filename="done.pdf", status="extracted", reasons=[])
    page = staff_client.get("/review").get_data(as_text=True)
    names = re.findall(r'href="/review/[^"]+">([^<]+)</a>', page)
    assert names == ["doc-0.pdf", "doc-1.pdf", "doc-2.pdf", "receipt.pdf"]
    assert "4 documents waiting" in page and "total amount was not found" in page
    by_type = staff_client.get("/review?type=receipt").get_data(as_text=True)
    assert re.findall(r'href="/review/[^"]+">([^<]+)</a>', by_type) == ["receipt.pdf"]
    by_kind = staff_client.get("/review?reason=low_confidence").get_data(as_text=True)
    assert re.findall(r'href="/review/[^"]+">([^<]+)</a>', by_kind) == ["receipt.pdf"]
    exact = staff_client.get("/review?reason=missing:total_amount").get_data(as_text=True)
    assert len(re.findall(r'href="/review/[^"]+">', exact)) == 3
    assert staff_client.get("/review?reason=%25'--").status_code == 400
    assert str(ids[0]) in page


def test_the_queue_pages_with_a_cursor(
    staff_client: FlaskClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.review import views  # noqa: PLC0415

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    add_queue(database, 5)
    seen = []
    url = "/review"
    while url:
        page = staff_client.get(url).get_data(as_text=True)
        seen += re.findall(r'href="/review/[^"]+">([^<]+)</a>', page)
        found = re.search(r'href="(/review\?cursor=[^"]+)">Newer', page)
        url = html.unescape(found.group(1)) if found else ""
    assert seen == [f"doc-{n}.pdf" for n in range(5)]


def test_the_review_page_shows_boxes_inputs_checks_and_confidence(
    staff_client: FlaskClient, database: Database
) -> None:
    document_id = add_read_document(database)
    with database.session() as session:
        extraction = session.scalars(select(Extraction)).one()
        extraction.validation = [
            {"rule": "totals_consistent", "ok": False, "message": "the sums differ",
             "fields": ["net_amount", "total_amount"]}
        ]  # fmt: skip
    page = staff_client.get(f"/review/{document_id}").get_data(as_text=True)
    assert '<rect data-field="invoice_number"' in page
    assert '<rect data-field="items.0.description"' in page
    assert 'data-field="invoice_number"' in page.split('class="fields review"')[1]
    assert 'name="field-invoice_number" value="INV-2024-0042"' in page
    total = field_block(page, "total_amount")
    assert "the sums differ" in total and "not found" in total
    assert 'class="review-field low' in page  # issue_date was read at 42 %
    assert "confidence" in page and "total amount was not found" in page
    first_button = re.search(r'<button type="submit" name="action" value="(\w+)"', page)
    assert first_button and first_button.group(1) == "approve"  # Enter approves


def test_saving_normalises_values_and_keeps_the_engine_answer(
    staff_client: FlaskClient, database: Database, staff: int
) -> None:
    document_id = add_read_document(database)
    form = form_of(staff_client, document_id)
    response = post_review(
        staff_client,
        document_id,
        form,
        **{"field-issue_date": "16.03.2024", "field-total_amount": "119,00", "action": "save"},
    )
    assert response.status_code == 302
    with database.session() as session:
        document = session.get_one(Document, document_id)
        extraction = session.scalars(select(Extraction)).one()
        review = session.scalars(select(Review)).one()
        assert document.status == "needs_review" and document.version == 2
        assert extraction.fields["issue_date"]["value"] == "2024-03-16"
        assert extraction.fields["issue_date"]["source"] == "review"
        assert extraction.fields["issue_date"]["bbox"] == [0.59, 0.12, 0.8, 0.14]
        assert extraction.fields["total_amount"] == {
            "value": "119.00", "confidence": 1.0, "page": None, "bbox": None, "source": "review"
        }  # fmt: skip
        assert extraction.original["fields"]["issue_date"]["value"] == "2024-03-15"
        assert extraction.validation[0]["rule"] == "totals_consistent"
        assert extraction.validation[0]["ok"] is True
        assert "missing:total_amount" not in document.review_reasons
        assert review.user_id == staff and review.action == "save"
        assert review.changes["fields"] == {
            "issue_date": {"from": "2024-03-15", "to": "2024-03-16"},
            "total_amount": {"from": None, "to": "119.00"},
        }


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("issue_date", "31.02.2024", "Not a date"),
        ("issue_date", "tomorrow", "Not a date"),
        ("total_amount", "abc", "Not an amount"),
        ("currency", "moneys", "Not a currency"),
    ],
)
def test_values_that_cannot_be_read_are_refused_next_to_the_field(
    staff_client: FlaskClient, database: Database, field: str, typed: str, message: str
) -> None:
    document_id = add_read_document(database)
    form = form_of(staff_client, document_id)
    response = post_review(
        staff_client, document_id, form, **{f"field-{field}": typed, "field-vendor_name": "X"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    block = field_block(page, field)
    assert message in block and 'aria-invalid="true"' in block
    assert f'value="{typed}"' in block  # what was typed is kept
    assert 'value="X"' in page  # and so are the other edits
    with database.session() as session:
        assert session.get_one(Document, document_id).version == 1
        assert session.scalar(select(Review)) is None


def test_approving_records_who_when_and_the_diff_and_emits_the_event(
    staff_client: FlaskClient, database: Database, staff: int, client: FlaskClient
) -> None:
    document_id = add_read_document(database)
    form = form_of(staff_client, document_id)
    refused = post_review(staff_client, document_id, form, action="approve")
    assert refused.status_code == 422 and "Needed to approve" in refused.get_data(as_text=True)
    response = post_review(
        staff_client, document_id, form, **{"field-total_amount": "119.00", "action": "approve"}
    )
    assert response.status_code == 302
    with database.session() as session:
        document = session.get_one(Document, document_id)
        assert document.status == "approved" and document.approved_by_id == staff
        assert document.approved_at is not None
        review = session.scalars(select(Review).where(Review.action == "approve")).one()
        assert review.changes["fields"] == {"total_amount": {"from": None, "to": "119.00"}}
        event = session.scalars(select(Event).where(Event.type == "document.approved")).one()
        assert event.payload["approved_by"] == "staff@example.com"
        export = event.payload["export"]
        assert export["fields"]["total_amount"]["value"] == "119.00"
        assert export["document"]["status"] == "approved"
    jsonschema.validate(export, export_schema(INVOICE))
    again = post_review(staff_client, document_id, form, action="approve")
    assert again.status_code == 302
    assert "approved this document" in staff_client.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_a_stale_save_is_a_conflict_that_shows_what_changed(
    app, database: Database, staff: int, admin: int
) -> None:
    document_id = add_read_document(database)
    first, second = app.test_client(), app.test_client()
    login(first, "staff@example.com")
    login(second, "admin@example.com")
    form_first = form_of(first, document_id)
    form_second = form_of(second, document_id)
    saved = post_review(second, document_id, form_second, **{"field-vendor_name": "ACME AG"})
    assert saved.status_code == 302
    stale = post_review(
        first,
        document_id,
        form_first,
        **{"field-vendor_name": "ACME Supplies", "field-total_amount": "119.00"},
    )
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Ada Admin changed this document while you were editing it" in page
    assert "vendor name: “ACME Supplies GmbH” → “ACME AG”" in page
    assert "Changed meanwhile to “ACME AG”" in page
    assert 'value="119.00"' in page  # the first reviewer's edits are kept in the form
    assert 'name="version" value="2"' in page
    with database.session() as session:
        extraction = session.scalars(select(Extraction)).one()
        assert extraction.fields["vendor_name"]["value"] == "ACME AG"  # not overwritten
        assert extraction.fields["total_amount"]["value"] is None


def test_line_items_can_be_corrected_added_and_removed(
    staff_client: FlaskClient, database: Database
) -> None:
    document_id = add_read_document(database)
    form = form_of(staff_client, document_id)
    assert form["item-0-description"] == "Widgets" and form["item-1-description"] == ""
    response = post_review(
        staff_client,
        document_id,
        form,
        **{
            "item-0-quantity": "12",
            "item-1-description": "Delivery",
            "item-1-line_total": "9,90",
            "action": "save",
        },
    )
    assert response.status_code == 302
    with database.session() as session:
        items = session.scalars(select(Extraction)).one().line_items
        assert [i["description"]["value"] for i in items] == ["Widgets", "Delivery"]
        assert items[0]["quantity"]["value"] == "12" and items[0]["quantity"]["source"] == "review"
        assert items[0]["description"]["bbox"] == [0.08, 0.3, 0.3, 0.32]
        assert items[1]["line_total"]["value"] == "9.90"
    form = form_of(staff_client, document_id)
    removed = post_review(staff_client, document_id, form, **{"item-0-remove": "1"})
    assert removed.status_code == 302
    bad = post_review(
        staff_client, document_id, form_of(staff_client, document_id), **{"item-0-unit_price": "x"}
    )
    assert bad.status_code == 422 and "Not an amount" in bad.get_data(as_text=True)
    with database.session() as session:
        items = session.scalars(select(Extraction)).one().line_items
        assert [i["description"]["value"] for i in items] == ["Delivery"]


def test_an_approved_document_can_be_reopened(
    staff_client: FlaskClient, database: Database
) -> None:
    document_id = add_read_document(database, reasons=[])
    form = form_of(staff_client, document_id)
    post_review(
        staff_client, document_id, form, **{"field-total_amount": "119", "action": "approve"}
    )
    page = staff_client.get(f"/review/{document_id}").get_data(as_text=True)
    assert "Reopen for review" in page and "readonly" in page
    token = csrf_token(staff_client, f"/review/{document_id}")
    reopened = staff_client.post(
        f"/review/{document_id}/reopen", data={"csrf_token": token, "version": "2"}
    )
    assert reopened.status_code == 302
    with database.session() as session:
        document = session.get_one(Document, document_id)
        assert document.status == "needs_review" and document.approved_at is None
        assert document.review_reasons == ["reopened"]


def test_approval_queues_webhook_deliveries(staff_client: FlaskClient, database: Database) -> None:
    from models import WebhookSubscription  # noqa: PLC0415

    with database.session() as session:
        session.add(
            WebhookSubscription(
                url="https://hooks.example.com/formlens",
                event_types=["document.approved"],
                secret_encrypted="-",
            )
        )
    document_id = add_read_document(database)
    form = form_of(staff_client, document_id)
    post_review(staff_client, document_id, form, **{"field-total_amount": "1", "action": "approve"})
    with database.session() as session:
        deliveries = session.scalars(select(WebhookDelivery)).all()
        assert len(deliveries) == 1 and deliveries[0].status == "pending"


def test_the_api_reviews_with_the_review_scope(
    client: FlaskClient, database: Database, staff: int
) -> None:
    from tests.conftest import token_for  # noqa: PLC0415

    document_id = add_read_document(database)
    reader = {"Authorization": f"Bearer {token_for(database, staff, 'documents:read')}"}
    reviewer = {"Authorization": f"Bearer {token_for(database, staff, 'review')}"}
    url = f"/api/v1/documents/{document_id}/review"
    assert client.post(url, headers=reader, json={"version": 1}).status_code == 403
    assert client.post(url, headers=reviewer, json={"fields": {}}).status_code == 400
    bad = client.post(url, headers=reviewer, json={"version": 1, "fields": {"issue_date": "x"}})
    assert bad.status_code == 422 and "Not a date" in bad.json["error"]["fields"]["issue_date"]
    body = {"version": 1, "fields": {"total_amount": "119,00"}, "approve": True}
    approved = client.post(url, headers=reviewer, json=body)
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved" and approved.json["version"] == 2
    stale = client.post(url, headers=reviewer, json={"version": 1, "fields": {}})
    assert stale.status_code == 409 and "approved this document" in stale.json["error"]["message"]
