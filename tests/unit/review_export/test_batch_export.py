"""Batch export text: CSV cells that spreadsheets will not run, records per layout, chunks."""

import csv
import io
import json

from core.batch_export import (
    Columns,
    ExportedDocument,
    chunked,
    csv_cell,
    csv_lines,
    jsonl_nested,
    records,
)

EXPORT = {
    "document": {"id": "d1", "filename": "a.pdf", "document_type": "invoice", "status": "approved"},
    "fields": {"vendor_name": {"value": "@SUM(1)"}, "total_amount": {"value": "-5.00"}},
    "line_items": [{"description": {"value": "A"}}, {"description": {"value": "B"}}],
}
DOCUMENT = ExportedDocument(EXPORT, "2024-03-15T10:00:00+00:00", None)
COLUMNS = Columns(("vendor_name", "total_amount"), ("description",))


def test_formulas_are_quoted_but_negative_numbers_are_not() -> None:
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("@SUM(1)") == "'@SUM(1)"
    assert csv_cell("-5.00") == "-5.00"
    assert csv_cell(None) == ""
    assert csv_cell([{"a": "ü"}]) == '[{"a": "ü"}]'


def test_rows_layout_repeats_the_document_per_item() -> None:
    rows = list(records([DOCUMENT], COLUMNS, "rows"))
    assert [(r["item_index"], r["item_description"]) for r in rows] == [(1, "A"), (2, "B")]
    text = "".join(csv_lines(rows, COLUMNS.header("rows")))
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["vendor_name"] == "'@SUM(1)" and parsed[1]["total_amount"] == "-5.00"
    assert text.endswith("\r\n")


def test_nested_jsonl_is_the_export_itself() -> None:
    (line,) = list(jsonl_nested([DOCUMENT]))
    assert json.loads(line) == EXPORT and line.endswith("\n")


def test_chunks_join_lines_without_losing_any() -> None:
    lines = [f"{n}\n" for n in range(1000)]
    chunks = list(chunked(iter(lines), size=100))
    assert "".join(chunks) == "".join(lines) and 20 < len(chunks) < 60
