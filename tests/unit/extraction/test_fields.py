from collections.abc import Mapping
from dataclasses import replace

from core.doctypes import BUILTIN_TYPES, INVOICE, RECEIPT
from core.domain import FieldValue, PageText
from tests.unit.builders import INVOICE_EN, RECEIPT_MY, RECHNUNG_DE, page_text
from worker.pipeline.fields import detect_type, extract_fields


def _values(fields: Mapping[str, FieldValue]) -> dict[str, str | None]:
    return {name: value.value for name, value in fields.items()}


def test_english_invoice_fields():
    fields, items = extract_fields([page_text(INVOICE_EN)], INVOICE)
    values = _values(fields)
    assert values["invoice_number"] == "NW-2024-0117"
    assert values["issue_date"] == "2024-03-12"  # day first: 11/04 and 12/03 are ambiguous
    assert values["due_date"] == "2024-04-11"
    assert values["vendor_name"] == "Northwind Traders Ltd"
    assert values["customer_name"] == "Contoso Retail plc"
    assert (values["net_amount"], values["tax_amount"], values["total_amount"]) == (
        "1260.00",
        "252.00",
        "1512.00",
    )
    assert values["currency"] == "GBP"
    assert values["iban"] == "GB33BUKB20201555555555"
    assert values["vendor_tax_id"] == "GB123456789"
    assert [item["line_total"].value for item in items] == ["900.00", "360.00"]


def test_every_field_knows_where_it_came_from():
    fields, _ = extract_fields([page_text(INVOICE_EN)], INVOICE)
    total = fields["total_amount"]
    assert total.page == 1 and total.source == "textlayer"
    assert total.bbox is not None and total.bbox[0] > 0.7 and 0.3 < total.bbox[1] < 0.5
    assert 0 < total.confidence <= 1


def test_german_invoice_with_comma_decimals():
    values = _values(extract_fields([page_text(RECHNUNG_DE)], INVOICE)[0])
    assert values["invoice_number"] == "R-5521"
    assert values["issue_date"] == "2024-02-05"
    assert values["due_date"] == "2024-03-06"
    assert values["vendor_name"] == "Musterbau GmbH"
    assert values["customer_name"] == "Beispiel AG"
    assert values["total_amount"] == "1190.00"
    assert values["net_amount"] == "1000.00"
    assert values["tax_amount"] == "190.00"
    assert values["currency"] == "EUR"


def test_receipt_fields():
    values = _values(extract_fields([page_text(RECEIPT_MY, "tesseract", (260, 300))], RECEIPT)[0])
    assert values["vendor_name"] == "KEDAI MAJU TRADING SDN BHD"
    assert (values["vendor_address"] or "").startswith("NO 5, JALAN BESAR")
    assert values["issue_date"] == "2018-05-21"
    assert values["total_amount"] == "26.50"
    assert values["currency"] == "MYR"


def test_header_on_page_one_totals_on_page_two():
    first = [item for item in INVOICE_EN if item[1] < 300]
    second = [(x, y - 200, text) for x, y, text in INVOICE_EN if y >= 300]
    pages = [page_text(first), replace(page_text(second), index=1)]
    fields, _ = extract_fields(pages, INVOICE)
    assert fields["invoice_number"].page == 1
    assert fields["total_amount"].value == "1512.00" and fields["total_amount"].page == 2


def test_nothing_found_is_left_out_not_guessed():
    fields, items = extract_fields([page_text(((40, 40, "Hello world"),))], INVOICE)
    assert "total_amount" not in fields and "invoice_number" not in fields and items == ()
    assert extract_fields([PageText(0, 1, 1, (), "tesseract")], INVOICE) == ({}, ())


def test_type_detection():
    assert detect_type([page_text(INVOICE_EN)], BUILTIN_TYPES)[0] == "invoice"
    assert detect_type([page_text(RECEIPT_MY, size=(260, 300))], BUILTIN_TYPES)[0] == "receipt"
    assert detect_type([PageText(0, 1, 1, (), "none")], BUILTIN_TYPES) == (None, 0.0)
