"""Reading the review form: field inputs, line-item rows, the version, what the reviewer saw.

Inputs are named ``field-<name>`` and ``item-<row>-<name>`` (with ``item-<row>-origin``, the
index of the stored item the row edits, and ``item-<row>-remove``); a hidden ``items`` input
says the form carries line items at all, so that removing every row is told apart from a form
without items. ``base`` is the JSON of the values the page was rendered with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from core.corrections import ItemEdit
from web.services.review import ReviewBase, ReviewInput

FIELD_PREFIX = "field-"
_ITEM = re.compile(r"^item-(\d{1,4})-([a-z_][a-z0-9_]*)$")
MAX_ROWS = 1000
MAX_BASE_CHARS = 512 * 1024


class BadForm(ValueError):
    """A form this page did not render (a missing version, too many rows)."""


def review_input(form: Mapping[str, str]) -> ReviewInput:
    try:
        version = int(form.get("version", ""))
    except ValueError:
        raise BadForm("The form has no document version; reload the page.") from None
    fields = {
        key.removeprefix(FIELD_PREFIX): value
        for key, value in form.items()
        if key.startswith(FIELD_PREFIX)
    }
    return ReviewInput(
        version=version,
        fields=fields,
        line_items=item_edits(form) if form.get("items") else None,
        approve=form.get("action") == "approve",
        base=review_base(form.get("base", "")),
    )


def item_edits(form: Mapping[str, str]) -> list[ItemEdit]:
    """One edit per row index, in order; a removed row is blank (and so dropped)."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        found = _ITEM.match(key)
        if found and found.group(2) not in ("origin", "remove"):
            rows.setdefault(int(found.group(1)), {})[found.group(2)] = value
    if rows and max(rows) >= MAX_ROWS:
        raise BadForm(f"A document can have at most {MAX_ROWS} line items here.")
    edits = []
    for index in range(max(rows) + 1 if rows else 0):
        removed = bool(form.get(f"item-{index}-remove"))
        values = {} if removed else rows.get(index, {})
        edits.append(ItemEdit(values, _origin(form.get(f"item-{index}-origin", ""))))
    return edits


def _origin(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def review_base(raw: str) -> ReviewBase | None:
    if not raw or len(raw) > MAX_BASE_CHARS:
        return None
    try:
        data: Any = json.loads(raw)
        fields = {str(k): (None if v is None else str(v)) for k, v in data["fields"].items()}
        items = [
            {str(k): (None if v is None else str(v)) for k, v in item.items()}
            for item in data.get("line_items", [])
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # only used to explain a conflict; a page without it still works
    return ReviewBase(fields, items)


def base_json(fields: Mapping[str, str | None], items: list[dict[str, str | None]]) -> str:
    return json.dumps({"fields": fields, "line_items": items}, ensure_ascii=False)
