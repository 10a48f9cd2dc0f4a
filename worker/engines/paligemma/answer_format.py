"""The extraction answer format: what an adapter is trained to write and how it is read back.

One page's answer is compact JSON with the type's fields in the type's order, fields not on
the page left out, and the line items last::

    {"invoice_number":"<loc0082><loc0625><loc0102><loc0850>INV-001","currency":"EUR",
     "line_items":[{"description":"<loc0400><loc0060><loc0420><loc0500>Widget","quantity":"2"}]}

A value may start with four ``<locNNNN>`` tokens: its box as ``y_min, x_min, y_max, x_max``
scaled by 1024 (PaliGemma's detection convention), box first so the model locates before it
reads. :func:`format_target` writes this (the training target of issue 5's retraining job);
:func:`parse_answer` reads it back, and ``parse_answer(format_target(x))`` gives ``x`` again
(boxes to 1/1024). Parsing never raises: unknown keys are dropped, values the answer was cut
inside are null, and what was read is kept with its character spans for confidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.doctypes import DocumentTypeSpec
from core.domain import MISSING, BBox, FieldValue, LineItem, clamp_bbox
from worker.engines.paligemma.lenient_json import Node, Span, parse_lenient

LOC_BINS = 1024
LINE_ITEMS_KEY = "line_items"
_LOC = re.compile(r"<loc(\d{4})>")
_BOX_PREFIX = re.compile(r"^\s*((?:<loc\d{4}>){4})")
_STRAY_TOKENS = re.compile(r"<(?:loc\d{4}|seg\d{3})>")

ConfidenceOf = Callable[[Sequence[Span]], float]


def encode_box(box: BBox) -> str:
    """``(x0, y0, x1, y1)`` in 0..1 as four loc tokens (y_min, x_min, y_max, x_max)."""
    x0, y0, x1, y1 = box
    return "".join(f"<loc{_bin(v):04d}>" for v in (y0, x0, y1, x1))


def _bin(value: float) -> int:
    return min(LOC_BINS - 1, max(0, round(value * LOC_BINS)))


def decode_box(tokens: str) -> BBox | None:
    """Four loc tokens (y_min, x_min, y_max, x_max) as a page-relative ``(x0, y0, x1, y1)``."""
    values = [int(n) / LOC_BINS for n in _LOC.findall(tokens)]
    if len(values) != 4:
        return None
    y0, x0, y1, x1 = values
    return clamp_bbox((x0, y0, x1, y1))


def split_box(text: str) -> tuple[BBox | None, str, int]:
    """A value's leading box, its text without any loc/seg tokens, and where the text starts."""
    match = _BOX_PREFIX.match(text)
    box = decode_box(match.group(1)) if match else None
    offset = match.end() if match else 0
    return box, _STRAY_TOKENS.sub("", text[offset:]).strip(), offset


@dataclass(frozen=True, slots=True)
class AnswerValue:
    """One value read from an answer; ``spans`` locate its key and text in the answer."""

    value: str | None
    bbox: BBox | None = None
    spans: tuple[Span, ...] = ()

    def to_field(self, confidence_of: ConfidenceOf, page: int | None, source: str) -> FieldValue:
        if self.value is None:
            return MISSING
        return FieldValue(self.value, confidence_of(self.spans), page, self.bbox, source)


NULL = AnswerValue(None)


@dataclass(frozen=True)
class ParsedAnswer:
    """Every field of the type (null when absent), the line items, and what went wrong."""

    fields: Mapping[str, AnswerValue]
    line_items: tuple[Mapping[str, AnswerValue], ...]
    complete: bool
    problems: tuple[str, ...]

    def to_fields(
        self,
        confidence_of: ConfidenceOf = lambda spans: 1.0,
        page: int | None = None,
        source: str = "paligemma",
    ) -> tuple[dict[str, FieldValue], tuple[LineItem, ...]]:
        """Domain values: fields (null ones as ``MISSING``) and line items."""
        fields = {n: v.to_field(confidence_of, page, source) for n, v in self.fields.items()}
        items = tuple(
            {n: v.to_field(confidence_of, page, source) for n, v in item.items()}
            for item in self.line_items
        )
        return fields, items


