"""Webhooks delivered by a real Celery worker to real HTTP receivers on localhost."""

import io
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from core.settings import Settings
from core.webhooks import signed_headers
from formlens.webhook_receiver import Receiver
from models import (
    Database,
    Event,
    Notice,
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from models.outbox import DELIVER_WEBHOOK, record_event
from tests.conftest import token_for
from tests.support.documents import invoice_pdf
from tests.support.receiver import HookReceiver, Received, always, running_receiver
from tests.support.waiting import wait_until_done
from tests.support.worker import WorkerProcess
from web.queue import Queue

pytestmark = pytest.mark.integration


@pytest.fixture
def admin_auth(database: Database, admin: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(database, admin, 'admin')}"}


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    with running_receiver() as running:
        yield running


def subscribe(
    client: FlaskClient, auth: dict[str, str], url: str, *events: str, **extra: object
) -> tuple[int, str]:
    body = {"url": url, "event_types": list(events or ["document.received"]), **extra}
    response = client.post("/api/v1/webhooks", headers=auth, json=body)
    assert response.status_code == 201, response.json
    return response.json["id"], response.json["secret"]


def emit(settings: Settings, database: Database, event_type: str = "document.received") -> Event:
    """Record an event as a use case would, and publish its deliveries at once."""
    with database.session() as session:
        event = record_event(session, event_type, {"document": {"id": str(uuid.uuid4())}})
        session.flush()
        messages = list(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.task == DELIVER_WEBHOOK[0], OutboxMessage.dispatched_at.is_(None)
                )
            )
        )
    Queue(settings, database).publish_now(messages)
    return event


