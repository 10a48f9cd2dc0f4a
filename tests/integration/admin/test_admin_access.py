"""Only admins reach the admin panel and the admin API: every route, enumerated from the app."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Database
from tests.conftest import csrf_token, token_for

pytestmark = pytest.mark.integration


def admin_routes(app: Flask, prefix: str) -> Iterator[tuple[str, str]]:
    """(method, URL) for every route under ``prefix``, path arguments filled with samples."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield method, _fill(rule.rule, rule.arguments)


def _fill(path: str, arguments: frozenset[str] | set[str]) -> str:
    for name in arguments:
        path = path.replace(f"<int:{name}>", "1").replace(f"<{name}>", "invoice")
    return path


def test_the_admin_panel_and_api_have_routes(app: Flask) -> None:
    pages = list(admin_routes(app, "/admin"))
    api = list(admin_routes(app, "/api/v1/admin"))
    assert len(pages) >= 20 and len(api) >= 10
    assert ("POST", "/admin/adapters/upload") in pages
    assert ("POST", "/api/v1/admin/training-jobs") in api


def test_staff_get_403_on_every_admin_page(app: Flask, staff_client: FlaskClient) -> None:
    token = csrf_token(staff_client, "/documents")
    for method, url in admin_routes(app, "/admin"):
        response = staff_client.open(url, method=method, headers={"X-CSRFToken": token})
        assert response.status_code == 403, (method, url, response.status_code)


def test_staff_tokens_get_403_on_every_admin_api_route(
    app: Flask, client: FlaskClient, database: Database, staff: int, admin: int
) -> None:
    staff_token = token_for(database, staff, "documents:read", "documents:write", "review")
    admin_without_scope = token_for(database, admin, "documents:read")
    for token in (staff_token, admin_without_scope):
        for method, url in admin_routes(app, "/api/v1/admin"):
            response = client.open(url, method=method, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 403, (method, url, response.status_code)
            assert "admin" in response.json["error"]["message"]


def test_without_a_login_pages_redirect_and_the_api_answers_401(
    app: Flask, client: FlaskClient
) -> None:
    for method, url in admin_routes(app, "/admin"):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for method, url in admin_routes(app, "/api/v1/admin"):
        assert client.open(url, method=method).status_code == 401, (method, url)


def test_admins_see_the_admin_pages(app: Flask, admin_client: FlaskClient) -> None:
    for method, url in admin_routes(app, "/admin"):
        if method == "GET" and "/1" not in url and "progress" not in url:
            response = admin_client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    assert 'href="/admin/"' in admin_client.get("/documents").get_data(as_text=True)


def test_the_web_app_never_imports_torch(admin_settings) -> None:
    """Uploads are checked torch-free: the web process must not pay for (or need) torch."""
    code = (
        "import sys; from tests.conftest import create_test_app; "
        "from core.settings import Settings; "
        f"app = create_test_app(Settings(**{admin_settings.model_dump(mode='json')!r})); "
        "import web.services.admin_adapters, web.api.admin_views; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'transformers' not in sys.modules, 'transformers imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
