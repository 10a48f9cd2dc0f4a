"""A reviewer's edits applied to extracted fields: normalised, checked, and diffed.

Pure functions for the review use case (:mod:`web.services.review`): what people type goes
through the same :func:`core.normalise.normalise` as what engines read, so "15.03.2024" is
stored as "2024-03-15" and "tomorrow" in a date field is refused with a message next to the
field. A corrected field keeps its page and box (the value is still where it was printed), gets
confidence 1 and source ``review``; an untouched field is kept exactly as the engine gave it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.doctypes import DocumentTypeSpec, FieldKind, FieldSpec
from core.domain import MISSING, FieldValue, LineItem, RuleResult
from core.normalise import normalise

REVIEW_SOURCE = "review"
MAX_VALUE_LENGTH = 1000
KEPT_REASONS = ("duplicate_of:", "uncertain_type", "reopened")

HINTS: Mapping[FieldKind, str] = {
    FieldKind.DATE: "Not a date: write it as 2024-03-15 or 15.03.2024.",
    FieldKind.AMOUNT: "Not an amount: write it as 1234.50 or 1.234,50.",
    FieldKind.QUANTITY: "Not a number.",
    FieldKind.PERCENT: "Not a percentage: write it as 19 or 7.5.",
    FieldKind.CURRENCY: "Not a currency: use a three-letter ISO code such as EUR.",
    FieldKind.IBAN: "Not a valid IBAN: the checksum does not match.",
    FieldKind.BIC: "Not a BIC: 8 or 11 letters and digits.",
    FieldKind.VAT_ID: "Not a VAT ID: country code and number, e.g. DE123456789.",
}


@dataclass(frozen=True)
class ItemEdit:
    """One line-item row as typed; ``origin`` is the index of the item it edits (None: new)."""

    values: Mapping[str, str]
    origin: int | None = None


@dataclass(frozen=True)
class Corrected:
    fields: dict[str, FieldValue]
    line_items: tuple[dict[str, FieldValue], ...]
    errors: dict[str, str]  # "total_amount" or "items.2.unit_price" -> message


def correct_value(current: FieldValue, typed: str, spec: FieldSpec) -> FieldValue | str:
    """The field after the edit, or the message saying why ``typed`` is refused."""
    typed = typed.replace("\r\n", "\n").strip()  # browsers send textarea lines with CRLF
    if typed == (current.value or ""):
        return current
    if len(typed) > MAX_VALUE_LENGTH:
        return f"Longer than {MAX_VALUE_LENGTH} characters."
    value = normalise(spec.kind, typed) if typed else None
    if value is None and typed:
        return HINTS.get(spec.kind, "This value cannot be read.")
    if value == current.value:
        return current
    return replace(current, value=value, confidence=1.0, source=REVIEW_SOURCE)


def correct(
    fields: Mapping[str, FieldValue],
    items: Sequence[LineItem],
    typed_fields: Mapping[str, str],
    typed_items: Sequence[ItemEdit] | None,
    spec: DocumentTypeSpec,
) -> Corrected:
    """Apply the typed values; fields not typed and ``typed_items=None`` stay as they are."""
    errors: dict[str, str] = {}
    new_fields = {name: fields.get(name, MISSING) for name in spec.field_names}
    for name, typed in typed_fields.items():
        if name not in spec.field_index:
            continue
        outcome = correct_value(new_fields[name], typed, spec.field_index[name])
        if isinstance(outcome, str):
            errors[name] = outcome
        else:
            new_fields[name] = outcome
    new_items = [dict(item) for item in items]
    if typed_items is not None:
        new_items = _correct_items(items, typed_items, spec, errors)
    return Corrected(new_fields, tuple(new_items), errors)


def _correct_items(
    items: Sequence[LineItem],
    typed: Sequence[ItemEdit],
    spec: DocumentTypeSpec,
    errors: dict[str, str],
) -> list[dict[str, FieldValue]]:
    result = []
    for row, edit in enumerate(typed):
        if not any(value.strip() for value in edit.values.values()):
            continue  # the blank row the form offers for a new line
        known = edit.origin is not None and 0 <= edit.origin < len(items)
        base = items[edit.origin] if known and edit.origin is not None else {}
        item = {}
        for item_spec in spec.line_item_fields:
            current = base.get(item_spec.name, MISSING)
            outcome = correct_value(current, edit.values.get(item_spec.name, ""), item_spec)
            if isinstance(outcome, str):
                errors[f"items.{row}.{item_spec.name}"] = outcome
                outcome = current
            item[item_spec.name] = outcome
        result.append(item)
    return result


def missing_required(fields: Mapping[str, FieldValue], spec: DocumentTypeSpec) -> dict[str, str]:
    """What approval needs and is empty, as field errors."""
    return {
        name: "Needed to approve."
        for name in spec.required_fields
        if fields.get(name, MISSING).value is None
    }


def values(fields: Mapping[str, FieldValue]) -> dict[str, str | None]:
    return {name: found.value for name, found in fields.items()}


def item_values(items: Sequence[LineItem]) -> list[dict[str, str | None]]:
    return [values(item) for item in items]


def diff(
    before: Mapping[str, FieldValue],
    after: Mapping[str, FieldValue],
    before_items: Sequence[LineItem],
    after_items: Sequence[LineItem],
) -> dict[str, Any]:
    """The field-level change: ``{"fields": {name: {"from", "to"}}, "line_items": {...}}``."""
    changed = {
        name: {"from": before.get(name, MISSING).value, "to": found.value}
        for name, found in after.items()
        if before.get(name, MISSING).value != found.value
    }
    result: dict[str, Any] = {"fields": changed}
    if item_values(before_items) != item_values(after_items):
        result["line_items"] = {"from": item_values(before_items), "to": item_values(after_items)}
    return result


def is_empty(change: Mapping[str, Any]) -> bool:
    return not change.get("fields") and "line_items" not in change


def review_reasons(
    fields: Mapping[str, FieldValue],
    validation: Sequence[RuleResult],
    spec: DocumentTypeSpec,
    previous: Sequence[str],
) -> list[str]:
    """Why the document still needs a look, by the pipeline's rules, after the edits.

    Duplicates, an uncertain type and a reopened approval are facts about the document, not
    about values a person typed, so they stay until someone approves it.
    """
    reasons = []
    for name in spec.required_fields:
        found = fields.get(name, MISSING)
        if found.value is None:
            reasons.append(f"missing:{name}")
        elif found.confidence < spec.review_threshold:
            reasons.append(f"low_confidence:{name}")
    reasons += [f"rule:{rule.rule}" for rule in validation if not rule.ok]
    reasons += [reason for reason in previous if reason.startswith(KEPT_REASONS)]
    return list(dict.fromkeys(reasons))
