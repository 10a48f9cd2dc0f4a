"""The transactional outbox's read side: pending messages are published to the broker.

A use case adds an :class:`OutboxMessage` in the same transaction as the change that calls
for the task (an upload, an approval; see :mod:`models.outbox`). After the commit,
:func:`publish` sends it to the broker; if the broker is down the row simply stays pending.
The sweeper publishes again what was never sent and what was sent but never completed (a
broker that lost its data), so nothing a user asked for is lost. Tasks are idempotent, so a
message sent twice does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update

from models import Database, OutboxMessage, utcnow

log = logging.getLogger(__name__)

Publisher = Callable[[str, str, str], None]  # (task, queue, argument); raises if not sent


def publish(database: Database, publisher: Publisher, message_ids: Sequence[int]) -> int:
    """Send the given messages now; the ones the broker refuses stay pending for the sweeper."""
    if not message_ids:
        return 0
    with database.session() as session:
        messages = list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids)))
        )
    return _send(database, publisher, messages)


def publish_due(
    database: Database, publisher: Publisher, *, grace_s: float, redispatch_after_s: float
) -> int:
    """Send what was never sent (older than ``grace_s``) or sent long ago and never completed."""
    now = utcnow()
    with database.session() as session:
        messages = list(session.scalars(_due(now, grace_s, redispatch_after_s).limit(500)))
    return _send(database, publisher, messages)


def _due(now: datetime, grace_s: float, redispatch_after_s: float) -> Select[OutboxMessage]:
    never_sent = (OutboxMessage.dispatched_at.is_(None)) & (
        OutboxMessage.created_at < now - timedelta(seconds=grace_s)
    )
    lost = OutboxMessage.dispatched_at < now - timedelta(seconds=redispatch_after_s)
    return (
        select(OutboxMessage)
        .where(OutboxMessage.completed_at.is_(None), or_(never_sent, lost))
        .order_by(OutboxMessage.id)
    )


def _send(database: Database, publisher: Publisher, messages: Sequence[OutboxMessage]) -> int:
    sent: list[int] = []
    for message in messages:
        try:
            publisher(message.task, message.queue, message.argument)
        except Exception as error:  # any broker failure leaves the row pending
            log.warning("broker refused %s(%s): %s", message.task, message.argument, error)
            break  # the broker is down: the rest would fail the same way
        sent.append(message.id)
    if sent:
        with database.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(sent))
                .values(
                    dispatched_at=utcnow(),
                    dispatch_count=OutboxMessage.dispatch_count + 1,
                )
            )
    return len(sent)
