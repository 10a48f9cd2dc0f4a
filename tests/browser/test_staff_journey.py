"""The staff journey in a real browser: upload an invoice, watch it being read, review and
correct it, approve with Enter, download the export, and see the webhook delivery logged."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from standardwebhooks.webhooks import Webhook

from models import Database
from tests.browser.conftest import log_in
from tests.support.documents import invoice_pdf
from tests.support.receiver import running_receiver
from tests.support.reviewing import add_read_document
from tests.support.worker import WorkerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

# What a reviewer types; the values are stored normalised (dates ISO, amounts with a dot). The
# printed values equal what the engine read (if it read them); the order number is a real fix.
CORRECTIONS = {
    "invoice_number": "INV-2024-0042",
    "issue_date": "15.03.2024",
    "vendor_name": "ACME Supplies GmbH",
    "currency": "EUR",
    "total_amount": "119,00",
    "purchase_order": "PO-7781",
}


def create_webhook(page: Page, base_url: str, url: str) -> str:
    """An admin subscribes ``url`` to approvals; returns the secret shown once."""
    page.goto(f"{base_url}/integrations/")
    page.get_by_role("link", name="New webhook").click()
    page.get_by_label("URL").fill(url)
    page.get_by_label("document.approved").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("it is shown this once")).to_be_visible()
    return page.locator("#webhook-secret").inner_text().strip()


def upload_and_wait(page: Page, base_url: str, pdf: Path) -> None:
    page.goto(f"{base_url}/documents")
    page.locator("#upload input[type=file]").set_input_files(str(pdf))
    page.get_by_role("link", name="queued — open").click()
    finished = page.locator(".status-needs_review, .status-extracted")
    expect(finished).to_be_visible(timeout=60_000)  # the page refreshes itself when read


def review_and_approve(page: Page) -> None:
    page.locator(".actions").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", name="march.pdf")).to_be_visible()
    page.locator("#in-issue_date").fill("31.02.2024")  # no such day: refused by the field
    page.get_by_role("button", name="Save").first.click()
    error = page.locator('.review-field[data-field="issue_date"] .field-error')
    expect(error).to_contain_text("Not a date")
    for name, value in CORRECTIONS.items():
        page.locator(f"#in-{name}").fill(value)
    page.locator("#in-total_amount").press("Enter")  # Enter approves
    expect(page.get_by_text("Approved march.pdf.")).to_be_visible()


def download(page: Page, control: Locator) -> str:
    with page.expect_download() as info:
        control.click()
    return Path(info.value.path()).read_text()


def test_upload_review_approve_export_and_webhook(
    live_server: str,
    context: BrowserContext,
    admin_context: BrowserContext,
    database: Database,
    worker: WorkerProcess,
    staff: int,
    admin: int,
    tmp_path: Path,
) -> None:
    pdf = tmp_path / "march.pdf"
    pdf.write_bytes(invoice_pdf(tag="browser journey"))
    with running_receiver() as receiver:
        admin_page = admin_context.new_page()
        log_in(admin_page, live_server, "admin@example.com")
        secret = create_webhook(admin_page, live_server, receiver.url)

        page = context.new_page()
        log_in(page, live_server, "staff@example.com")
        upload_and_wait(page, live_server, pdf)
        review_and_approve(page)

        page.goto(f"{live_server}/documents?status=approved")
        page.get_by_role("link", name="march.pdf").click()
        export = json.loads(download(page, page.get_by_role("link", name="Download JSON")))
        assert export["document"]["status"] == "approved"
        assert export["fields"]["total_amount"]["value"] == "119.00"
        assert export["fields"]["issue_date"]["value"] == "2024-03-15"
        order = export["fields"]["purchase_order"]
        assert (order["value"], order["source"], order["confidence"]) == ("PO-7781", "review", 1.0)

        page.goto(f"{live_server}/exports")
        page.get_by_label("Format").select_option("csv")
        text = download(page, page.get_by_role("button", name="Download"))
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["filename"], r["total_amount"]) for r in rows] == [("march.pdf", "119.00")]

        (delivered,) = receiver.wait_for(1)
        body = Webhook(secret).verify(delivered.body, delivered.headers)
        assert body["type"] == "document.approved"
        assert body["data"]["export"]["fields"]["total_amount"]["value"] == "119.00"

        admin_page.goto(f"{live_server}/integrations/deliveries")
        row = admin_page.locator("table.deliveries tbody tr").first
        for _ in range(20):  # the worker records the outcome just after the receiver answers
            if "delivered" in row.inner_text():
                break
            admin_page.wait_for_timeout(250)
            admin_page.reload()
        expect(row).to_contain_text("document.approved")
        expect(row).to_contain_text("delivered")
        row.get_by_role("link", name="document.approved").click()
        expect(admin_page.locator("table.attempts")).to_contain_text("HTTP 200")
        expect(admin_page.get_by_role("button", name="Redeliver")).to_be_visible()


def test_fields_and_boxes_point_at_each_other(
    live_server: str, context: BrowserContext, database: Database, staff: int
) -> None:
    document_id = add_read_document(database)
    page = context.new_page()
    log_in(page, live_server, "staff@example.com")
    page.goto(f"{live_server}/review/{document_id}")
    box = page.locator('rect[data-field="vendor_name"]')
    box.click()
    expect(page.locator("#in-vendor_name")).to_be_focused()
    expect(box).to_have_class(re.compile(r"\bhot\b"))
    page.keyboard.press("Tab")  # the next field in the form's order
    expect(page.locator("#in-vendor_address")).to_be_focused()
    expect(box).not_to_have_class(re.compile(r"\bhot\b"))
    page.locator("#in-invoice_number").focus()
    expect(page.locator('rect[data-field="invoice_number"]')).to_have_class(re.compile(r"\bhot\b"))
    rows = page.locator("#line-items tbody tr")
    expect(rows).to_have_count(2)  # the item and a blank row for a new one
    page.get_by_role("button", name="Add line").click()
    expect(rows).to_have_count(3)
    expect(page.locator('input[name="item-2-description"]')).to_be_focused()
