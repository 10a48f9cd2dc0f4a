"""Delivering one webhook: claim it, send it with no session open, record the attempt.

Written like document processing, so that a message delivered twice, or two workers at once,
send at most one request per due attempt:

- the claim locks the delivery row and moves it to ``sending`` only if it is due (``pending``,
  or ``sending`` whose worker died: its lease of timeout + a minute has passed);
- the request is built and signed in the claim, then sent outside any transaction;
- the outcome is written with the attempt log, the next retry time (jittered backoff from the
  settings) or the final verdict, and the outbox message is completed in the same transaction.

Retries are released by the sweeper (:func:`release_due_retries`) when they come due.

An endpoint that failed ``BREAKER_STREAK`` times in a row is paused: one delivery at a time
probes it on its own schedule while the others wait for the pause to end, so a receiver that
hangs takes one worker slot for one timeout, not all of them. A delivery whose schedule is
spent fails, and its subscription is disabled with a notice for admins.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.egress import DestinationRefused, allowed_addresses, parse_destination
from core.mapping import MappingError, apply_mapping, parse_mapping
from core.secretbox import SecretBox, SecretUnreadable
from core.settings import Settings
from core.webhooks import dumps, event_body, retry_delay, signed_headers
from models import (
    Database,
    Notice,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from models.audit import record_audit
from models.outbox import DELIVER_WEBHOOK, complete, enqueue
from models.queries import type_spec
from worker.webhooks.sender import Outcome, post

PENDING, SENDING, RETRYING = "pending", "sending", "retrying"
DELIVERED, FAILED, HELD = "delivered", "failed", "held"
LEASE_MARGIN_S = 60.0
BREAKER_STREAK = 3
RELEASE_BATCH = 500


@dataclass(frozen=True)
class Request:
    """A claimed attempt, ready to send (or ``problem`` says why it cannot be)."""

    delivery_id: int
    claimed_at: datetime
    url: str
    headers: dict[str, str]
    body: str
    problem: str | None = None


def deliver(database: Database, settings: Settings, delivery_id: int) -> str:
    """Make the delivery's due attempt; returns what happened, for the log."""
    claimed = claim_delivery(database, settings, delivery_id)
    if isinstance(claimed, str):
        return claimed
    outcome = Outcome.refused(claimed.problem) if claimed.problem else send(claimed, settings)
    return record_attempt(database, settings, claimed, outcome)


def send(request: Request, settings: Settings) -> Outcome:
    try:
        destination = parse_destination(request.url)
        addresses = allowed_addresses(destination, allow_private=settings.webhook_allow_private)
    except DestinationRefused as refused:
        return Outcome.refused(f"refused: {refused}")
    timeout = settings.webhook_timeout_s
    return post(destination, addresses, request.headers, request.body.encode(), timeout)


def _is_due(delivery: WebhookDelivery, now: datetime, settings: Settings) -> bool:
    if delivery.status in (PENDING, RETRYING):
        return delivery.next_attempt_at is None or delivery.next_attempt_at <= now
    if delivery.status == SENDING and delivery.last_attempt_at is not None:
        lease = timedelta(seconds=settings.webhook_timeout_s + LEASE_MARGIN_S)
        return delivery.last_attempt_at < now - lease
    return False


def claim_delivery(database: Database, settings: Settings, delivery_id: int) -> Request | str:
    now = utcnow()
    with database.session() as session:
        delivery = session.get(
            WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True
        )
        if delivery is None:
            return "skipped: the delivery no longer exists"
        if not _is_due(delivery, now, settings):
            return f"skipped: {delivery.status}, not due"
        subscription = session.get_one(
            WebhookSubscription,
            delivery.subscription_id,
            with_for_update=True,
            populate_existing=True,
        )
        held = _hold(session, delivery, subscription, now)
        if held:
            return held
        if subscription.failure_streak >= BREAKER_STREAK:
            # This attempt is the probe; others wait until it is answered or times out.
            subscription.paused_until = now + timedelta(seconds=settings.webhook_timeout_s + 5)
        delivery.status = SENDING
        delivery.last_attempt_at = now
        return _request(session, settings, delivery, subscription, now)


def _hold(
    session: Session,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    now: datetime,
) -> str | None:
    if not subscription.enabled:
        delivery.status = HELD
        complete(session, DELIVER_WEBHOOK, delivery.id)
        return "held: the subscription is disabled"
    paused = subscription.paused_until
    if paused is not None and paused > now:
        delivery.status = RETRYING
        delivery.next_attempt_at = paused + timedelta(seconds=random.uniform(1, 5))  # noqa: S311
        complete(session, DELIVER_WEBHOOK, delivery.id)
        return f"held back: the endpoint is paused until {paused.isoformat()}"
    return None


