"""Batch exports as text streams: JSON Lines and CSV, line items nested or one row each.

Generators over generators: each document's v1 export goes in, lines of text come out, and
nothing holds more than one document, so 100,000 documents stream in constant memory.

Layouts:

- ``nested``: one record per document. JSON Lines carry the full v1 export; CSV has one
  column per field and a ``line_items`` column holding the items' values as JSON.
- ``rows``: one record per line item (a document without items gives one record), the
  document's columns repeated, then ``item_index`` and one ``item_<name>`` column per item field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FORMATS = ("jsonl", "csv")
LAYOUTS = ("nested", "rows")
DOCUMENT_COLUMNS = ("document_id", "filename", "document_type", "status")
META_COLUMNS = ("uploaded_at", "approved_at")
# A spreadsheet runs a cell starting with these as a formula; a vendor name is attacker text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExportedDocument:
    """One document's v1 export and the dates the export format itself does not carry."""

    export: Mapping[str, Any]
    uploaded_at: str
    approved_at: str | None


@dataclass(frozen=True, slots=True)
class Columns:
    fields: tuple[str, ...]
    item_fields: tuple[str, ...]

    def header(self, layout: str) -> list[str]:
        base = [*DOCUMENT_COLUMNS, *META_COLUMNS, *self.fields]
        if layout == "nested":
            return [*base, "line_items"]
        return [*base, "item_index", *(f"item_{name}" for name in self.item_fields)]


def jsonl_nested(documents: Iterable[ExportedDocument]) -> Iterator[str]:
    for document in documents:
        yield json.dumps(document.export, ensure_ascii=False) + "\n"


def jsonl_records(records: Iterable[Record]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def records(
    documents: Iterable[ExportedDocument], columns: Columns, layout: str
) -> Iterator[Record]:
    for document in documents:
        yield from document_records(document, columns, layout)


def document_records(document: ExportedDocument, columns: Columns, layout: str) -> list[Record]:
    export = document.export
    meta = export.get("document") or {}
    fields = export.get("fields") or {}
    base: Record = {
        "document_id": meta.get("id"),
        "filename": meta.get("filename"),
        "document_type": meta.get("document_type"),
        "status": meta.get("status"),
        "uploaded_at": document.uploaded_at,
        "approved_at": document.approved_at,
        **{name: (fields.get(name) or {}).get("value") for name in columns.fields},
    }
    items = [_item_values(item) for item in export.get("line_items") or []]
    if layout == "nested":
        return [{**base, "line_items": items}]
    if not items:
        return [{**base, "item_index": None, **dict.fromkeys(_item_keys(columns))}]
    return [
        {
            **base,
            "item_index": index,
            **{f"item_{name}": item.get(name) for name in columns.item_fields},
        }
        for index, item in enumerate(items, start=1)
    ]


def _item_keys(columns: Columns) -> list[str]:
    return [f"item_{name}" for name in columns.item_fields]


def _item_values(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: (found or {}).get("value") for name, found in item.items()}


def csv_lines(rows: Iterable[Record], header: Sequence[str]) -> Iterator[str]:
    """RFC 4180 CSV, header first, one string per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield _drain(buffer)
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in header])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def csv_cell(value: Any) -> str:
    """A cell's text: lists as JSON, and text that a spreadsheet would run as a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def chunked(lines: Iterable[str], size: int = 64 * 1024) -> Iterator[str]:
    """Lines joined into chunks of about ``size`` characters: fewer, larger writes."""
    buffer: list[str] = []
    length = 0
    for line in lines:
        buffer.append(line)
        length += len(line)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)
