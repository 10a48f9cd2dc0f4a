"""Receipt rules on layouts built here: totals as thermal printers and OCR leave them, payments,
and the vendor's line with its registration number."""

from collections.abc import Sequence

import pytest

from core.doctypes import BUILTIN_TYPES, INVOICE, RECEIPT
from tests.unit.builders import Layout, page_text
from worker.pipeline.candidates import Locale, amount_reader
from worker.pipeline.fields import detect_type, extract_fields

RECEIPT_SIZE = (260.0, 400.0)


def _receipt(*lines: tuple[str, str]) -> Layout:
    """A narrow receipt: a header, then one ``label  amount`` line per item of ``lines``."""
    layout: list[tuple[float, float, str]] = [
        (20, 20, "KEDAI CONTOH ENTERPRISE"),
        (20, 34, "NO 5, JALAN BESAR,"),
        (20, 48, "43000 KAJANG, SELANGOR"),
        (20, 70, "Date: 21/05/2018 10:22"),
        (20, 90, "BISCUITS"),
        (190, 90, "3.60"),
    ]
    for number, (label, amount) in enumerate(lines):
        y = 120 + 16 * number
        layout.append((20, y, label))
        if amount:
            layout.append((190, y, amount))
    return layout


def _values(layout: Sequence[tuple[float, float, str]]) -> dict[str, str | None]:
    fields, _ = extract_fields([page_text(layout, "tesseract", RECEIPT_SIZE)], RECEIPT)
    return {name: value.value for name, value in fields.items()}


@pytest.mark.parametrize(
    "label",
    ["Total RM incl. SST", "Total Amt Due", "Total EUR inkl. MwSt", "Total Amt Incl. VAT"],
)
def test_total_labels_with_a_currency_or_amt_inside(label):
    values = _values(_receipt(("Total GST", "0.83"), (label, "14.70")))
    assert values["total_amount"] == "14.70"


@pytest.mark.parametrize(("printed", "expected"), [("RM12 35", "12.35"), ("7 45", "7.45")])
def test_a_total_whose_decimal_point_was_lost(printed, expected):
    assert _values(_receipt(("Total Sales Incl GST", printed)))["total_amount"] == expected


def test_a_lost_point_is_no_amount_where_one_reads_properly():
    values = _values(_receipt(("Total Sales Incl GST", "12.50"), ("Total Qty", "2 10")))
    assert values["total_amount"] == "12.50"


def test_change_comes_from_the_largest_amount_handed_over():
    # "Cash" repeats the amount paid in cash; "Tendered" is what was handed over.
    values = _values(_receipt(("Cash", "13.45"), ("Tendered", "20 00"), ("Change", "6.55")))
    assert values["total_amount"] == "13.45"


def test_cash_minus_change_and_net_plus_tax_outvote_a_misread_total():
    # OCR read 60.00 as 90.00; cash - change and net + tax (+ rounding) both say 60.00.
    values = _values(
        _receipt(
            ("Total Sales (Excluding SST) :", "56.58"),
            ("Total SST :", "3.40"),
            ("Rounding :", "0.02"),
            ("Total Sales (Inclusive of SST) :", "90.00"),
            ("CASH :", "100.00"),
            ("Change :", "40.00"),
        )
    )
    assert values["total_amount"] == "60.00"
    assert values["tax_amount"] == "3.40"
    assert "net_amount" not in values  # a receipt reports no net amount


def test_a_printed_total_that_cash_confirms_stays():
    values = _values(
        _receipt(
            ("Total excl. GST", "20.00"),
            ("GST", "1.20"),
            ("Total incl. GST", "21.20"),
            ("Cash", "50.00"),
            ("Change", "28.80"),
        )
    )
    assert values["total_amount"] == "21.20"


def test_nett_total_on_a_receipt_is_its_total_not_a_net():
    values = _values(_receipt(("Total", "10.00"), ("Rounding", "-0.02"), ("Nett Total", "9.98")))
    assert values["total_amount"] == "9.98"


def test_vendor_with_its_registration_number_in_brackets():
    layout = [
        (20, 20, "Seri Mutiara Realty Sdn Bhd (Co. No: 123456-A)"),
        (20, 34, "(SST Registration No : 001234567890)"),
        (20, 48, "12, Jalan Bunga Raya,"),
        (20, 62, "50300 Kuala Lumpur."),
        (20, 80, "Tel : +6 03 1111 2222"),
        (20, 110, "Total incl. SST"),
        (190, 110, "7.00"),
    ]
    values = _values(layout)
    assert values["vendor_name"] == "Seri Mutiara Realty Sdn Bhd"
    assert (values["vendor_address"] or "").startswith("12, Jalan Bunga Raya")


