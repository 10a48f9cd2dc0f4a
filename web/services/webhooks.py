"""Use cases of webhook subscriptions and their deliveries, for admins (portal and API).

A subscription's URL is checked when it is saved (http(s) only, no credentials, no private
address unless allowed) and again by the worker before every delivery. Its signing secret is
generated here, shown once, and stored sealed (:mod:`core.secretbox`). A subscription with an
export profile is an accounting push: it receives the mapped document on ``document.approved``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.egress import DestinationRefused, is_public, parse_destination, resolve
from core.secretbox import SecretBox
from core.settings import Settings
from core.webhooks import new_secret
from models import ExportProfile, Notice, WebhookDelivery, WebhookSubscription, utcnow
from models.audit import record_audit
from models.outbox import DELIVER_WEBHOOK, EVENT_TYPES, enqueue
from web.extensions import Services

PUSH_EVENT = "document.approved"
MAX_DESCRIPTION = 255


class SubscriptionRefused(ValueError):
    """The subscription cannot be saved as asked; the message says why."""


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class SubscriptionInput:
    url: str
    event_types: tuple[str, ...]
    description: str = ""
    enabled: bool = True
    export_profile_id: int | None = None


@dataclass(frozen=True)
class Created:
    subscription_id: int
    secret: str
    warnings: list[str]


def check_input(
    session: Session, settings: Settings, data: SubscriptionInput
) -> tuple[SubscriptionInput, list[str]]:
    """The cleaned input and warnings, or :class:`SubscriptionRefused`."""
    try:
        destination = parse_destination(data.url)
    except DestinationRefused as refused:
        raise SubscriptionRefused(str(refused)) from None
    warnings = _address_warnings(destination.host, destination.port, settings)
    events = tuple(dict.fromkeys(data.event_types))
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise SubscriptionRefused(f"Unknown event types: {', '.join(unknown)}.")
    if data.export_profile_id is not None:
        if session.get(ExportProfile, data.export_profile_id) is None:
            raise SubscriptionRefused("There is no such export profile.")
        events = (PUSH_EVENT,)  # a push sends approved documents, nothing else
    if not events:
        raise SubscriptionRefused("Choose at least one event type.")
    if len(data.description) > MAX_DESCRIPTION:
        raise SubscriptionRefused(f"The description is longer than {MAX_DESCRIPTION} characters.")
    cleaned = replace(data, url=data.url.strip(), event_types=events)
    return cleaned, warnings


def _address_warnings(host: str, port: int, settings: Settings) -> list[str]:
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        return [
            f"{host} cannot be resolved right now; deliveries will be logged as failed "
            "until it can."
        ]
    private = [str(a) for a in addresses if not is_public(a)]
    if private and not settings.webhook_allow_private:
        raise SubscriptionRefused(
            f"{host} is a private or local address ({', '.join(private)}); FormLens only "
            "delivers to public addresses unless FORMLENS_WEBHOOK_ALLOW_PRIVATE is set."
        )
    return []


def create_subscription(services: Services, data: SubscriptionInput, actor_id: int) -> Created:
    secret = new_secret()
    with services.database.session() as session:
        data, warnings = check_input(session, services.settings, data)
        subscription = WebhookSubscription(
            url=data.url,
            description=data.description,
            event_types=list(data.event_types),
            enabled=data.enabled,
            export_profile_id=data.export_profile_id,
            secret_encrypted=SecretBox.of(services.settings).seal(secret),
            created_by_id=actor_id,
        )
        session.add(subscription)
        session.flush()
        target = ("webhook_subscription", subscription.id)
        record_audit(session, actor_id, "webhook.created", target, url=data.url)
        return Created(subscription.id, secret, warnings)


def _subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    found = session.get(WebhookSubscription, subscription_id, with_for_update=True)
    if found is None:
        raise NotFound("There is no such webhook subscription.")
    return found


def update_subscription(
    services: Services, subscription_id: int, data: SubscriptionInput, actor_id: int
) -> list[str]:
    with services.database.session() as session:
        data, warnings = check_input(session, services.settings, data)
        subscription = _subscription(session, subscription_id)
        subscription.url = data.url
        subscription.description = data.description
        subscription.event_types = list(data.event_types)
        subscription.export_profile_id = data.export_profile_id
        target = ("webhook_subscription", subscription.id)
        record_audit(session, actor_id, "webhook.updated", target, url=data.url)
        _set_enabled(session, subscription, data.enabled, actor_id)
    return warnings


def set_enabled(services: Services, subscription_id: int, enabled: bool, actor_id: int) -> int:
    """Enable or disable; enabling sends the deliveries held while it was disabled (their
    outbox messages are published after the request, see :func:`web.queue.init_app`)."""
    with services.database.session() as session:
        subscription = _subscription(session, subscription_id)
        return _set_enabled(session, subscription, enabled, actor_id)


def _set_enabled(
    session: Session, subscription: WebhookSubscription, enabled: bool, actor_id: int
) -> int:
    """Returns how many held deliveries were queued again."""
    if subscription.enabled == enabled:
        return 0
    subscription.enabled = enabled
    target = ("webhook_subscription", subscription.id)
    if not enabled:
        subscription.disabled_at, subscription.disabled_reason = utcnow(), "Disabled by an admin."
        record_audit(session, actor_id, "webhook.disabled", target)
        return 0
    subscription.disabled_at = subscription.disabled_reason = None
    subscription.failure_streak, subscription.paused_until = 0, None
    record_audit(session, actor_id, "webhook.enabled", target)
    held = list(
        session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.subscription_id == subscription.id,
                WebhookDelivery.status == "held",
            )
        )
    )
    for delivery in held:
        _requeue(session, delivery)
    return len(held)


def _requeue(session: Session, delivery: WebhookDelivery) -> None:
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, None
    enqueue(session, DELIVER_WEBHOOK, delivery.id)


def rotate_secret(services: Services, subscription_id: int, actor_id: int) -> str:
    """A new signing secret, effective for the next attempt; shown once."""
    secret = new_secret()
    with services.database.session() as session:
        subscription = _subscription(session, subscription_id)
        subscription.secret_encrypted = SecretBox.of(services.settings).seal(secret)
        record_audit(
            session, actor_id, "webhook.secret_rotated", ("webhook_subscription", subscription.id)
        )
    return secret


def delete_subscription(services: Services, subscription_id: int, actor_id: int) -> None:
    with services.database.session() as session:
        subscription = _subscription(session, subscription_id)
        target = ("webhook_subscription", subscription.id)
        record_audit(session, actor_id, "webhook.deleted", target, url=subscription.url)
        session.delete(subscription)


def redeliver(services: Services, delivery_id: int, actor_id: int) -> None:
    """Send a delivery's event again, with the same ``webhook-id``; refuses with a reason."""
    with services.database.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            raise NotFound("There is no such delivery.")
        if not delivery.subscription.enabled:
            raise SubscriptionRefused("The subscription is disabled; enable it first.")
        if delivery.status in ("pending", "sending"):
            raise SubscriptionRefused("This delivery is being sent already.")
        _requeue(session, delivery)
        target = ("webhook_delivery", delivery.id)
        record_audit(session, actor_id, "webhook.redelivered", target)


def dismiss_notice(services: Services, notice_id: int) -> None:
    with services.database.session() as session:
        session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.dismissed_at.is_(None))
            .values(dismissed_at=utcnow())
        )
