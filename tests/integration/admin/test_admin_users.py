"""People and API tokens in the admin: passwords and tokens shown once, roles, revocation."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ApiToken, AuditEntry, Database, User
from tests.conftest import csrf_token

pytestmark = pytest.mark.integration


def secret_on(page: str) -> str:
    match = re.search(r'<p class="secret" id="secret">([^<]+)</p>', page)
    assert match, page
    return match.group(1)


def test_create_a_user_who_logs_in_with_the_shown_password(
    admin_client: FlaskClient, app, database: Database
) -> None:
    token = csrf_token(admin_client, "/admin/users")
    page = admin_client.post(
        "/admin/users",
        data={"csrf_token": token, "email": "New@Example.com", "name": "Neu", "role": "staff"},
    ).get_data(as_text=True)
    password = secret_on(page)
    other = app.test_client()
    login_token = csrf_token(other)
    response = other.post(
        "/login",
        data={"email": "new@example.com", "password": password, "csrf_token": login_token},
    )
    assert response.status_code == 302
    with database.session() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.action == "user.created" and password not in str(entry.details)


def test_tokens_are_shown_once_work_and_can_be_revoked(
    admin_client: FlaskClient, app, database: Database, staff: int
) -> None:
    token = csrf_token(admin_client, f"/admin/users/{staff}")
    page = admin_client.post(
        f"/admin/users/{staff}/tokens",
        data={"csrf_token": token, "name": "import", "scopes": ["documents:read"]},
    ).get_data(as_text=True)
    api_token = secret_on(page)
    headers = {"Authorization": f"Bearer {api_token}"}
    api = app.test_client()
    assert api.get("/api/v1/documents", headers=headers).status_code == 200
    user_page = admin_client.get(f"/admin/users/{staff}").get_data(as_text=True)
    assert api_token not in user_page and api_token[:10] in user_page
    with database.session() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    admin_client.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token, "user_id": staff}
    )
    assert api.get("/api/v1/documents", headers=headers).status_code == 401
    refused = admin_client.post(
        f"/admin/users/{staff}/tokens",
        data={"csrf_token": token, "name": "x", "scopes": ["admin"]},
        follow_redirects=True,
    )
    assert "Only admins can hold tokens with the admin scope." in refused.get_data(as_text=True)


def test_roles_deactivation_and_the_last_admin(
    admin_client: FlaskClient, database: Database, admin: int, staff: int
) -> None:
    token = csrf_token(admin_client, "/admin/users")
    admin_client.post(f"/admin/users/{staff}", data={"csrf_token": token, "role": "admin"})
    admin_client.post(f"/admin/users/{staff}", data={"csrf_token": token, "role": "staff"})
    with database.session() as session:
        assert session.get_one(User, staff).is_active is False  # the box was not ticked
    refused = admin_client.post(
        f"/admin/users/{admin}",
        data={"csrf_token": token, "role": "staff", "active": "on"},
        follow_redirects=True,
    )
    assert "last active admin" in refused.get_data(as_text=True)
    with database.session() as session:
        assert session.get_one(User, admin).role == "admin"
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["user.updated", "user.updated"]


def test_a_password_reset_shows_a_new_password(
    admin_client: FlaskClient, staff: int, database: Database
) -> None:
    token = csrf_token(admin_client, f"/admin/users/{staff}")
    page = admin_client.post(f"/admin/users/{staff}/password", data={"csrf_token": token})
    assert len(secret_on(page.get_data(as_text=True))) >= 12
    with database.session() as session:
        assert session.scalars(select(AuditEntry.action)).one() == "user.password_reset"
