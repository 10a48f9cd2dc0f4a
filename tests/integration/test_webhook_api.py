"""Webhook subscriptions and export profiles over the API (admin scope)."""

import pytest
from flask.testing import FlaskClient

from models import Database
from tests.conftest import token_for

pytestmark = pytest.mark.integration


@pytest.fixture
def admin_auth(database: Database, admin: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}


def test_subscriptions_are_admin_only(client: FlaskClient, auth: dict[str, str]) -> None:
    assert client.get("/api/v1/webhooks", headers=auth).status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401


def test_create_change_rotate_and_delete_a_subscription(
    client: FlaskClient, admin_auth: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/webhooks",
        headers=admin_auth,
        json={"url": "https://93.184.216.34/in", "event_types": ["document.approved"]},
    )
    assert created.status_code == 201 and created.json["secret"].startswith("whsec_")
    url = f"/api/v1/webhooks/{created.json['id']}"
    listed = client.get("/api/v1/webhooks", headers=admin_auth).json["items"]
    assert [s["url"] for s in listed] == ["https://93.184.216.34/in"]
    assert "secret" not in listed[0]
    changed = client.patch(url, headers=admin_auth, json={"enabled": False})
    assert changed.status_code == 200 and changed.json["enabled"] is False
    assert changed.json["disabled_reason"] == "Disabled by an admin."
    assert client.patch(url, headers=admin_auth, json={"event_types": ["nope"]}).status_code == 422
    assert client.patch(url, headers=admin_auth, json={"url": "file:///etc"}).status_code == 422
    rotated = client.post(f"{url}/rotate-secret", headers=admin_auth)
    assert rotated.json["secret"] != created.json["secret"]
    assert client.get(f"{url}/deliveries", headers=admin_auth).json == {"items": [], "next": None}
    assert client.delete(url, headers=admin_auth).status_code == 204
    assert client.get(url, headers=admin_auth).status_code == 404


def test_export_profiles_are_checked_before_they_are_saved(
    client: FlaskClient, admin_auth: dict[str, str]
) -> None:
    bad = client.post(
        "/api/v1/export-profiles",
        headers=admin_auth,
        json={"name": "ERP", "mapping": {"fields": {"a": "no such source!"}}},
    )
    assert bad.status_code == 422 and "is not a source" in bad.json["error"]["message"]
    good = {"name": "ERP", "mapping": {"fields": {"Number": "invoice_number"}}}
    created = client.post("/api/v1/export-profiles", headers=admin_auth, json=good)
    assert created.status_code == 201
    again = client.post("/api/v1/export-profiles", headers=admin_auth, json=good)
    assert again.status_code == 422 and "exists already" in again.json["error"]["message"]
    url = f"/api/v1/export-profiles/{created.json['id']}"
    renamed = client.put(url, headers=admin_auth, json={**good, "name": "ERP 2"})
    assert renamed.json["name"] == "ERP 2"
    push = client.post(
        "/api/v1/webhooks",
        headers=admin_auth,
        json={"url": "https://93.184.216.34/erp", "event_types": ["document.received"],
              "export_profile_id": created.json["id"]},
    )  # fmt: skip
    assert push.json["event_types"] == ["document.approved"]  # a push sends approvals only
    assert client.delete(url, headers=admin_auth).status_code == 204
    hook = client.get(f"/api/v1/webhooks/{push.json['id']}", headers=admin_auth).json
    assert hook["export_profile_id"] is None
