"""Invoice header rules on layouts built here: address blocks with a blank line inside, labels
that carry a number rather than a party, and "vom" dates that are not the invoice's."""

from core.doctypes import INVOICE
from tests.unit.builders import Layout, page_text
from worker.pipeline.fields import extract_fields


def _values(layout: Layout) -> dict[str, str | None]:
    fields, _ = extract_fields([page_text(layout)], INVOICE)
    return {name: value.value for name, value in fields.items()}


_TOTALS: Layout = (
    (40, 400, "Summe netto"),
    (300, 400, "100,00 EUR"),
    (40, 414, "USt. 19 %"),
    (300, 414, "19,00 EUR"),
    (40, 428, "Gesamtbetrag"),
    (300, 428, "119,00 EUR"),
)


def test_an_address_block_with_blank_lines_inside_is_read_whole():
    layout: Layout = (
        (40, 40, "Lieferant"),
        (40, 54, "MUSTERLIEFERANT GMBH"),
        (40, 82, "BAHNHOFSTRASSE 99"),  # one blank line above
        (40, 96, "99199 MUSTERHAUSEN"),
        (300, 40, "Rechnungsnummer: R-77"),
        (300, 54, "Rechnungsdatum: 06.08.2013"),
        *_TOTALS,
    )
    values = _values(layout)
    assert values["vendor_name"] == "MUSTERLIEFERANT GMBH"
    assert values["vendor_address"] == "BAHNHOFSTRASSE 99, 99199 MUSTERHAUSEN"


def test_a_town_a_blank_line_under_its_street_belongs_to_the_address():
    layout: Layout = (
        (40, 40, "Verkäufer:"),
        (40, 60, "Verkehrsbetriebe GmbH"),
        (40, 74, "Musterstraße 3"),
        (40, 102, "DE 12345 Berlin"),
        (40, 130, "Telefon : +493012345678"),
        (300, 40, "Rechnung Nr. 2018-11 vom 20.09.2018"),
        *_TOTALS,
    )
    assert _values(layout)["vendor_address"] == "Musterstraße 3, DE 12345 Berlin"


def test_a_paragraph_two_blank_lines_below_is_no_part_of_the_address():
    layout: Layout = (
        (40, 40, "Musterbau GmbH"),
        (40, 54, "Industriestraße 7"),
        (40, 68, "70173 Stuttgart"),
        (40, 130, "Lieferung 12 Paletten"),  # far below: a new block
        (300, 40, "Rechnungsnummer: R-5521"),
        (300, 54, "Rechnungsdatum: 01.02.2024"),
        *_TOTALS,
    )
    assert _values(layout)["vendor_address"] == "Industriestraße 7, 70173 Stuttgart"


def test_a_customer_label_with_a_number_is_a_customer_number_not_the_customer():
    layout: Layout = (
        (300, 40, "Bei Spiel GmbH"),
        (300, 54, "Ecke 12"),
        (300, 68, "12345 Stadthausen"),
        (40, 80, "Bei Spiel GmbH ● Ecke 12 ● 12345 Stadthausen"),
        (40, 96, "Theodor Est"),
        (40, 110, "Bahnstr. 42"),
        (40, 124, "88802 Spielkreis"),
        (40, 200, "Customer:2"),
        (40, 214, "Your order AB321"),
        (40, 228, "Invoice # RE-508 issued at 2020-11-21"),
        *_TOTALS,
    )
    assert _values(layout)["customer_name"] == "Theodor Est"


def test_vom_dates_the_invoice_only_after_its_name_or_number():
    layout: Layout = (
        (40, 20, "ZUGFeRD-Version :"),
        (250, 20, "2.1 vom 24.03.2020"),
        (40, 34, "Stylesheet-Version: 2.0 vom 18.10.2018"),
        (40, 80, "Handelsrechnung Nr. 471102 vom 05.06.2018"),
        (40, 120, "Verkäufer:"),
        (40, 134, "Lieferant GmbH"),
        *_TOTALS,
    )
    assert _values(layout)["issue_date"] == "2018-06-05"
