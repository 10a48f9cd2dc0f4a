"""Queries over webhook deliveries for the delivery log (newest first, keyset pages by id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models.delivery import Notice, WebhookAttempt, WebhookDelivery, WebhookSubscription

STATUSES = ("pending", "sending", "retrying", "delivered", "failed", "held")


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: Sequence[WebhookDelivery]
    next_before: int | None  # pass as ``before`` for the next (older) page


def delivery_log(
    session: Session,
    *,
    subscription_id: int | None = None,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> DeliveryPage:
    query = select(WebhookDelivery).options(
        joinedload(WebhookDelivery.event), joinedload(WebhookDelivery.subscription)
    )
    if subscription_id is not None:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)))
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return DeliveryPage(rows[:limit], next_before)


def attempts_of(session: Session, delivery_id: int) -> Sequence[WebhookAttempt]:
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
    return session.scalars(query.order_by(WebhookAttempt.id.desc())).all()


def subscriptions(session: Session) -> Sequence[WebhookSubscription]:
    query = select(WebhookSubscription).options(joinedload(WebhookSubscription.export_profile))
    return session.scalars(query.order_by(WebhookSubscription.id)).all()


def delivery_counts(session: Session, subscription_id: int) -> dict[str, int]:
    rows = session.execute(
        select(WebhookDelivery.status, func.count())
        .where(WebhookDelivery.subscription_id == subscription_id)
        .group_by(WebhookDelivery.status)
    )
    return {status: count for status, count in rows}


def open_notices(session: Session, limit: int = 5) -> Sequence[Notice]:
    query = select(Notice).where(Notice.dismissed_at.is_(None))
    return session.scalars(query.order_by(Notice.id.desc()).limit(limit)).all()
