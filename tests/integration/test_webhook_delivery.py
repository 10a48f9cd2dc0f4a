"""The delivery use case run in-process against real Postgres and a real HTTP receiver:
address checks, holding and pausing, idempotence, and what admins can do."""

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.secretbox import SecretBox
from core.settings import Settings
from core.webhooks import new_secret
from models import Database, Event, WebhookAttempt, WebhookDelivery, WebhookSubscription, utcnow
from models.outbox import DELIVER_WEBHOOK, complete, record_event
from tests.conftest import create_test_app, csrf_token, login, token_for
from tests.support.receiver import running_receiver
from web.extensions import Services
from web.services.webhooks import set_enabled
from worker.webhooks.delivery import deliver, release_due_retries

pytestmark = pytest.mark.integration


def add_subscription(database: Database, settings: Settings, url: str, **extra: object) -> int:
    with database.session() as session:
        row = WebhookSubscription(
            url=url,
            event_types=["document.received"],
            secret_encrypted=SecretBox.of(settings).seal(new_secret()),
            **extra,
        )
        session.add(row)
        session.flush()
        return row.id


def add_delivery(database: Database) -> int:
    """A delivery these tests drive in-process: its outbox message is closed at once, so the
    session's worker (whose sweeper would send it) never races the test for it."""
    with database.session() as session:
        event = record_event(session, "document.received", {"document": {"id": "x"}})
        session.flush()
        delivery_id = session.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.event_id == event.id)
        ).one()
        complete(session, DELIVER_WEBHOOK, delivery_id)
        return delivery_id


def delivery(database: Database, delivery_id: int) -> WebhookDelivery:
    with database.session() as session:
        return session.get_one(WebhookDelivery, delivery_id)


@pytest.fixture
def patient(settings: Settings) -> Settings:
    """Settings whose retries are an hour away. A failed delivery these tests drive stays
    "retrying": the session's worker, which releases due retries, never gets to it first."""
    return settings.model_copy(update={"webhook_retry_schedule": "3600"})


@pytest.fixture
def strict(patient: Settings) -> Settings:
    return patient.model_copy(update={"webhook_allow_private": False})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.com/in", "Only http:// and https://"),
        ("javascript:alert(1)", "Only http:// and https://"),
        ("http://127.0.0.1:9000/hook", "private or local address"),
        ("http://localhost/hook", "private or local address"),
        ("http://10.1.2.3/hook", "private or local address"),
        ("http://169.254.169.254/latest/meta-data", "private or local address"),
        ("http://[::1]/hook", "private or local address"),
        ("http://[::ffff:127.0.0.1]/hook", "private or local address"),
        ("https://user:pw@hooks.example.com/", "Credentials in the URL"),
        ("https:///nohost", "no host"),
    ],
)
def test_urls_that_are_not_public_http_are_refused_at_creation(
    strict: Settings, database: Database, admin: int, url: str, message: str
) -> None:
    client = create_test_app(strict).test_client()
    auth = {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}
    body = {"url": url, "event_types": ["document.received"]}
    response = client.post("/api/v1/webhooks", headers=auth, json=body)
    assert response.status_code == 422
    assert message in response.json["error"]["message"]


def test_a_private_address_is_refused_at_delivery_time_too(
    strict: Settings, database: Database
) -> None:
    with running_receiver() as receiver:
        add_subscription(database, strict, receiver.url)  # saved when it was allowed, say
        delivery_id = add_delivery(database)
        outcome = deliver(database, strict, delivery_id)
        assert receiver.requests == []
    assert outcome.startswith("retrying")
    found = delivery(database, delivery_id)
    assert found.status == "retrying" and "private or local address" in (found.error or "")


def test_an_unreachable_receiver_is_logged_not_raised(
    patient: Settings, database: Database
) -> None:
    add_subscription(database, patient, "http://127.0.0.1:9/closed")
    delivery_id = add_delivery(database)
    assert deliver(database, patient, delivery_id).startswith("retrying")
    assert "could not connect" in (delivery(database, delivery_id).error or "")


def test_a_second_message_for_the_same_attempt_sends_nothing(
    settings: Settings, database: Database
) -> None:
    with running_receiver() as receiver:
        add_subscription(database, settings, receiver.url)
        delivery_id = add_delivery(database)
        assert deliver(database, settings, delivery_id).startswith("delivered")
        assert deliver(database, settings, delivery_id).startswith("skipped")
        assert len(receiver.requests) == 1


def test_a_delivery_whose_worker_died_is_taken_over_after_its_lease(
    settings: Settings, database: Database
) -> None:
    with running_receiver() as receiver:
        add_subscription(database, settings, receiver.url)
        delivery_id = add_delivery(database)
        with database.session() as session:
            row = session.get_one(WebhookDelivery, delivery_id)
            row.status, row.last_attempt_at = "sending", utcnow()
        assert deliver(database, settings, delivery_id).startswith("skipped")
        with database.session() as session:
            row = session.get_one(WebhookDelivery, delivery_id)
            row.last_attempt_at = utcnow() - timedelta(minutes=5)
        assert deliver(database, settings, delivery_id).startswith("delivered")
        assert len(receiver.requests) == 1


