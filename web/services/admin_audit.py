"""Reading the audit trail: who did what, to what, when; newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEntry, User


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None  # a prefix: "adapter." finds every adapter change
    target_type: str | None = None
    target_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: datetime
    actor: str  # e-mail, or "system" for the workers' own changes
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]


def audit_lines(
    session: Session, flt: AuditFilter, *, before_id: int | None = None, limit: int = 100
) -> list[AuditLine]:
    query = (
        select(AuditEntry, User.email)
        .outerjoin(User, AuditEntry.actor_id == User.id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if flt.action:
        escaped = flt.action.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        query = query.where(AuditEntry.action.like(f"{escaped}%", escape="\\"))
    if flt.target_type:
        query = query.where(AuditEntry.target_type == flt.target_type)
    if flt.target_id:
        query = query.where(AuditEntry.target_id == flt.target_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return [
        AuditLine(
            entry.id,
            entry.created_at,
            email or ("system" if entry.actor_id is None else "(deleted user)"),
            entry.action,
            entry.target_type,
            entry.target_id,
            dict(entry.details),
        )
        for entry, email in session.execute(query)
    ]
