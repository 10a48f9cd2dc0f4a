"""Export profiles: the v1 export mapped onto the JSON shape an accounting system expects.

A profile is stored as JSON and edited by admins::

    {"fields": {"Invoice.Number": "invoice_number", "Invoice.Date": "issue_date",
                "Invoice.Gross": "total_amount", "Source.File": "document.filename"},
     "constants": {"Invoice.Kind": "incoming"},
     "date_format": "%d.%m.%Y", "decimal_separator": ",", "amounts_as": "string",
     "omit_nulls": false,
     "line_items": {"target": "Invoice.Lines",
                    "fields": {"Text": "description", "Net": "line_total"}}}

Targets are dotted paths into the output object. A source is a field name (its value), a field
name with ``.confidence`` or ``.page``, or ``document.<id|filename|sha256|pages|document_type|
status>``. Dates (``YYYY-MM-DD`` in the export) are rewritten with ``date_format``; amounts,
quantities and percentages with ``decimal_separator``, or as JSON numbers with
``"amounts_as": "number"``. :func:`parse_mapping` refuses what it cannot apply, with a message
for people; :func:`apply_mapping` is then a total function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core.doctypes import DocumentTypeSpec, FieldKind

DOCUMENT_KEYS = ("id", "filename", "sha256", "pages", "document_type", "status")
NUMERIC_KINDS = frozenset({FieldKind.AMOUNT, FieldKind.QUANTITY, FieldKind.PERCENT})
_FIELD_SOURCE = r"[a-z_][a-z0-9_]*(?:\.(?:confidence|page))?"
_SOURCE = re.compile(rf"^(?:document\.(?:{'|'.join(DOCUMENT_KEYS)})|{_FIELD_SOURCE})$")
_ITEM_SOURCE = re.compile(rf"^{_FIELD_SOURCE}$")
_KEYS = {"fields", "constants", "date_format", "decimal_separator", "amounts_as", "omit_nulls",
         "line_items"}  # fmt: skip

EXAMPLE: dict[str, Any] = {
    "fields": {
        "Invoice.Number": "invoice_number",
        "Invoice.Date": "issue_date",
        "Invoice.Currency": "currency",
        "Invoice.Gross": "total_amount",
        "Supplier.Name": "vendor_name",
        "Source.File": "document.filename",
    },
    "constants": {"Invoice.Kind": "incoming"},
    "date_format": "%d.%m.%Y",
    "decimal_separator": ",",
    "amounts_as": "string",
    "omit_nulls": False,
    "line_items": {
        "target": "Invoice.Lines",
        "fields": {"Text": "description", "Net": "line_total"},
    },
}


class MappingError(ValueError):
    """A profile that cannot be applied; the message lists every problem."""


@dataclass(frozen=True)
class LineItemMapping:
    target: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class ProfileMapping:
    fields: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, Any] = field(default_factory=dict)
    date_format: str = "%Y-%m-%d"
    decimal_separator: str = "."
    amounts_as: str = "string"
    omit_nulls: bool = False
    line_items: LineItemMapping | None = None


def parse_mapping(data: Any) -> ProfileMapping:
    """The typed mapping, or :class:`MappingError` naming every problem found."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MappingError("The mapping must be a JSON object.")
    problems += [f"unknown key {key!r}" for key in sorted(set(data) - _KEYS)]
    fields = _string_map(data.get("fields", {}), "fields", _SOURCE, problems)
    constants = data.get("constants", {})
    if not isinstance(constants, dict):
        problems.append("'constants' must be an object of target path → value")
        constants = {}
    items = _line_items(data.get("line_items"), problems)
    mapping = ProfileMapping(
        fields=fields,
        constants=constants,
        date_format=str(data.get("date_format", "%Y-%m-%d")),
        decimal_separator=str(data.get("decimal_separator", ".")),
        amounts_as=str(data.get("amounts_as", "string")),
        omit_nulls=bool(data.get("omit_nulls", False)),
        line_items=items,
    )
    problems += _format_problems(mapping)
    problems += _path_problems([*fields, *constants, *([items.target] if items else [])])
    if problems:
        raise MappingError("; ".join(problems) + ".")
    return mapping