def test_a_paused_endpoint_holds_deliveries_back_without_sending(
    settings: Settings, database: Database
) -> None:
    with running_receiver() as receiver:
        paused = utcnow() + timedelta(minutes=10)
        add_subscription(database, settings, receiver.url, failure_streak=5, paused_until=paused)
        delivery_id = add_delivery(database)
        assert deliver(database, settings, delivery_id).startswith("held back")
        assert receiver.requests == []
    found = delivery(database, delivery_id)
    assert found.status == "retrying" and found.attempts == 0
    assert found.next_attempt_at is not None and found.next_attempt_at > paused
    assert release_due_retries(database) == []  # not due before the pause ends


def test_deliveries_held_while_disabled_are_sent_when_enabled(
    app: Flask, settings: Settings, database: Database, admin: int
) -> None:
    with running_receiver() as receiver:
        subscription_id = add_subscription(database, settings, receiver.url)
        delivery_id = add_delivery(database)
        with database.session() as session:
            session.get_one(WebhookSubscription, subscription_id).enabled = False
        assert deliver(database, settings, delivery_id) == "held: the subscription is disabled"
        services: Services = app.extensions["formlens"]
        assert set_enabled(services, subscription_id, True, admin) == 1
        assert delivery(database, delivery_id).status == "pending"
        assert deliver(database, settings, delivery_id).startswith("delivered")
        assert len(receiver.requests) == 1


def test_an_unreadable_secret_is_logged_as_the_attempt_error(
    patient: Settings, database: Database
) -> None:
    other = patient.model_copy(update={"secret_key": "another-install-key-" + "y" * 30})
    with running_receiver() as receiver:
        add_subscription(database, other, receiver.url)
        delivery_id = add_delivery(database)
        deliver(database, patient, delivery_id)
        assert receiver.requests == []
    assert "FORMLENS_SECRET_KEY changed" in (delivery(database, delivery_id).error or "")


def test_admins_see_the_log_and_redeliver_from_the_portal(
    admin_client: FlaskClient, staff_client_factory, settings: Settings, database: Database
) -> None:
    with running_receiver() as receiver:
        add_subscription(database, settings, receiver.url)
        delivery_id = add_delivery(database)
        deliver(database, settings, delivery_id)
        log = admin_client.get("/integrations/deliveries").get_data(as_text=True)
        assert "document.received" in log and "delivered" in log and " ms" in log
        page = admin_client.get(f"/integrations/deliveries/{delivery_id}").get_data(as_text=True)
        assert "HTTP 200" in page and "Redeliver" in page
        token = csrf_token(admin_client, f"/integrations/deliveries/{delivery_id}")
        response = admin_client.post(
            f"/integrations/deliveries/{delivery_id}/redeliver", data={"csrf_token": token}
        )
        assert response.status_code == 302
        assert delivery(database, delivery_id).status == "pending"
        deliver(database, settings, delivery_id)
        assert [r.webhook_id for r in receiver.requests] == [receiver.requests[0].webhook_id] * 2
    with database.session() as session:
        assert len(session.scalars(select(WebhookAttempt)).all()) == 2
        event = session.scalars(select(Event)).one()
        assert receiver.requests[0].webhook_id == str(event.id)
    staff = staff_client_factory()
    assert staff.get("/integrations/").status_code == 403
    assert staff.get(f"/integrations/deliveries/{delivery_id}").status_code == 403


@pytest.fixture
def staff_client_factory(app: Flask, staff: int):
    def make() -> FlaskClient:
        client = app.test_client()
        login(client, "staff@example.com")
        return client

    return make


def test_the_webhook_pages_create_show_the_secret_once_and_refuse_bad_urls(
    admin_client: FlaskClient, settings: Settings, database: Database
) -> None:
    token = csrf_token(admin_client, "/integrations/webhooks/new")
    form = {"csrf_token": token, "event_types": ["document.approved"], "enabled": "y"}
    refused = admin_client.post(
        "/integrations/webhooks/new", data={**form, "url": "gopher://x", "export_profile": "0"}
    )
    assert refused.status_code == 422
    assert "Only http:// and https://" in refused.get_data(as_text=True)
    created = admin_client.post(
        "/integrations/webhooks/new",
        data={**form, "url": "https://hooks.example.com/in", "export_profile": "0"},
    )
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "shown this once" in page
    secret = page.split('id="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_")
    with database.session() as session:
        row = session.scalars(select(WebhookSubscription)).one()
    assert secret not in row.secret_encrypted  # sealed, never stored in clear
    assert SecretBox.of(settings).open(row.secret_encrypted) == secret
    detail = admin_client.get(f"/integrations/webhooks/{row.id}").get_data(as_text=True)
    assert secret not in detail and "https://hooks.example.com/in" in detail