def _request(
    session: Session,
    settings: Settings,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    now: datetime,
) -> Request:
    request = Request(delivery.id, now, subscription.url, headers={}, body="")
    try:
        secret = SecretBox.of(settings).open(subscription.secret_encrypted)
        body = message_body(session, delivery, subscription)
    except (SecretUnreadable, MappingError) as error:
        return replace(request, problem=str(error))
    headers = signed_headers(secret, str(delivery.event_id), now, body)
    return replace(request, headers=headers, body=body)


def message_body(
    session: Session, delivery: WebhookDelivery, subscription: WebhookSubscription
) -> str:
    """The event as a Standard Webhooks envelope, or the mapped document for a push."""
    event = delivery.event
    export = event.payload.get("export")
    profile = subscription.export_profile
    if profile is None or export is None:
        return event_body(event.type, event.created_at, event.payload)
    spec = type_spec(session, (export.get("document") or {}).get("document_type"))
    return dumps(apply_mapping(parse_mapping(profile.mapping), export, spec))


def record_attempt(
    database: Database, settings: Settings, request: Request, outcome: Outcome
) -> str:
    now = utcnow()
    with database.session() as session:
        delivery = session.get(
            WebhookDelivery, request.delivery_id, with_for_update=True, populate_existing=True
        )
        if delivery is None:
            return "discarded: the delivery was deleted while sending"
        if delivery.status != SENDING or delivery.last_attempt_at != request.claimed_at:
            return "discarded: another worker took the delivery over"
        subscription = session.get_one(
            WebhookSubscription, delivery.subscription_id, with_for_update=True
        )
        delivery.attempts += 1
        _log(session, delivery, request, outcome)
        complete(session, DELIVER_WEBHOOK, delivery.id)
        if outcome.ok:
            delivery.status, delivery.delivered_at = DELIVERED, now
            delivery.next_attempt_at = None
            subscription.failure_streak, subscription.paused_until = 0, None
            return f"delivered: HTTP {outcome.status} in {outcome.latency_ms} ms"
        return _failed(session, settings, delivery, subscription, now)


def _log(session: Session, delivery: WebhookDelivery, request: Request, outcome: Outcome) -> None:
    error = outcome.error
    if error is None and not outcome.ok:
        error = f"HTTP {outcome.status}"
    delivery.response_status = outcome.status
    delivery.latency_ms = outcome.latency_ms
    delivery.response_excerpt = outcome.excerpt
    delivery.error = error
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            url=request.url,
            response_status=outcome.status,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=error,
            created_at=request.claimed_at,
        )
    )


def _failed(
    session: Session,
    settings: Settings,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    now: datetime,
) -> str:
    subscription.failure_streak += 1
    delay = retry_delay(settings.webhook_retry_delays, delivery.attempts)
    if delay is None:
        delivery.status, delivery.next_attempt_at = FAILED, None
        if subscription.enabled:
            disable_subscription(session, subscription, delivery, now)
        return f"failed: gave up after {delivery.attempts} attempts ({delivery.error})"
    delivery.status = RETRYING
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    if subscription.failure_streak >= BREAKER_STREAK:
        subscription.paused_until = delivery.next_attempt_at
    return f"retrying in {delay:.1f} s ({delivery.error})"


def disable_subscription(
    session: Session,
    subscription: WebhookSubscription,
    delivery: WebhookDelivery,
    now: datetime,
) -> None:
    """Persistent failure: stop sending, and tell the admins where they will look."""
    reason = (
        f"All {delivery.attempts} attempts to deliver event {delivery.event_id} failed between "
        f"{delivery.created_at:%Y-%m-%d %H:%M} and {now:%Y-%m-%d %H:%M} UTC; "
        f"the last: {delivery.error}."
    )
    subscription.enabled = False
    subscription.disabled_at = now
    subscription.disabled_reason = reason
    session.add(
        Notice(
            level="error",
            message=f"The webhook to {subscription.url} was disabled. {reason} Fix the receiver, "
            "then enable the subscription again under Integrations.",
        )
    )
    record_audit(
        session, None, "webhook.disabled", ("webhook_subscription", subscription.id), reason=reason
    )


def release_due_retries(database: Database) -> list[int]:
    """Queue the retries whose time has come; returns their outbox message ids to publish."""
    now = utcnow()
    with database.session() as session:
        due = list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status == RETRYING, WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(RELEASE_BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not due:
            return []
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(due))
            .values(status=PENDING)
            .execution_options(synchronize_session=False)
        )
        messages = [enqueue(session, DELIVER_WEBHOOK, delivery_id) for delivery_id in due]
        session.flush()
        return [message.id for message in messages]