def wait_for_deliveries(
    database: Database, statuses: set[str], count: int = 1, timeout: float = 30.0, log: str = ""
) -> list[WebhookDelivery]:
    """The deliveries, once there are ``count`` and all are in one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        with database.session() as session:
            found = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        if len(found) >= count and all(d.status in statuses for d in found):
            return found
        if time.monotonic() > deadline:
            state = [d.status for d in found]
            raise AssertionError(f"deliveries are {state} after {timeout} s\n{log[-3000:]}")
        time.sleep(0.1)


def wait_for_delivery(
    database: Database, statuses: set[str], timeout: float = 30.0, log: str = ""
) -> WebhookDelivery:
    return wait_for_deliveries(database, statuses, 1, timeout, log)[0]


def attempts(database: Database) -> list[WebhookAttempt]:
    with database.session() as session:
        return list(session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))


def test_events_arrive_signed_with_the_event_id(
    client: FlaskClient,
    auth: dict[str, str],
    admin_auth: dict[str, str],
    database: Database,
    worker: WorkerProcess,
    receiver: HookReceiver,
) -> None:
    events = ("document.received", "document.needs_review", "document.extracted")
    _, secret = subscribe(client, admin_auth, receiver.url, *events)
    response = client.post(
        "/api/v1/documents",
        headers=auth,
        data={"file": (io.BytesIO(invoice_pdf(tag="hooks")), "hooks.pdf"), "type": "invoice"},
    )
    document_id = response.json["id"]
    status = wait_until_done(database, [document_id], log=worker.log_tail())[document_id]
    requests = receiver.wait_for(2, timeout=40)
    processed: list[dict[str, object]] = []
    reference = Receiver(secret, processed.append)
    with database.session() as session:
        event_ids = {str(e.id): e.type for e in session.scalars(select(Event))}
    for request in requests:
        payload = Webhook(secret).verify(request.body, request.headers)
        assert event_ids[request.webhook_id] == payload["type"]
        assert payload["data"]["document"]["id"] == document_id
        assert request.headers["content-type"] == "application/json"
        assert reference.receive(request.body, request.headers).status == 200
    assert {p["type"] for p in processed} == {"document.received", f"document.{status}"}
    delivered = wait_for_deliveries(database, {"delivered"}, count=2)
    assert all(d.response_status == 200 and d.latency_ms is not None for d in delivered)
    assert all('"ok": true' in d.response_excerpt for d in delivered)


def test_a_receiver_that_fails_five_times_gets_the_event_once_more_with_the_same_id(
    client: FlaskClient,
    admin_auth: dict[str, str],
    settings: Settings,
    database: Database,
    worker: WorkerProcess,
) -> None:
    def five_failures(number: int, _request: Received) -> tuple[int, bytes]:
        return (500, b"database is down") if number <= 5 else (200, b"thanks")

    with running_receiver(five_failures) as failing:
        _, secret = subscribe(client, admin_auth, failing.url)
        event = emit(settings, database)
        delivery = wait_for_delivery(database, {"delivered", "failed"}, log=worker.log_tail())
        time.sleep(2.0)  # long enough for a seventh request, which must not come
        requests = list(failing.requests)
    assert delivery.status == "delivered" and delivery.attempts == 6
    assert len(requests) == 6
    assert {r.webhook_id for r in requests} == {str(event.id)}
    for request in requests:  # every attempt is signed afresh, and every signature holds
        Webhook(secret).verify(request.body, request.headers)
    assert len({r.body for r in requests}) == 1
    log = attempts(database)
    assert [a.response_status for a in log] == [500] * 5 + [200]
    assert log[0].response_excerpt == "database is down" and log[0].error == "HTTP 500"
    assert [a.number for a in log] == [1, 2, 3, 4, 5, 6]
    gaps = [b.created_at - a.created_at for a, b in pairwise(log)]
    assert all(gap >= timedelta(seconds=0.2) for gap in gaps)  # backoff, not a tight loop
    with database.session() as session:
        subscription = session.scalars(select(WebhookSubscription)).one()
        assert subscription.failure_streak == 0 and subscription.paused_until is None


def test_persistent_failure_disables_the_subscription_with_a_notice(
    client: FlaskClient,
    admin_auth: dict[str, str],
    admin_client: FlaskClient,
    settings: Settings,
    database: Database,
    worker: WorkerProcess,
) -> None:
    with running_receiver(always(503, b"maintenance")) as down:
        subscribe(client, admin_auth, down.url)
        emit(settings, database)
        delivery = wait_for_delivery(database, {"failed"}, timeout=40, log=worker.log_tail())
    assert delivery.attempts == len(settings.webhook_retry_delays) + 1
    with database.session() as session:
        subscription = session.scalars(select(WebhookSubscription)).one()
        notice = session.scalars(select(Notice)).one()
        assert not subscription.enabled and "HTTP 503" in (subscription.disabled_reason or "")
        assert subscription.url in notice.message
    page = admin_client.get("/integrations/").get_data(as_text=True)
    assert "was disabled" in page and "Dismiss" in page
    emit(settings, database)  # a disabled subscription gets no new deliveries
    with database.session() as session:
        assert len(session.scalars(select(WebhookDelivery)).all()) == 1


def test_redeliver_sends_the_same_message_again(
    client: FlaskClient,
    admin_auth: dict[str, str],
    settings: Settings,
    database: Database,
    worker: WorkerProcess,
    receiver: HookReceiver,
) -> None:
    _, secret = subscribe(client, admin_auth, receiver.url)
    event = emit(settings, database)
    delivery = wait_for_delivery(database, {"delivered"}, log=worker.log_tail())
    response = client.post(
        f"/api/v1/webhook-deliveries/{delivery.id}/redeliver", headers=admin_auth
    )
    assert response.status_code == 202
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id == str(event.id)
    reference = Receiver(secret, lambda _payload: None)
    assert reference.receive(first.body, first.headers).reason == "processed"
    assert reference.receive(second.body, second.headers).reason == "duplicate: processed before"
    wait_for_delivery(database, {"delivered"})
    detail = client.get(f"/api/v1/webhook-deliveries/{delivery.id}", headers=admin_auth).json
    assert len(detail["attempt_log"]) == 2 and detail["status"] == "delivered"


def test_replayed_or_tampered_messages_are_rejected_by_the_reference_receiver(
    client: FlaskClient,
    admin_auth: dict[str, str],
    settings: Settings,
    database: Database,
    worker: WorkerProcess,
    receiver: HookReceiver,
) -> None:
    _, secret = subscribe(client, admin_auth, receiver.url)
    emit(settings, database)
    (captured,) = receiver.wait_for(1)
    processed: list[object] = []
    reference = Receiver(secret, processed.append)
    assert reference.receive(captured.body, captured.headers).status == 200
    replay = reference.receive(captured.body, captured.headers)
    assert replay.status == 200 and replay.payload is None  # acknowledged, not processed
    tampered = captured.body.replace(b"document.received", b"document.approved")
    forged = {**captured.headers, "webhook-signature": "v1," + "A" * 44}
    other_id = {**captured.headers, "webhook-id": str(uuid.uuid4())}
    malformed = {**captured.headers, "webhook-signature": "not a signature"}
    missing = {k: v for k, v in captured.headers.items() if k != "webhook-signature"}
    long_ago = utcnow() - timedelta(minutes=10)
    stale = signed_headers(secret, captured.webhook_id, long_ago, captured.body.decode())
    for body, headers in (
        (tampered, captured.headers),
        (captured.body, forged),
        (captured.body, other_id),
        (captured.body, malformed),
        (captured.body, missing),
        (captured.body, stale),
    ):
        assert reference.receive(body, headers).status == 400
    assert len(processed) == 1


def test_an_export_profile_pushes_the_mapped_approved_document(
    client: FlaskClient,
    admin_auth: dict[str, str],
    staff_client: FlaskClient,
    database: Database,
    worker: WorkerProcess,
    receiver: HookReceiver,
) -> None:
    from tests.integration.test_review import form_of, post_review  # noqa: PLC0415
    from tests.support.reviewing import add_read_document  # noqa: PLC0415

    mapping = {
        "fields": {"Beleg.Nummer": "invoice_number", "Beleg.Datum": "issue_date",
                   "Beleg.Brutto": "total_amount", "Quelle": "document.filename"},
        "constants": {"Beleg.Art": "Eingang"},
        "date_format": "%d.%m.%Y",
        "decimal_separator": ",",
        "line_items": {"target": "Positionen", "fields": {"Text": "description"}},
    }  # fmt: skip
    profile = client.post(
        "/api/v1/export-profiles", headers=admin_auth, json={"name": "DATEV", "mapping": mapping}
    )
    assert profile.status_code == 201, profile.json
    _, secret = subscribe(
        client, admin_auth, receiver.url, "document.received", export_profile_id=profile.json["id"]
    )
    document_id = add_read_document(database)
    form = form_of(staff_client, document_id)
    post_review(
        staff_client, document_id, form, **{"field-total_amount": "119,00", "action": "approve"}
    )
    (pushed,) = receiver.wait_for(1)
    body = Webhook(secret).verify(pushed.body, pushed.headers)
    assert body == {
        "Beleg": {"Nummer": "INV-2024-0042", "Datum": "15.03.2024", "Brutto": "119,00",
                  "Art": "Eingang"},
        "Quelle": "march.pdf",
        "Positionen": [{"Text": "Widgets"}],
    }  # fmt: skip
    with database.session() as session:
        event = session.scalars(select(Event).where(Event.type == "document.approved")).one()
        assert pushed.webhook_id == str(event.id)
        assert json.loads(pushed.body) == body
