"""The export format ``formlens.extraction/v1`` and its JSON Schema per document type.

One function builds the export for every caller (the API, batch exports, webhooks, the CLI),
so a document looks the same wherever it leaves FormLens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.doctypes import DocumentTypeSpec, FieldKind, FieldSpec
from core.domain import MISSING, ExtractionResult, FieldValue

SCHEMA_ID = "formlens.extraction/v1"


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    id: str
    filename: str
    sha256: str
    pages: int
    document_type: str | None
    status: str


def export_document(
    meta: DocumentMeta, result: ExtractionResult | None, spec: DocumentTypeSpec | None = None
) -> dict[str, Any]:
    """The v1 export of one document; every field of ``spec`` appears, null when not found."""
    document = {
        "id": meta.id,
        "filename": meta.filename,
        "sha256": meta.sha256,
        "pages": meta.pages,
        "document_type": meta.document_type,
        "status": meta.status,
    }
    if result is None:
        return {
            "schema": SCHEMA_ID,
            "document": document,
            "fields": {},
            "line_items": [],
            "validation": [],
            "engine": None,
        }
    names = spec.field_names if spec else tuple(result.fields)
    item_names = spec.line_item_names if spec else ()
    return {
        "schema": SCHEMA_ID,
        "document": document,
        "fields": {name: result.fields.get(name, MISSING).to_json() for name in names},
        "line_items": [_line_item(item, item_names) for item in result.line_items],
        "validation": [rule.to_json() for rule in result.validation],
        "engine": result.engine.to_json(),
    }


def _line_item(item: Mapping[str, FieldValue], names: tuple[str, ...]) -> dict[str, Any]:
    keys = names or tuple(item)
    return {name: item.get(name, MISSING).to_json() for name in keys}


_VALUE_PATTERNS: Mapping[FieldKind, dict[str, Any]] = {
    FieldKind.DATE: {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    FieldKind.AMOUNT: {"type": ["string", "null"], "pattern": r"^-?\d+(\.\d+)?$"},
    FieldKind.QUANTITY: {"type": ["string", "null"], "pattern": r"^-?\d+(\.\d+)?$"},
    FieldKind.PERCENT: {"type": ["string", "null"], "pattern": r"^-?\d+(\.\d+)?$"},
    FieldKind.CURRENCY: {"type": ["string", "null"], "pattern": r"^[A-Z]{3}$"},
    FieldKind.IBAN: {"type": ["string", "null"], "pattern": r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$"},
    FieldKind.BIC: {"type": ["string", "null"], "pattern": r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$"},
}


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    value = _VALUE_PATTERNS.get(spec.kind, {"type": ["string", "null"]})
    return {
        "type": "object",
        "title": spec.title,
        "required": ["value"],
        "properties": {
            "value": value,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "page": {"type": ["integer", "null"], "minimum": 1},
            "bbox": {
                "type": ["array", "null"],
                "items": {"type": "number", "minimum": 0, "maximum": 1},
                "minItems": 4,
                "maxItems": 4,
            },
            "source": {"type": ["string", "null"]},
        },
    }


def export_schema(spec: DocumentTypeSpec) -> dict[str, Any]:
    """JSON Schema (2020-12) of the v1 export of documents of type ``spec``."""
    fields = {field.name: _field_schema(field) for field in spec.fields}
    items = {field.name: _field_schema(field) for field in spec.line_item_fields}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://formlens.local/schemas/{spec.name}.json",
        "title": f"FormLens export: {spec.name}",
        "type": "object",
        "required": ["schema", "document", "fields", "line_items", "validation", "engine"],
        "properties": {
            "schema": {"const": SCHEMA_ID},
            "document": {
                "type": "object",
                "required": ["id", "filename", "sha256", "pages", "document_type", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "filename": {"type": "string"},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "pages": {"type": "integer", "minimum": 1},
                    "document_type": {"type": ["string", "null"]},
                    "status": {"type": "string"},
                },
            },
            "fields": {
                "type": "object",
                "properties": fields,
                "required": list(fields),
                "additionalProperties": False,
            },
            "line_items": {
                "type": "array",
                "items": {"type": "object", "properties": items, "additionalProperties": False},
            },
            "validation": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rule", "ok", "message"],
                    "properties": {
                        "rule": {"type": "string"},
                        "ok": {"type": "boolean"},
                        "message": {"type": "string"},
                        "fields": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "engine": {
                "type": ["object", "null"],
                "properties": {
                    "name": {"type": "string"},
                    "version": {"type": "string"},
                    "adapter": {"type": ["string", "null"]},
                },
            },
        },
    }
