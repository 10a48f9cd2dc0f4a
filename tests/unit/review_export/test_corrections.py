"""A reviewer's edits: normalised by kind, refused with a message, diffed field by field."""

from core.corrections import (
    ItemEdit,
    correct,
    correct_value,
    diff,
    missing_required,
    review_reasons,
)
from core.doctypes import INVOICE
from core.domain import FieldValue, RuleResult

READ = FieldValue("2024-03-15", 0.42, 1, (0.1, 0.1, 0.2, 0.12), "textlayer")
FIELDS = {"issue_date": READ, "total_amount": FieldValue(None)}


def test_an_edit_is_normalised_and_keeps_the_box() -> None:
    corrected = correct_value(READ, " 16.03.2024 ", INVOICE.field_index["issue_date"])
    assert corrected == FieldValue("2024-03-16", 1.0, 1, (0.1, 0.1, 0.2, 0.12), "review")


def test_an_untouched_or_equal_value_stays_the_engines() -> None:
    spec = INVOICE.field_index["issue_date"]
    assert correct_value(READ, "2024-03-15", spec) is READ
    assert correct_value(READ, "15.03.2024", spec) is READ  # same value, other spelling


def test_unreadable_values_are_refused_per_field() -> None:
    corrected = correct(
        FIELDS, (), {"issue_date": "31.02.2024", "total_amount": "lots", "iban": "DE00"}, None,
        INVOICE,
    )  # fmt: skip
    assert set(corrected.errors) == {"issue_date", "total_amount", "iban"}
    assert corrected.errors["issue_date"].startswith("Not a date")
    assert corrected.fields["issue_date"] is READ


def test_clearing_a_value_makes_it_missing() -> None:
    corrected = correct(FIELDS, (), {"issue_date": ""}, None, INVOICE)
    assert corrected.fields["issue_date"].value is None and not corrected.errors
    assert "issue_date" in missing_required(corrected.fields, INVOICE)


def test_line_item_rows_edit_add_and_drop() -> None:
    items = ({"description": FieldValue("Widgets", 0.8, 1, (0.0, 0.0, 1.0, 1.0), "ocr")},)
    corrected = correct(
        FIELDS,
        items,
        {},
        [ItemEdit({"description": "Widgets", "quantity": "2"}, 0), ItemEdit({}, None),
         ItemEdit({"description": "Freight", "line_total": "x"}, None)],
        INVOICE,
    )  # fmt: skip
    assert [i["description"].value for i in corrected.line_items] == ["Widgets", "Freight"]
    assert corrected.line_items[0]["description"].bbox == (0.0, 0.0, 1.0, 1.0)
    assert corrected.line_items[0]["quantity"].value == "2"
    assert corrected.errors == {
        "items.2.line_total": "Not an amount: write it as 1234.50 or 1.234,50."
    }


def test_diff_names_changed_fields_and_whole_line_item_lists() -> None:
    after = {**FIELDS, "total_amount": FieldValue("119.00", 1.0, source="review")}
    change = diff(FIELDS, after, (), ())
    assert change == {"fields": {"total_amount": {"from": None, "to": "119.00"}}}
    items = ({"description": FieldValue("A")},)
    assert diff(FIELDS, FIELDS, (), items)["line_items"] == {
        "from": [],
        "to": [{"description": "A"}],
    }


def test_reasons_follow_the_edits_and_keep_facts_about_the_document() -> None:
    fields = {name: FieldValue("x", 1.0) for name in INVOICE.required_fields}
    failed = (RuleResult("totals_consistent", False, "no"),)
    previous = ["missing:total_amount", "duplicate_of:abc", "uncertain_type", "reopened"]
    assert review_reasons(fields, failed, INVOICE, previous) == [
        "rule:totals_consistent",
        "duplicate_of:abc",
        "uncertain_type",
        "reopened",
    ]