@pytest.mark.parametrize("registration", ["(001 234567-U)", "{AB1234567-D)", "[765432 X]"])
def test_a_bracketed_registration_line_is_not_the_address(registration):
    layout = [
        (20, 20, "KEDAI MAKAN SELERA KITA"),
        (20, 34, registration),
        (20, 48, "12, JALAN MAWAR 3/4"),
        (20, 62, "43000 KAJANG SELANGOR"),
        (20, 80, "TEL : 03-1234 5678"),
        (20, 110, "TOTAL INCL. GST"),
        (190, 110, "12.00"),
    ]
    values = _values(layout)
    assert values["vendor_name"] == "KEDAI MAKAN SELERA KITA"
    assert values["vendor_address"] == "12, JALAN MAWAR 3/4, 43000 KAJANG SELANGOR"


@pytest.mark.parametrize(
    "words",
    [
        ("Ticket n° 1187   Caisse 3", "ESPECES", "RENDU"),  # fr, the accent lost to OCR
        ("Bonnr. 4411   Kassa 2", "Ontvangen", "Wisselgeld"),  # nl
        ("Kasse 3   Bon-Nr. 1234", "Gegeben", "Rückgeld"),  # de
    ],
)
def test_receipts_known_by_their_till_words(words):
    layout = [
        (20, 20, "Epicerie du Centre"),
        (20, 34, "N° TVA BE0123456749"),  # an invoice cue, outvoted
        (20, 60, words[0]),
        (20, 120, "MONTANT"),
        (190, 120, "18,20"),
        (20, 136, words[1]),
        (190, 136, "20,00"),
        (20, 152, words[2]),
        (190, 152, "1,80"),
    ]
    page = page_text(layout, "tesseract", (400.0, 420.0))
    assert detect_type([page], BUILTIN_TYPES)[0] == "receipt"


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("23 410,75 €", "23410.75"),
        ("1 234.56", "1234.56"),
        ("12\u202f345\u202f678,90", "12345678.90"),
    ],
)
def test_thousands_grouped_by_spaces(printed, expected):
    values = _values(_receipt(("Total TTC", printed)))
    assert values["total_amount"] == expected


def test_space_grouped_digits_without_cents_are_no_amount():
    read = amount_reader(Locale(",", None))
    assert read("Artikel 2 550") is None
    assert read("Tel 03 1234 5678") is None
    assert read("Menge 2 Preis 550,00") == ("550.00", 14, 20)


def test_a_word_that_spells_a_legal_form_in_lower_case_is_no_company():
    # "Spa rood" (a mineral water) under the receipt's number is not "… S.p.A."
    layout = [
        (20, 20, "Bakkerij Vermeer"),
        (20, 34, "Kerkstraat 12"),
        (20, 48, "1234 AB Utrecht"),
        (20, 62, "Tel. +31 30 123 4567"),
        (20, 90, "14-02-2022 09:12"),
        (20, 104, "Bonnummer 123456 Medewerker 4"),
        (20, 118, "Spa rood"),
        (190, 118, "1,95"),
        (20, 140, "Totaal"),
        (190, 140, "1,95"),
    ]
    assert _values(layout)["vendor_name"] == "Bakkerij Vermeer"


def test_the_german_abbreviation_of_the_invoice_number():
    layout = [
        (20, 20, "Musterbau GmbH"),
        (300, 60, "Re.-Nr."),
        (380, 60, "Rechnungsdatum"),
        (300, 74, "RG-2024-0815"),
        (380, 74, "15.03.2024"),
    ]
    fields, _ = extract_fields([page_text(layout)], INVOICE)
    assert fields["invoice_number"].value == "RG-2024-0815"


def test_a_name_over_a_phone_number_is_the_shop_not_the_till_line_below():
    layout = [
        (20, 20, "Walsh's Deli"),
        (20, 34, "T (482) 789-9446"),
        (20, 70, "Receipt"),
        (20, 84, "January 24, 2024 12:46"),
        (20, 98, "Receipt # 733617 Operator 9"),
        (20, 112, "Tomato soup"),
        (20, 126, "2 x 6.33"),
        (190, 126, "12.66"),
        (20, 150, "Total"),
        (190, 150, "12.66"),
    ]
    values = _values(layout)
    assert values["vendor_name"] == "Walsh's Deli"
    assert values.get("vendor_address") is None
