"""Turn what a reviewer types into the export's canonical values (first cut).

Stand-in with the interface of the CPU-extraction work (``normalise(kind, raw)``), so that the
review screen judges people's edits by the same parsers the worker will use on extracted text:
ISO dates, dot-decimal amounts, ISO 4217 currencies, checked IBANs. Every parser returns
``None`` for what it cannot read: never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from core.doctypes import FieldKind

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$"), ("d", "m", "y")),
)
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "CHF": "CHF"}


def parse_date(raw: str) -> str | None:
    text = raw.strip()
    for pattern, order in _DATE_PATTERNS:
        found = pattern.match(text)
        if found:
            parts = dict(zip(order, (int(g) for g in found.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"]).isoformat()
            except ValueError:
                return None
    return None


def parse_decimal(raw: str) -> Decimal | None:
    text = _SPACES.sub("", raw).strip("€$£").removesuffix("EUR").removeprefix("EUR")
    if not re.fullmatch(r"-?[\d.,]*\d", text):
        return None
    if "," in text and "." in text:
        mark = "." if text.rfind(".") > text.rfind(",") else ","
        text = text.replace("," if mark == "." else ".", "").replace(mark, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(".") > 1 or text.count(",") > 1:
        text = text.replace(".", "").replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_amount(raw: str) -> str | None:
    value = parse_decimal(raw)
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return format(value, "f")


def parse_number(raw: str) -> str | None:
    value = parse_decimal(raw.replace("%", ""))
    return None if value is None else format(value.normalize(), "f")


def parse_currency(raw: str) -> str | None:
    text = raw.strip()
    if text in _SYMBOLS:
        return _SYMBOLS[text]
    return text.upper() if re.fullmatch(r"[A-Za-z]{3}", text) else None


def compact(raw: str) -> str:
    return _SPACES.sub("", raw).upper()


def iban_checksum_ok(iban: str) -> bool:
    text = compact(iban)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", text):
        return False
    digits = "".join(str(int(char, 36)) for char in text[4:] + text[:4])
    return int(digits) % 97 == 1


def parse_iban(raw: str) -> str | None:
    return compact(raw) if iban_checksum_ok(raw) else None


def parse_bic(raw: str) -> str | None:
    text = compact(raw)
    return text if re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", text) else None


def parse_vat_id(raw: str) -> str | None:
    text = compact(raw).replace(".", "").replace("-", "")
    return text if re.fullmatch(r"[A-Z]{2}[A-Z0-9]{2,13}", text) else None


def _text(raw: str) -> str | None:
    return _SPACES.sub(" ", raw).strip() or None


def _address(raw: str) -> str | None:
    lines = (_SPACES.sub(" ", line).strip() for line in raw.splitlines())
    return "\n".join(line for line in lines if line) or None


_NORMALISERS: Mapping[FieldKind, Callable[[str], str | None]] = {
    FieldKind.TEXT: _text,
    FieldKind.ADDRESS: _address,
    FieldKind.IDENTIFIER: _text,
    FieldKind.DATE: parse_date,
    FieldKind.AMOUNT: parse_amount,
    FieldKind.CURRENCY: parse_currency,
    FieldKind.QUANTITY: parse_number,
    FieldKind.PERCENT: parse_number,
    FieldKind.IBAN: parse_iban,
    FieldKind.BIC: parse_bic,
    FieldKind.VAT_ID: parse_vat_id,
}


def normalise(kind: FieldKind, raw: str) -> str | None:
    """``raw`` as the canonical value of a field of ``kind``, or None when it is not one."""
    if not raw or not raw.strip():
        return None
    return _NORMALISERS[kind](raw)