def format_target(
    fields: Mapping[str, FieldValue], line_items: Sequence[LineItem], spec: DocumentTypeSpec
) -> str:
    """The answer an adapter should write for a page with these (reviewed) values."""
    answer: dict[str, Any] = _encode_values(fields, spec.field_names)
    items = [_encode_values(item, spec.line_item_names) for item in line_items]
    items = [item for item in items if item]
    if spec.line_item_fields and items:
        answer[LINE_ITEMS_KEY] = items
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


def _encode_values(values: Mapping[str, FieldValue], names: Sequence[str]) -> dict[str, str]:
    encoded: dict[str, str] = {}
    for name in names:
        found = values.get(name)
        if found is not None and found.value is not None:
            box = encode_box(found.bbox) if found.bbox else ""
            encoded[name] = box + found.value
    return encoded


def select_page(
    fields: Mapping[str, FieldValue], line_items: Sequence[LineItem], page: int
) -> tuple[dict[str, FieldValue], list[LineItem]]:
    """The values found on ``page`` (1-based): one training example per page."""
    on_page = {name: value for name, value in fields.items() if value.page == page}
    items = [item for item in line_items if any(v.page == page for v in item.values())]
    return on_page, items


def parse_answer(text: str, spec: DocumentTypeSpec) -> ParsedAnswer:
    """Read one page's answer; never raises (garbage gives every field null)."""
    root, problems = parse_lenient(text)
    found: dict[str, AnswerValue] = {}
    items: tuple[Mapping[str, AnswerValue], ...] = ()
    notes = list(problems)
    for member in root.members if root else ():
        if member.key == LINE_ITEMS_KEY and spec.line_item_fields:
            items = _line_items(member.value, spec, notes)
        elif member.key in spec.field_index:
            if member.key not in found:  # a repeated key: the first answer stands
                found[member.key] = _value(member.key_span, member.value, notes, member.key)
        else:
            notes.append(f"unknown key {member.key!r} dropped")
    fields = {name: found.get(name, NULL) for name in spec.field_names}
    return ParsedAnswer(fields, items, bool(root and root.complete), tuple(notes))


def _value(key_span: Span, node: Node, notes: list[str], name: str) -> AnswerValue:
    if not node.complete:
        notes.append(f"{name}: answer cut inside the value; set to null")
        return NULL
    if node.kind == "string":
        box, value, offset = split_box(node.text)
        # Value span in the answer: inside the quotes, after the box tokens (no escapes in them).
        start = node.span[0] + 1 + offset
        return AnswerValue(value or None, box, (key_span, (start, node.span[1] - 1)))
    if node.kind == "number" or (node.kind == "literal" and node.text != "null"):
        return AnswerValue(node.text, None, (key_span, node.span))
    if node.kind != "literal":
        notes.append(f"{name}: {node.kind} where a value was expected; set to null")
    return NULL


def _line_items(
    node: Node, spec: DocumentTypeSpec, notes: list[str]
) -> tuple[Mapping[str, AnswerValue], ...]:
    if node.kind != "array":
        notes.append(f"{LINE_ITEMS_KEY} is not a list; dropped")
        return ()
    names = set(spec.line_item_names)
    items: list[dict[str, AnswerValue]] = []
    for item in node.items:
        if item.kind != "object":
            notes.append("a line item is not an object; dropped")
            continue
        read = {
            m.key: _value(m.key_span, m.value, notes, f"line item {m.key}")
            for m in reversed(item.members)  # reversed: the first of repeated keys wins
            if m.key in names
        }
        if any(v.value is not None for v in read.values()):
            items.append({name: read.get(name, NULL) for name in spec.line_item_names})
    return tuple(items)
