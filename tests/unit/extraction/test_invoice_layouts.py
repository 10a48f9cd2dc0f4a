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


def test_dutch_and_german_addressee_labels():
    for label in ("Aan", "An", "Gefactureerd aan"):
        layout: Layout = (
            (300, 40, "Mulder Schilderwerken B.V."),
            (300, 54, "Stationsweg 12"),
            (300, 68, "9083 Gent"),
            (40, 120, label),
            (40, 134, "Atelier Moreau"),
            (40, 148, "149 boulevard Voltaire"),
            (40, 162, "35055 Rennes"),
            (40, 220, "Factuurnr. F2025-58280"),
            *_TOTALS,
        )
        values = _values(layout)
        assert values["customer_name"] == "Atelier Moreau", label
        assert values["customer_address"] == "149 boulevard Voltaire, 35055 Rennes", label


def test_bare_number_and_due_headings_over_their_values():
    layout: Layout = (
        (40, 40, "Design Studio by Harper Co."),
        (40, 54, "228b Harbour View"),
        (40, 68, "Madison, WI 53707"),
        (40, 120, "Nummer"),
        (40, 134, "RE-85761"),
        (200, 120, "Issued"),
        (200, 134, "09/17/2022"),
        (360, 120, "Due"),
        (360, 134, "11/01/2022"),
        *_TOTALS,
    )
    values = _values(layout)
    assert values["invoice_number"] == "RE-85761"
    assert values["due_date"] == "2022-11-01"


def test_a_french_pay_before_heading_is_the_due_date():
    layout: Layout = (
        (40, 40, "Lefèvre Informatique SAS"),
        (40, 120, "N° de facture"),
        (40, 134, "FA-24-8592"),
        (200, 120, "Date d'émission"),
        (200, 134, "24 mars 2024"),
        (360, 120, "À régler avant le"),
        (360, 134, "23 mai 2024"),
        *_TOTALS,
    )
    assert _values(layout)["due_date"] == "2024-05-23"


def test_a_weight_in_an_item_line_is_no_legal_form():
    layout: Layout = (
        (40, 40, "Design Studio by Harper Co."),
        (40, 54, "228b Harbour View"),
        (40, 68, "Madison, WI 53707"),
        (40, 120, "Item"),
        (40, 134, "Ground coffee, 1 kg"),
        (40, 148, "Steel bracket 40 mm"),
        *_TOTALS,
    )
    assert _values(layout)["vendor_name"] == "Design Studio by Harper Co."


def test_an_iban_whose_last_group_is_one_character():
    layout: Layout = (
        (40, 40, "Klein Software AG"),
        (40, 380, "IBAN: CH37 9684 9497 6198 0666 6"),
        *_TOTALS,
    )
    assert _values(layout)["iban"] == "CH3796849497619806666"


def test_after_a_prepayment_the_total_stays_and_the_rest_is_due():
    layout: Layout = (
        (40, 40, "Hoffmann Elektrotechnik AG"),
        (40, 54, "Gartenweg 187"),
        (40, 68, "6071 Innsbruck"),
        (40, 100, "Rechnung Nr. R2303-470"),
        (300, 400, "Nettobetrag"),
        (450, 400, "1.843,41"),
        (300, 414, "Rechnungsbetrag"),
        (450, 414, "2.212,09"),
        (300, 428, "Anzahlung"),
        (450, 428, "-663,63"),
        (300, 442, "Zahlbetrag"),
        (450, 442, "1.548,46"),
    )
    values = _values(layout)
    assert values["total_amount"] == "2212.09"
    assert values["net_amount"] == "1843.41"
    assert values["amount_due"] == "1548.46"


def test_without_a_prepayment_the_amount_due_repeats_the_total():
    values = _values(
        ((40, 40, "Musterbau GmbH"), *_TOTALS, (40, 442, "Zu zahlen"), (300, 442, "119,00 EUR"))
    )
    assert values["total_amount"] == values["amount_due"] == "119.00"


def test_a_uid_number_is_the_vendors_vat_id():
    layout: Layout = (
        (40, 40, "Hoffmann Elektrotechnik AG"),
        (40, 54, "UID-Nr. DE831913811"),
        *_TOTALS,
    )
    assert _values(layout)["vendor_tax_id"] == "DE831913811"


def test_a_phone_number_under_the_town_ends_the_address():
    layout: Layout = (
        (40, 40, "Ellison & Brooks Ltd"),
        (40, 54, "172 King Street"),
        (40, 68, "Albany, NY 12234"),
        (40, 82, "T (836) 182-4576"),
        (40, 140, "Bill to"),
        (40, 154, "North Brooks Data Services Corp."),
        (40, 168, "67 Elm Drive"),
        *_TOTALS,
    )
    values = _values(layout)
    assert values["vendor_address"] == "172 King Street, Albany, NY 12234"
    assert values["customer_name"] == "North Brooks Data Services Corp."
