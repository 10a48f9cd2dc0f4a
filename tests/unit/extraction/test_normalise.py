from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.doctypes import FieldKind
from core.normalise import (
    iban_checksum_ok,
    normalise,
    parse_amount,
    parse_bic,
    parse_currency,
    parse_date,
    parse_iban,
    parse_vat_id,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("€ 4.053,67", "4053.67"),
        ("$4.11", "4.11"),
        ("-8,79", "-8.79"),
        ("(12.00)", "-12.00"),
        ("12.50-", "-12.50"),
        ("1 234,56 EUR", "1234.56"),
        ("RM 9.00", "9.00"),
        ("0€", "0.00"),
        ("1'234.50", "1234.50"),
        ("3,9000", "3.9000"),
        ("12", "12.00"),
    ],
)
def test_amounts_in_common_locales(raw, expected):
    assert parse_amount(raw) == expected


def test_a_lone_three_digit_group_follows_the_page_locale():
    assert parse_amount("1.500", ",") == "1500.00"
    assert parse_amount("1,500") == "1500.00"


@pytest.mark.parametrize("raw", ["", "abc", "1.23.456,00", "--", "12/03/2024x"])
def test_what_is_not_an_amount_is_none(raw):
    assert parse_amount(raw) is None


@given(
    st.decimals(min_value=-(10**7), max_value=10**7, places=2, allow_nan=False),
    st.sampled_from([(",", "."), (".", ","), ("", ","), ("'", ".")]),
)
def test_amount_printed_any_way_reads_back(value, separators):
    thousands, mark = separators
    whole, fraction = f"{abs(value):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", thousands)
    text = ("-" if value < 0 else "") + groups + mark + fraction
    assert Decimal(parse_amount(text, mark) or "nan") == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("31.12.2024", "2024-12-31"),
        ("12/31/2024", "2024-12-31"),
        ("31 déc. 2024", "2024-12-31"),
        ("19 april 2014", "2014-04-19"),
        ("29 maart 2014", "2014-03-29"),
        ("31 mrt. 2019", "2019-03-31"),  # Dutch abbreviates maart as mrt
        ("3. März 2023", "2023-03-03"),
        ("August 3 , 2014", "2014-08-03"),
        ("Jan 1, 2022", "2022-01-01"),
        ("2020-11-21", "2020-11-21"),
        ("Date: 25/12/18 8:13 PM", "2018-12-25"),
        ("03-Jan-18", "2018-01-03"),
    ],
)
def test_dates_in_en_de_fr_nl(raw, expected):
    assert parse_date(raw) == expected


def test_ambiguous_day_and_month_follow_the_order_given():
    assert parse_date("03/04/2024") == "2024-04-03"
    assert parse_date("03/04/2024", "MDY") == "2024-03-04"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("17/09/20197:45:12PM", "2019-09-17"),  # "17/09/2019 7:45:12PM", the space lost
        ("09/11/1910:05", "2019-11-09"),  # "09/11/19 10:05"
        ("Date:22/04/202014:30", "2020-04-22"),
        ("06/02/2021 18:20", "2021-02-06"),
    ],
)
def test_a_date_glued_to_its_clock_time(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["31.02.2024", "12/13/2024/1", "1999", "Marketing 2020", "HD038-04-06", "31/12/2150"],
)
def test_impossible_dates_are_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("€", "EUR"),
        ("EUR", "EUR"),
        ("$ 4.11", "USD"),
        ("RM", "MYR"),
        ("Rs. 319", "INR"),
        ("Beträge in Euro", "EUR"),
        ("£12", "GBP"),
        ("chf", "CHF"),
    ],
)
def test_currency_from_symbols_and_codes(raw, code):
    assert parse_currency(raw) == code


def test_unknown_currency_is_none():
    assert parse_currency("tokens") is None


def test_iban_mod97():
    assert parse_iban("DE08 7009 0100 1234 5678 90") == "DE08700901001234567890"
    assert iban_checksum_ok("GB33BUKB20201555555555")
    assert parse_iban("DE08 7009 0100 1234 5678 91") is None


def test_bic_and_vat_id_shapes():
    assert parse_bic("BIC: COBADEFFXXX") == "COBADEFFXXX"
    assert parse_bic("COBA") is None
    assert parse_vat_id("DE 136 695 976") == "DE136695976"
    assert parse_vat_id("NL810433941B01") == "NL810433941B01"
    assert parse_vat_id("DE12345") is None


def test_normalise_dispatches_on_kind():
    assert normalise(FieldKind.AMOUNT, "1.234,50 €") == "1234.50"
    assert normalise(FieldKind.DATE, "tomorrow") is None
    assert (
        normalise(FieldKind.ADDRESS, "Weena 664\n3012 CN Rotterdam")
        == "Weena 664, 3012 CN Rotterdam"
    )
    assert normalise(FieldKind.PERCENT, "19 %") == "19"
    assert normalise(FieldKind.TEXT, "   ") is None
