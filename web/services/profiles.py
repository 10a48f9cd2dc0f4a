"""Use cases of export profiles: save (checked by :func:`core.mapping.parse_mapping`), delete,
and preview a profile on a real document."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.domain import DocumentStatus
from core.mapping import MappingError, apply_mapping, parse_mapping
from models import Document, ExportProfile
from models.audit import record_audit
from models.queries import document_export, type_spec
from web.extensions import Services

MAX_NAME = 128


class ProfileRefused(ValueError):
    """The profile cannot be saved as given; the message says why."""


@dataclass(frozen=True)
class ProfileInput:
    name: str
    mapping: Any  # parsed JSON, or the text an admin typed
    description: str = ""


def _mapping(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ProfileRefused(f"The mapping is not valid JSON: {error}.") from None
    try:
        parse_mapping(raw)
    except MappingError as error:
        raise ProfileRefused(str(error)) from None
    result: dict[str, Any] = raw
    return result


def save_profile(
    services: Services, profile_id: int | None, data: ProfileInput, actor_id: int
) -> int:
    name = data.name.strip()
    if not name or len(name) > MAX_NAME:
        raise ProfileRefused(f"A name of 1 to {MAX_NAME} characters is needed.")
    mapping = _mapping(data.mapping)
    try:
        with services.database.session() as session:
            profile = (
                ExportProfile() if profile_id is None else session.get(ExportProfile, profile_id)
            )
            if profile is None:
                raise ProfileRefused("There is no such export profile.")
            profile.name, profile.description, profile.mapping = name, data.description, mapping
            session.add(profile)
            session.flush()
            action = "export_profile.created" if profile_id is None else "export_profile.updated"
            record_audit(session, actor_id, action, ("export_profile", profile.id), name=name)
            return profile.id
    except IntegrityError:
        raise ProfileRefused(f"A profile named {name!r} exists already.") from None


def delete_profile(services: Services, profile_id: int, actor_id: int) -> None:
    """Pushes that used the profile become plain webhooks (the foreign key sets it null)."""
    with services.database.session() as session:
        profile = session.get(ExportProfile, profile_id)
        if profile is None:
            raise ProfileRefused("There is no such export profile.")
        record_audit(session, actor_id, "export_profile.deleted", ("export_profile", profile_id))
        session.delete(profile)


def preview_profile(session: Session, mapping: dict[str, Any]) -> dict[str, Any] | None:
    """The profile applied to the latest approved (or else extracted) document, if any."""
    for status in (DocumentStatus.APPROVED, DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW):
        document = session.scalar(
            select(Document)
            .where(Document.status == status.value)
            .order_by(Document.created_at.desc())
            .limit(1)
        )
        if document is not None:
            export = document_export(session, document)
            spec = type_spec(session, export["document"]["document_type"])
            return apply_mapping(parse_mapping(mapping), export, spec)
    return None
