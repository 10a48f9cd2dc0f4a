"""Identifiers with real check digits: IBANs, VAT numbers, plus invoice and order numbers.

Validation rules downstream (IBAN mod 97, VAT check digits) must pass on synthetic documents,
or a model trained on them would learn that valid-looking numbers fail validation.
"""

from __future__ import annotations

import random
import string
from datetime import date

# Length of the national part (BBAN) per country, and whether it starts with a bank letter code.
_BBAN: dict[str, tuple[int, int]] = {  # country: (letters, digits)
    "DE": (0, 18),
    "AT": (0, 16),
    "CH": (0, 17),
    "FR": (0, 23),
    "BE": (0, 12),
    "NL": (4, 10),
    "GB": (4, 14),
}


def iban_check_digits(country: str, bban: str) -> str:
    """The two ISO 13616 check digits: the rearranged IBAN must be 1 modulo 97."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(char, 36)) for char in rearranged))
    return f"{98 - number % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def make_iban(rng: random.Random, country: str, bank_code: str) -> str:
    """A compact IBAN for ``country``; ``bank_code`` fills the letter part where there is one."""
    letters, digits = _BBAN.get(country, (0, 18))
    bban = bank_code[:letters] + _digits(rng, digits)
    return country + iban_check_digits(country, bban) + bban


def group_iban(iban: str) -> str:
    """The printed form: groups of four."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def make_bic(rng: random.Random, bank_code: str, country: str) -> str:
    location = rng.choice(["FF", "MM", "2X", "PP", "22", "BB"])
    branch = rng.choice(["", "", "XXX", _digits(rng, 3)])
    return f"{bank_code[:4]}{country}{location}{branch}"


def make_vat_id(rng: random.Random, country: str) -> str:
    """A VAT (or US employer) number in the country's printed form, check digits included."""
    makers = {
        "DE": _vat_de,
        "AT": _vat_at,
        "CH": _vat_ch,
        "FR": _vat_fr,
        "BE": _vat_be,
        "NL": _vat_nl,
        "GB": _vat_gb,
    }
    maker = makers.get(country)
    if maker is None:  # the US has no VAT: invoices print an EIN
        return f"{rng.randint(10, 99)}-{_digits(rng, 7)}"
    return maker(rng)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _vat_de(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + _digits(rng, 7)
    product = 10  # ISO 7064 MOD 11,10
    for char in body:
        total = (int(char) + product) % 10 or 10
        product = (2 * total) % 11
    return f"DE{body}{(11 - product) % 10}"


def _vat_at(rng: random.Random) -> str:
    body = _digits(rng, 7)
    total = 0
    for index, char in enumerate(body):
        value = int(char) * (2 if index % 2 else 1)
        total += value // 10 + value % 10
    return f"ATU{body}{(10 - (total + 4) % 10) % 10}"


def _vat_ch(rng: random.Random) -> str:
    while True:
        body = _digits(rng, 8)
        check = (
            11 - sum(int(c) * w for c, w in zip(body, (5, 4, 3, 2, 7, 6, 5, 4), strict=True)) % 11
        )
        if check != 10:
            digits = body + str(check % 11)
            return f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]} MWST"


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (1 if index % 2 else 2)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _vat_fr(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + _digits(rng, 7)
    siren = body + luhn_digit(body)
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def _vat_be(rng: random.Random) -> str:
    body = "0" + str(rng.randint(2, 9)) + _digits(rng, 6)
    return f"BE{body}{97 - int(body) % 97:02d}"


def _vat_nl(rng: random.Random) -> str:
    while True:
        body = str(rng.randint(1, 9)) + _digits(rng, 7)
        check = sum(int(c) * w for c, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return f"NL{body}{check}B{rng.randint(1, 19):02d}"


def _vat_gb(rng: random.Random) -> str:
    body = str(rng.randint(1, 9)) + _digits(rng, 6)
    total = sum(int(c) * w for c, w in zip(body, range(8, 1, -1), strict=True))
    return f"GB{body}{97 - total % 97:02d}"


def make_invoice_number(rng: random.Random, issued: date) -> str:
    """One of the numbering schemes accounting systems use, dated by ``issued``."""
    n = rng.randint(1, 99999)
    y, m = issued.year, issued.month
    schemes = (
        f"INV-{y}-{n:04d}",
        f"RE-{n + 10000}",
        f"{y}/{n % 1000:03d}",
        f"F{y}-{n:05d}",
        f"FA-{y % 100:02d}-{n % 10000:04d}",
        f"{rng.randint(100000, 999999)}",
        f"INV/{y}/{m:02d}/{n % 10000:04d}",
        f"{y}{m:02d}{n % 1000:03d}",
        f"R{y % 100:02d}{m:02d}-{n % 1000:03d}",
        f"{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}{n:06d}",
    )
    return rng.choice(schemes)


def make_order_number(rng: random.Random) -> str:
    schemes = (
        f"PO-{rng.randint(10000, 99999)}",
        f"45{_digits(rng, 8)}",
        f"B{rng.randint(2019, 2025)}-{_digits(rng, 4)}",
        f"{rng.choice(string.ascii_uppercase)}{_digits(rng, 6)}",
    )
    return rng.choice(schemes)


def make_customer_number(rng: random.Random) -> str:
    return rng.choice((f"K{_digits(rng, 5)}", f"C-{_digits(rng, 4)}", _digits(rng, 6)))