def _string_map(
    value: Any, name: str, source: re.Pattern[str], problems: list[str]
) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.append(f"'{name}' must be an object of target path → source name")
        return {}
    problems += [f"{name}: {v!r} is not a source" for v in value.values() if not source.match(v)]
    problems += [f"{name}: {k!r} is not a target path" for k in value if not _is_path(k)]
    return dict(value)


def _line_items(value: Any, problems: list[str]) -> LineItemMapping | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not _is_path(str(value.get("target", ""))):
        problems.append("'line_items' needs a 'target' path and 'fields'")
        return None
    fields = _string_map(value.get("fields", {}), "line_items.fields", _ITEM_SOURCE, problems)
    problems += _path_problems(list(fields))
    return LineItemMapping(str(value["target"]), fields)


def _is_path(path: str) -> bool:
    return bool(path) and all(part.strip() == part and part for part in path.split("."))


def _path_problems(paths: list[str]) -> list[str]:
    seen = set(paths)
    return [
        f"{path!r} is both a value and an object"
        for path in paths
        if any(other.startswith(path + ".") for other in seen)
    ]


def _format_problems(mapping: ProfileMapping) -> list[str]:
    problems = []
    if "%" not in mapping.date_format or not date(2024, 1, 31).strftime(mapping.date_format):
        problems.append(f"date_format {mapping.date_format!r} has no strftime directive")
    if mapping.decimal_separator not in {".", ","}:
        problems.append("decimal_separator must be '.' or ','")
    if mapping.amounts_as not in {"string", "number"}:
        problems.append("amounts_as must be 'string' or 'number'")
    elif mapping.amounts_as == "number" and mapping.decimal_separator != ".":
        problems.append("JSON numbers always use '.': set decimal_separator to '.'")
    return problems


def apply_mapping(
    mapping: ProfileMapping, export: Mapping[str, Any], spec: DocumentTypeSpec | None = None
) -> dict[str, Any]:
    """The accounting system's JSON for one document's v1 export."""
    kinds = {f.name: f.kind for f in spec.fields} if spec else {}
    item_kinds = {f.name: f.kind for f in spec.line_item_fields} if spec else {}
    out: dict[str, Any] = {}
    for target, value in mapping.constants.items():
        _put(out, target, value, mapping.omit_nulls)
    document = export.get("document") or {}
    for target, source in mapping.fields.items():
        if source.startswith("document."):
            value = document.get(source.removeprefix("document."))
        else:
            value = _field_value(mapping, export.get("fields") or {}, source, kinds)
        _put(out, target, value, mapping.omit_nulls)
    if mapping.line_items is not None:
        items = [
            _mapped_item(mapping, mapping.line_items, item, item_kinds)
            for item in export.get("line_items") or []
        ]
        _put(out, mapping.line_items.target, items, mapping.omit_nulls)
    return out


def _mapped_item(
    mapping: ProfileMapping,
    items: LineItemMapping,
    item: Mapping[str, Any],
    kinds: Mapping[str, FieldKind],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, source in items.fields.items():
        _put(out, target, _field_value(mapping, item, source, kinds), mapping.omit_nulls)
    return out


def _field_value(
    mapping: ProfileMapping,
    fields: Mapping[str, Any],
    source: str,
    kinds: Mapping[str, FieldKind],
) -> Any:
    name, _, attribute = source.partition(".")
    found = fields.get(name) or {}
    if attribute:
        return found.get(attribute)
    return format_value(mapping, found.get("value"), kinds.get(name))


def format_value(mapping: ProfileMapping, value: Any, kind: FieldKind | None) -> Any:
    """A canonical export value in the profile's date and number formats."""
    if value is None or kind is None:
        return value
    if kind is FieldKind.DATE:
        return _format_date(mapping, str(value))
    if kind in NUMERIC_KINDS:
        return _format_number(mapping, str(value))
    return value


def _format_date(mapping: ProfileMapping, value: str) -> str:
    try:
        return date.fromisoformat(value).strftime(mapping.date_format)
    except ValueError:
        return value  # not canonical (a failed check shows it); pass it on as it is


def _format_number(mapping: ProfileMapping, value: str) -> str | float:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if mapping.amounts_as == "number":
        return float(number)
    return value.replace(".", mapping.decimal_separator)


def _put(out: dict[str, Any], path: str, value: Any, omit_nulls: bool) -> None:
    if value is None and omit_nulls:
        return
    *parents, leaf = path.split(".")
    node = out
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
