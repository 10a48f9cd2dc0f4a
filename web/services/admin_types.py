"""Use cases on document types for admins: create one, edit its fields and reading settings.

A type's name is fixed once created (documents, extractions and adapter folders refer to it).
The field editor posts rows (``fields-3-name``, ``fields-3-kind``, ...); :func:`parse_field_rows`
turns them into field specs, dropping rows whose name was cleared. Every change is audited
with the values it changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.adapter_store import TYPE_NAME
from core.doctypes import FieldKind, FieldSpec
from models import DocumentType
from models.audit import record_audit
from web.extensions import Services
from web.services.admin_common import AdminRefused, get_type
from worker.engines.paligemma.answer_format import LINE_ITEMS_KEY
from worker.engines.registry import EngineRegistry

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ROW = re.compile(
    r"^(?P<group>fields|items)-(?P<index>\d{1,3})-(?P<part>name|kind|required|label|position)$"
)


class InvalidType(AdminRefused):
    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__(" ".join(errors), 422)
        self.errors = list(errors)


@dataclass(frozen=True)
class TypeData:
    """Everything an admin sets on a type (the name aside)."""

    label: str
    fields: tuple[FieldSpec, ...]
    line_item_fields: tuple[FieldSpec, ...]
    engine: str
    prompt: str
    review_threshold: float
    use_embedded_xml: bool
    base_model: str
    auto_promote: bool

    def columns(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "fields": [spec.to_json() for spec in self.fields],
            "line_item_fields": [spec.to_json() for spec in self.line_item_fields],
            "engine": self.engine,
            "prompt": self.prompt,
            "review_threshold": self.review_threshold,
            "use_embedded_xml": self.use_embedded_xml,
            "base_model": self.base_model,
            "auto_promote": self.auto_promote,
        }


def parse_field_rows(form: Mapping[str, str], group: str) -> tuple[FieldSpec, ...]:
    """Field specs from the editor's rows of ``group`` (``fields`` or ``items``), in order."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _ROW.match(key)
        if match and match["group"] == group:
            rows.setdefault(int(match["index"]), {})[match["part"]] = value.strip()
    errors: list[str] = []
    specs: list[tuple[float, int, FieldSpec]] = []
    for index, row in sorted(rows.items()):
        name = row.get("name", "")
        if not name:
            continue  # a cleared name removes the field
        spec = _field(row, errors)
        if spec is not None:
            specs.append((_position(row, index, errors), index, spec))
    if errors:
        raise InvalidType(errors)
    return tuple(spec for _, _, spec in sorted(specs, key=lambda item: item[:2]))


def _field(row: Mapping[str, str], errors: list[str]) -> FieldSpec | None:
    name = row["name"]
    if not FIELD_NAME.fullmatch(name) or name == LINE_ITEMS_KEY:
        errors.append(f"{name!r} is not a field name (lower-case letters, digits and _).")
        return None
    try:
        kind = FieldKind(row.get("kind") or FieldKind.TEXT.value)
    except ValueError:
        errors.append(f"{name}: unknown kind {row.get('kind')!r}.")
        return None
    label = row.get("label", "")[:255]
    return FieldSpec(name, kind, required=row.get("required") in {"on", "true", "1"}, label=label)


def _position(row: Mapping[str, str], index: int, errors: list[str]) -> float:
    raw = row.get("position", "")
    if not raw:
        return float(index)
    try:
        return float(raw)
    except ValueError:
        errors.append(f"{row['name']}: the position must be a number.")
        return float(index)


def check_type_data(data: TypeData) -> None:
    errors = []
    for group, specs in (("field", data.fields), ("line-item column", data.line_item_fields)):
        names = [spec.name for spec in specs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            errors.append(f"Each {group} name once: {', '.join(duplicates)} appear twice.")
    if not data.fields:
        errors.append("A type needs at least one field.")
    if data.engine not in EngineRegistry.names():
        errors.append(f"Unknown engine {data.engine!r}.")
    if not 0.0 <= data.review_threshold <= 1.0:
        errors.append("The review threshold is a confidence between 0 and 1.")
    if not data.prompt.strip():
        errors.append("The extraction prompt cannot be empty (e.g. 'extract invoice').")
    if errors:
        raise InvalidType(errors)


def create_type(services: Services, name: str, data: TypeData, actor_id: int | None) -> None:
    if not TYPE_NAME.fullmatch(name):
        raise InvalidType([f"{name!r} is not a type name (lower-case letters, digits and _)."])
    check_type_data(data)
    with services.database.session() as session:
        if session.scalar(select(DocumentType.id).where(DocumentType.name == name)):
            raise AdminRefused(f"A document type {name} exists already.", 409)
        session.add(DocumentType(name=name, **data.columns()))
        session.flush()
        record_audit(session, actor_id, "document_type.created", ("document_type", name))


def update_type(services: Services, name: str, data: TypeData, actor_id: int | None) -> list[str]:
    """Save ``data``; returns the names of the settings that changed."""
    check_type_data(data)
    with services.database.session() as session:
        doc_type = get_type(session, name)
        new = data.columns()
        changed = {key: value for key, value in new.items() if getattr(doc_type, key) != value}
        for key, value in changed.items():
            setattr(doc_type, key, value)
        if changed:
            record_audit(
                session,
                actor_id,
                "document_type.updated",
                ("document_type", name),
                changed=sorted(changed),
            )
        return sorted(changed)


def type_data(doc_type: DocumentType) -> TypeData:
    """The type's current settings (to fill the form)."""
    spec = doc_type.to_spec()
    return TypeData(
        label=doc_type.label,
        fields=spec.fields,
        line_item_fields=spec.line_item_fields,
        engine=doc_type.engine,
        prompt=doc_type.prompt,
        review_threshold=doc_type.review_threshold,
        use_embedded_xml=doc_type.use_embedded_xml,
        base_model=doc_type.base_model,
        auto_promote=doc_type.auto_promote,
    )
