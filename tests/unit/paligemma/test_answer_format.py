"""The extraction answer format: round trip, boxes, and answers that are cut or malformed."""

from __future__ import annotations

import pytest

from core.doctypes import INVOICE, RECEIPT
from core.domain import FieldValue
from worker.engines.paligemma.answer_format import (
    decode_box,
    encode_box,
    format_target,
    parse_answer,
    select_page,
)

FIELDS = {
    "invoice_number": FieldValue("INV-001", 1.0, 1, (0.61, 0.08, 0.83, 0.1)),
    "issue_date": FieldValue("2024-03-01", 1.0, 1, (0.61, 0.12, 0.8, 0.14)),
    "vendor_name": FieldValue('ACME "Tools" GmbH', 1.0, 1, None),
    "total_amount": FieldValue("1234.50", 1.0, 1, (0.7, 0.9, 0.85, 0.93)),
    "currency": FieldValue("EUR", 1.0, 1, None),
    "vendor_address": FieldValue("Hauptstraße 1\n10115 Berlin", 1.0, 1, None),
}
ITEMS = [
    {
        "description": FieldValue("Widget, blue", 1.0, 1, (0.05, 0.4, 0.5, 0.42)),
        "quantity": FieldValue("2", 1.0, 1, None),
        "line_total": FieldValue("10.00", 1.0, 1, None),
    },
    {"description": FieldValue("Gadget", 1.0, 1, None), "unit_price": FieldValue("5", 1.0, 1)},
]


def test_target_is_compact_json_in_field_order_without_nulls() -> None:
    target = format_target({**FIELDS, "due_date": FieldValue(None)}, ITEMS, INVOICE)
    assert target.startswith('{"invoice_number":"<loc0082><loc0625><loc0102><loc0850>INV-001",')
    assert "due_date" not in target and ", " not in target.replace("Widget, blue", "")
    assert target.index("vendor_name") < target.index("total_amount") < target.index("line_items")


def test_round_trip_gives_the_values_back_with_boxes_to_a_bin() -> None:
    target = format_target(FIELDS, ITEMS, INVOICE)
    parsed = parse_answer(target, INVOICE)
    assert parsed.complete and not parsed.problems
    fields, items = parsed.to_fields(page=1)
    for name, original in FIELDS.items():
        assert fields[name].value == original.value
        if original.bbox is None:
            assert fields[name].bbox is None
        else:
            assert fields[name].bbox == pytest.approx(original.bbox, abs=1 / 1024)
    assert fields["due_date"].value is None
    assert [item["description"].value for item in items] == ["Widget, blue", "Gadget"]
    assert items[1]["quantity"].value is None
    assert format_target(fields, items, INVOICE) == target  # stable after one quantisation


def test_loc_tokens_are_y_x_order_scaled_by_1024() -> None:
    assert decode_box("<loc0256><loc0512><loc0768><loc1023>") == (0.5, 0.25, 0.999, 0.75)
    assert encode_box((0.5, 0.25, 1.0, 0.75)) == "<loc0256><loc0512><loc0768><loc1023>"
    assert decode_box("<loc0001><loc0002>") is None


def test_every_cut_of_an_answer_parses_to_values_that_were_really_written() -> None:
    target = format_target(FIELDS, ITEMS, INVOICE)
    for cut in range(len(target) + 1):
        parsed = parse_answer(target[:cut], INVOICE)  # never raises
        fields, items = parsed.to_fields()
        for name, value in fields.items():
            assert value.value is None or value.value == FIELDS[name].value, (cut, name)
        for item in items:
            for name, value in item.items():
                assert value.value is None or any(
                    value.value == original[name].value for original in ITEMS if name in original
                ), (cut, name)
        assert parsed.complete == (cut == len(target))


def test_malformed_answers_keep_what_is_safe_and_drop_unknown_keys() -> None:
    answer = (
        'Sure! {"vendor_name":"Bäckerei Müller" "total_amount":12.5,, "tip":"1",'
        '"tax_amount":{"x":1},"currency":"EUR",}'
    )
    parsed = parse_answer(answer, RECEIPT)
    values = {name: value.value for name, value in parsed.fields.items()}
    assert values == {
        "vendor_name": "Bäckerei Müller",
        "vendor_address": None,
        "issue_date": None,
        "total_amount": "12.5",
        "tax_amount": None,
        "currency": "EUR",
    }
    assert any("tip" in problem for problem in parsed.problems)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "ocr",
        "}}}{",
        "{{{{",
        '{"a',
        "<loc0001>" * 9,
        '{"vendor_name":nul',
        "[1,2]",
        '{"vendor_name":"\\u12',
    ],
)
def test_garbage_gives_nulls_and_never_raises(garbage: str) -> None:
    parsed = parse_answer(garbage, RECEIPT)
    assert all(value.value is None for value in parsed.fields.values())


def test_repeated_keys_keep_the_first_and_loc_tokens_never_leak_into_values() -> None:
    answer = (
        '{"currency":"<loc0001><loc0002>EUR","currency":"USD",'
        '"vendor_name":"<seg012>ACME<loc0005>"}'
    )
    fields, _ = parse_answer(answer, RECEIPT).to_fields()
    assert fields["currency"].value == "EUR" and fields["currency"].bbox is None
    assert fields["vendor_name"].value == "ACME"


def test_confidence_spans_cover_key_and_value_text_but_not_the_box() -> None:
    answer = format_target({"currency": FieldValue("EUR", bbox=(0.1, 0.1, 0.2, 0.2))}, [], RECEIPT)
    value = parse_answer(answer, RECEIPT).fields["currency"]
    assert [answer[a:b] for a, b in value.spans] == ['"currency"', "EUR"]


def test_select_page_keeps_one_page_for_a_training_example() -> None:
    fields = {"currency": FieldValue("EUR", page=2), "vendor_name": FieldValue("A", page=1)}
    items = [{"description": FieldValue("x", page=2)}]
    on_page, page_items = select_page(fields, items, 2)
    assert list(on_page) == ["currency"] and page_items == items
