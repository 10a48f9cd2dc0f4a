"""The admin panel in a real browser: upload an adapter, activate it, start a retraining job and
watch its progress live (a real training worker runs it), cancel it; staff get 403 everywhere.

These tests run on a database of their own with the tiny checkpoint as the configured base, so
their training worker and the suite's shared worker never take each other's messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect

from core.settings import Settings
from core.storage import BlobStore
from models import Database, Role
from models.accounts import create_token, create_user
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, create_test_app, make_settings
from tests.integration.admin.test_admin_access import admin_routes
from tests.support.training import approved_receipt, zip_folder
from tests.support.worker import WorkerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
ADMIN_EMAIL, STAFF_EMAIL = "ada@example.com", "sam@example.com"


@pytest.fixture
def panel_settings(
    tmp_path: Path, fresh_database_url: str, redis_url: str, tiny_model: Path
) -> Settings:
    return make_settings(
        tmp_path / "data",
        fresh_database_url,
        redis_url,
        paligemma_model=str(tiny_model),
        paligemma_device="cpu",
    )


@pytest.fixture
def panel_database(panel_settings: Settings) -> Iterator[Database]:
    database = Database(panel_settings.effective_database_url)
    with database.session() as session:
        create_user(session, ADMIN_EMAIL, PASSWORD, Role.ADMIN, "Ada")
        create_user(session, STAFF_EMAIL, PASSWORD, Role.STAFF, "Sam")
    yield database
    database.engine.dispose()


@pytest.fixture
def app(panel_settings: Settings, panel_database: Database) -> Flask:
    """The live server (tests/browser/conftest.py) serves this app."""
    return create_test_app(panel_settings)


def test_upload_activate_train_and_watch_progress(
    live_server: str,
    context: BrowserContext,
    panel_settings: Settings,
    panel_database: Database,
    tiny_adapter: Path,
    tmp_path: Path,
) -> None:
    blobs = BlobStore(panel_settings.blob_dir)
    for seed in range(2):
        approved_receipt(panel_database, blobs, seed)
    archive = tmp_path / "receipt-adapter.zip"
    archive.write_bytes(zip_folder(tiny_adapter))
    page = context.new_page()
    log_in(page, live_server, ADMIN_EMAIL)
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Adapters").click()

    upload = page.locator("#upload")
    upload.get_by_label("Document type").select_option("receipt")
    upload.get_by_label("Archive").set_input_files(str(archive))
    upload.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("The adapter was checked and registered.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("receipt@v1"))).to_contain_text("candidate")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("receipt@v1 is active")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("receipt@v1"))).to_contain_text("active")

    worker = WorkerProcess(panel_settings, tmp_path / "worker.log", queues="training", beat=False)
    worker.start()
    try:
        start_training(page, live_server)
        watch_progress(page, worker)
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#job-progress .status")).to_have_text("cancelled", timeout=60_000)
    finally:
        worker.stop()
    page.get_by_role("link", name="Audit log").click()
    for action in (
        "adapter.uploaded",
        "adapter.activated",
        "training.started",
        "training.cancel_requested",
    ):
        expect(page.locator("table.audit").get_by_text(action, exact=True)).to_be_visible()


def start_training(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/types/receipt")
    form = page.locator("#training form")
    form.get_by_label("Epochs").fill("200")
    form.get_by_label("Learning rate").fill("0.001")
    form.get_by_label("LoRA rank").fill("4")
    form.locator("summary").click()
    form.get_by_label("Batch size").fill("1")
    form.get_by_label("Synthetic documents").fill("0")
    form.get_by_label("Held-out share").fill("0")
    form.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("Training job #1 for receipt is queued.")).to_be_visible()


def watch_progress(page: Page, worker: WorkerProcess) -> None:
    """The page polls (htmx) and shows the steps, the loss and the estimate as they come."""
    progress = page.locator("#job-progress")
    try:
        expect(progress.locator(".phase")).to_have_text("training", timeout=90_000)
        expect(progress).to_contain_text("of 400", timeout=30_000)
    except AssertionError:
        raise AssertionError(worker.log_tail()) from None
    first = int(progress.locator(".step").inner_text())
    expect(progress.locator(".step")).not_to_have_text(str(first), timeout=30_000)
    assert re.search(r"loss \d+\.\d{4}", progress.inner_text())
    expect(progress).to_contain_text("left")


def test_staff_get_403_on_every_admin_page_and_api_route(
    live_server: str, context: BrowserContext, app: Flask, panel_database: Database
) -> None:
    page = context.new_page()
    log_in(page, live_server, STAFF_EMAIL)
    expect(page.locator(".nav")).not_to_contain_text("Admin")
    for method, url in admin_routes(app, "/admin"):
        if method == "GET":
            response = page.goto(live_server + url)
            assert response is not None and response.status == 403, url
            expect(page.get_by_text("You do not have permission to do this.")).to_be_visible()
    with panel_database.session() as session:
        from models import User  # noqa: PLC0415

        staff = session.query(User).filter_by(email=STAFF_EMAIL).one()
        _, token = create_token(session, staff, "browser", ["documents:read", "review"])
    for method, url in admin_routes(app, "/api/v1/admin"):
        answer = page.request.fetch(
            live_server + url, method=method, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status == 403, (method, url)
