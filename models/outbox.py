"""Recording tasks and events in the caller's transaction (the outbox's write side).

Publishing to the broker is the worker's business (:mod:`worker.outbox`); here a use case only
records, in the same transaction as its own change, that a task must run or that an event
happened. Each event fans out to one delivery per matching webhook subscription.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.delivery import Event, OutboxMessage, WebhookDelivery, WebhookSubscription
from models.documents import Document

# The only coupling between the database and Celery: task names and their queues.
Target = tuple[str, str]
PROCESS_DOCUMENT: Target = ("worker.tasks.process_document", "cpu")
READ_ON_GPU: Target = ("worker.tasks.read_on_gpu", "gpu")
DELIVER_WEBHOOK: Target = ("worker.tasks.deliver_webhook", "webhooks")
TRAIN_ADAPTER: Target = ("worker.tasks.train_adapter", "training")

EVENT_TYPES = (
    "document.received",
    "document.extracted",
    "document.needs_review",
    "document.approved",
    "document.failed",
    "adapter.trained",
    "adapter.activated",
)


# Messages recorded during the current request or task, to publish once it has committed.
_recorded: ContextVar[list[OutboxMessage] | None] = ContextVar("outbox_recorded", default=None)


def start_recording() -> tuple[Token[list[OutboxMessage] | None], list[OutboxMessage]]:
    """Collect the messages :func:`enqueue` records from now on in this context."""
    messages: list[OutboxMessage] = []
    return _recorded.set(messages), messages


def stop_recording(token: Token[list[OutboxMessage] | None]) -> None:
    _recorded.reset(token)


@contextmanager
def recording() -> Iterator[list[OutboxMessage]]:
    """Collect the messages :func:`enqueue` records inside the block (a task, a command)."""
    token, messages = start_recording()
    try:
        yield messages
    finally:
        stop_recording(token)


def recorded_ids(messages: list[OutboxMessage]) -> list[int]:
    """Ids of the recorded messages that reached the database (a rolled-back one may not)."""
    return [message.id for message in messages if message.id is not None]


def enqueue(session: Session, target: Target, argument: object) -> OutboxMessage:
    """Record that ``target`` must run with ``argument``; commits with the caller's changes."""
    task, queue = target
    message = OutboxMessage(task=task, queue=queue, argument=str(argument))
    session.add(message)
    collected = _recorded.get()
    if collected is not None:
        collected.append(message)
    return message


def complete(session: Session, target: Target, argument: object) -> None:
    """Mark the open messages for ``target(argument)`` done, in the task's result transaction."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.task == target[0],
            OutboxMessage.argument == str(argument),
            OutboxMessage.completed_at.is_(None),
        )
        .values(completed_at=utcnow())
    )


def document_summary(document: Document) -> dict[str, Any]:
    """The part of a document that events carry (the full export is one API call away)."""
    return {
        "document": {
            "id": str(document.id),
            "filename": document.filename,
            "sha256": document.sha256,
            "status": document.status,
            "document_type": document.type_name,
            "review_reasons": list(document.review_reasons or []),
            "error": document.error,
        }
    }


def record_event(
    session: Session,
    event_type: str,
    payload: dict[str, Any],
    document_id: uuid.UUID | None = None,
) -> Event:
    """Store an event and queue one delivery per enabled subscription that wants it."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = Event(type=event_type, document_id=document_id, payload=payload)
    session.add(event)
    session.flush()
    subscriptions = session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.enabled.is_(True))
    )
    for subscription in subscriptions:
        if event_type in subscription.event_types:
            delivery = WebhookDelivery(subscription_id=subscription.id, event_id=event.id)
            session.add(delivery)
            session.flush()
            enqueue(session, DELIVER_WEBHOOK, delivery.id)
    return event
