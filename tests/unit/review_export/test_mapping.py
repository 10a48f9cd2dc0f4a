"""Export profiles: parsing refuses what cannot be applied; applying is a pure reshaping."""

import pytest

from core.doctypes import INVOICE
from core.mapping import EXAMPLE, MappingError, apply_mapping, parse_mapping

EXPORT = {
    "document": {"id": "d1", "filename": "march.pdf", "document_type": "invoice"},
    "fields": {
        "invoice_number": {"value": "INV-1", "confidence": 0.97, "page": 1},
        "issue_date": {"value": "2024-03-15", "confidence": 0.9},
        "total_amount": {"value": "1234.50", "confidence": 0.8},
        "due_date": {"value": None, "confidence": 0.0},
    },
    "line_items": [
        {"description": {"value": "Widgets"}, "quantity": {"value": "10"},
         "line_total": {"value": "100.00"}},
    ],
}  # fmt: skip


def test_fields_constants_dates_decimals_and_line_items() -> None:
    mapping = parse_mapping(EXAMPLE)
    assert apply_mapping(mapping, EXPORT, INVOICE) == {
        "Invoice": {
            "Number": "INV-1",
            "Date": "15.03.2024",
            "Currency": None,
            "Gross": "1234,50",
            "Kind": "incoming",
            "Lines": [{"Text": "Widgets", "Net": "100,00"}],
        },
        "Supplier": {"Name": None},
        "Source": {"File": "march.pdf"},
    }


def test_numbers_nulls_and_confidence() -> None:
    mapping = parse_mapping(
        {
            "fields": {
                "total": "total_amount",
                "due": "due_date",
                "sure": "total_amount.confidence",
            },
            "amounts_as": "number",
            "omit_nulls": True,
            "line_items": {"target": "lines", "fields": {"qty": "quantity"}},
        }
    )
    assert apply_mapping(mapping, EXPORT, INVOICE) == {
        "total": 1234.5,
        "sure": 0.8,
        "lines": [{"qty": 10.0}],
    }


def test_without_a_spec_values_pass_unchanged() -> None:
    mapping = parse_mapping({"fields": {"date": "issue_date"}, "date_format": "%d/%m/%Y"})
    assert apply_mapping(mapping, EXPORT) == {"date": "2024-03-15"}


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ([], "must be a JSON object"),
        ({"feilds": {}}, "unknown key 'feilds'"),
        ({"fields": {"a": "document.secret"}}, "is not a source"),
        ({"fields": {"a": "Total Amount"}}, "is not a source"),
        ({"fields": {"a..b": "total_amount"}}, "is not a target path"),
        ({"fields": {"a": "total_amount", "a.b": "currency"}}, "both a value and an object"),
        ({"date_format": "DD.MM.YYYY"}, "no strftime directive"),
        ({"decimal_separator": ";"}, "decimal_separator"),
        ({"amounts_as": "number", "decimal_separator": ","}, "JSON numbers always use '.'"),
        ({"line_items": {"fields": {}}}, "'line_items' needs a 'target'"),
        ({"constants": [1]}, "'constants' must be an object"),
    ],
)
def test_mappings_that_cannot_be_applied_are_refused(mapping: object, problem: str) -> None:
    with pytest.raises(MappingError, match=problem):
        parse_mapping(mapping)
