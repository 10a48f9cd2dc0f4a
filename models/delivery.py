"""What leaves FormLens, and the bookkeeping that makes it reliable.

- :class:`OutboxMessage`: a task that must run, committed with the change that calls for it;
  the relay publishes it to the broker and the sweeper publishes again what was lost.
- :class:`Event`: something that happened to a document or an adapter (webhook payloads).
- :class:`WebhookSubscription` / :class:`WebhookDelivery` / :class:`WebhookAttempt`: who wants
  which events, each event's delivery to each of them, and every HTTP request made for it.
  An export profile attached to a subscription turns it into an accounting push of the mapped
  document.
- :class:`AuditEntry` and :class:`Notice`: the admin-visible trail and alerts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped


class OutboxMessage(Timestamped, Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "completed_at", "dispatched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(128))
    queue: Mapped[str] = mapped_column(String(32))
    # The task's single argument (a document id, a delivery id, a job id) as a string.
    argument: Mapped[str] = mapped_column(String(64))
    dispatched_at: Mapped[datetime | None]
    dispatch_count: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None]


class Event(Timestamped, Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_type_created", "type", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ExportProfile(Timestamped, Base):
    """A mapping from FormLens fields to an accounting system's JSON shape."""

    __tablename__ = "export_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # {"fields": {"target.path": "source_field"}, "constants": {...}, "date_format": "%d.%m.%Y",
    #  "decimal_separator": ",", "line_items": {...}}
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WebhookSubscription(Timestamped, Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(255), default="")
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    # The signing secret must be known to sign, so it is encrypted (not hashed) at rest.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    export_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("export_profiles.id", ondelete="SET NULL")
    )
    failure_streak: Mapped[int] = mapped_column(default=0)
    # After a few failures in a row, one delivery at a time probes the endpoint until then.
    paused_until: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    export_profile: Mapped[ExportProfile | None] = relationship()


class WebhookDelivery(Timestamped, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="subscription_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # pending -> delivered | retrying -> ... -> delivered | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    latency_ms: Mapped[int | None]
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)

    subscription: Mapped[WebhookSubscription] = relationship()
    event: Mapped[Event] = relationship()


class WebhookAttempt(Timestamped, Base):
    """One HTTP request of a delivery (``created_at`` is when it was sent): the delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    url: Mapped[str] = mapped_column(String(2048))
    response_status: Mapped[int | None]
    latency_ms: Mapped[int | None]
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Timestamped, Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Notice(Timestamped, Base):
    """An alert shown to admins in the portal until dismissed (e.g. a webhook was disabled)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16), default="warning")
    message: Mapped[str] = mapped_column(Text)
    dismissed_at: Mapped[datetime | None]
