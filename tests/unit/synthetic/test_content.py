"""Content: amounts add up, identifiers carry valid check digits, dates are plausible."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from worker.synthetic.content import make_invoice
from worker.synthetic.identifiers import iban_is_valid, make_iban, make_vat_id
from worker.synthetic.locales import LOCALES, format_amount, format_date
from worker.synthetic.receipt_content import make_receipt

COUNTRIES = ("DE", "AT", "CH", "FR", "BE", "NL", "GB")


@pytest.mark.parametrize("locale", LOCALES, ids=lambda locale: locale.code)
def test_invoice_amounts_add_up(locale):
    for seed in range(25):
        invoice = make_invoice(random.Random(seed), locale, 1 + seed % 9)
        for item in invoice.items:
            exact = item.quantity * item.unit_price
            assert abs(item.line_total - exact) <= Decimal("0.005")
        assert invoice.net == sum(item.line_total for item in invoice.items)
        assert sum(line.base for line in invoice.taxes) == invoice.net
        assert invoice.total == invoice.net + invoice.tax
        assert invoice.amount_due == invoice.total - invoice.paid
        assert Decimal(0) <= invoice.paid < invoice.total


@pytest.mark.parametrize("locale", LOCALES, ids=lambda locale: locale.code)
def test_tax_is_rate_times_base_per_rate(locale):
    for seed in range(25):
        invoice = make_invoice(random.Random(seed), locale, 6)
        for line in invoice.taxes:
            assert abs(line.amount - line.base * line.rate / 100) <= Decimal("0.005")
            assert line.rate in locale.tax_rates


@pytest.mark.parametrize("locale", LOCALES, ids=lambda locale: locale.code)
def test_receipt_total_and_tax(locale):
    for seed in range(25):
        receipt = make_receipt(random.Random(seed), locale)
        assert receipt.subtotal == sum(line.unit_price * line.quantity for line in receipt.lines)
        if receipt.tax_included:
            assert receipt.total == receipt.subtotal
            net = receipt.total - receipt.tax
            assert abs(net * receipt.tax_rate / 100 - receipt.tax) <= Decimal("0.01")
        else:
            assert receipt.total == receipt.subtotal + receipt.tax
        assert receipt.tendered >= receipt.total
        assert receipt.change == receipt.tendered - receipt.total


def test_dates_are_plausible():
    for seed in range(200):
        invoice = make_invoice(random.Random(seed), LOCALES[seed % len(LOCALES)], 2)
        assert date(2019, 1, 1) <= invoice.issue_date <= date(2026, 1, 1)
        assert 0 <= (invoice.due_date - invoice.issue_date).days <= 60


def iban_mod97(iban: str) -> int:
    """Independent of the generator: letters to numbers (A=10), first four chars moved last."""
    moved = iban[4:] + iban[:4]
    digits = "".join(str(ord(c) - 55) if c.isalpha() else c for c in moved)
    return int(digits) % 97


@pytest.mark.parametrize("country", COUNTRIES)
def test_ibans_have_valid_check_digits(country):
    rng = random.Random(country)
    for _ in range(50):
        iban = make_iban(rng, country, "ABCD")
        assert iban.startswith(country)
        assert iban_mod97(iban) == 1
        assert iban_is_valid(iban)


def test_iban_validator_rejects_a_typo():
    iban = make_iban(random.Random(1), "DE", "")
    typo = iban[:10] + str((int(iban[10]) + 1) % 10) + iban[11:]
    assert not iban_is_valid(typo)


def de_vat_ok(vat: str) -> bool:
    product = 10
    for char in vat[2:10]:
        total = (int(char) + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10 == int(vat[10])


def fr_vat_ok(vat: str) -> bool:
    siren = vat[4:]
    return int(vat[2:4]) == (12 + 3 * (int(siren) % 97)) % 97


def be_vat_ok(vat: str) -> bool:
    return 97 - int(vat[2:10]) % 97 == int(vat[10:])


def gb_vat_ok(vat: str) -> bool:
    weighted = sum(int(c) * w for c, w in zip(vat[2:9], range(8, 1, -1), strict=True))
    return (weighted + int(vat[9:])) % 97 == 0


def nl_vat_ok(vat: str) -> bool:
    weighted = sum(int(c) * w for c, w in zip(vat[2:10], range(9, 1, -1), strict=True))
    return weighted % 11 == int(vat[10]) and vat[11] == "B"


@pytest.mark.parametrize(
    ("country", "check"),
    [("DE", de_vat_ok), ("FR", fr_vat_ok), ("BE", be_vat_ok), ("GB", gb_vat_ok), ("NL", nl_vat_ok)],
)
def test_vat_ids_have_valid_check_digits(country, check):
    rng = random.Random(country)
    for _ in range(50):
        vat = make_vat_id(rng, country)
        assert vat.startswith(country)
        assert check(vat), vat


def test_amount_formats():
    value = Decimal("1234567.5")
    assert format_amount(value, ",", ".") == "1.234.567,50"
    assert format_amount(value, ".", ",") == "1,234,567.50"
    assert format_amount(value, ",", " ") == "1 234 567,50"
    assert format_amount(value, ".", "'") == "1'234'567.50"
    assert format_amount(Decimal("-3.4"), ",", "") == "-3,40"
    assert format_amount(Decimal("2.500"), ",", ".", places=None) == "2,5"


def test_date_formats():
    day = date(2024, 12, 31)
    assert format_date(day, "dot", "de") == "31.12.2024"
    assert format_date(day, "slash_mdy", "en") == "12/31/2024"
    assert format_date(day, "d_mon_y", "fr") == "31 déc. 2024"
    assert format_date(day, "iso", "nl") == "2024-12-31"
    assert format_date(day, "de_d_month_y", "de") == "31. Dezember 2024"
