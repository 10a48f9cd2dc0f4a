"""Writing the audit trail: who changed what, in the transaction that changed it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.delivery import AuditEntry


def record_audit(
    session: Session,
    actor_id: int | None,
    action: str,
    target: tuple[str, object],
    **details: Any,
) -> None:
    """Add an entry such as ``("webhook.created", ("webhook_subscription", 7), url=...)``."""
    target_type, target_id = target
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
        )
    )
