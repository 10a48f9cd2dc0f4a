"""Browser tests: Debian's Chromium, headless, driven by Playwright against a live server.

The app is served by werkzeug in a thread of the test process (threaded, like gunicorn's
threads), on the session's database and broker, so the session's Celery worker reads what the
browser uploads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def _new_context(browser: Browser) -> BrowserContext:
    opened = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    opened.set_default_timeout(20_000)
    return opened


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser session of its own (cookies included): one person."""
    opened = _new_context(browser)
    yield opened
    opened.close()


@pytest.fixture
def admin_context(browser: Browser) -> Iterator[BrowserContext]:
    """A second person's browser, for an admin beside the staff member."""
    opened = _new_context(browser)
    yield opened
    opened.close()


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/documents")
