"""Turn what is printed on a page (or typed by a reviewer) into the export's canonical values.

Pure parsers, one per kind of value: amounts (``1.234,56`` / ``1,234.56`` → ``"1234.56"``),
dates (``31.12.2024`` / ``12/31/2024`` / ``31 déc. 2024`` → ``"2024-12-31"``), ISO 4217
currencies from symbols and codes, IBAN (mod-97), BIC and VAT IDs. The worker uses them on
extracted text and the review screen on people's edits, so both are judged the same way.
Every parser returns ``None`` for what it cannot read: never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from core.doctypes import FieldKind

# ---------------------------------------------------------------------------------------------
# Amounts

_MINUS = "-−–"  # hyphen, minus sign, en dash: all print as a minus on invoices
_AMOUNT_JUNK = re.compile(r"[^\d.,'\-−–()]")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")


def parse_decimal(raw: str, decimal_mark: str | None = None) -> Decimal | None:
    """The number in ``raw`` (currency signs and spaces ignored), or None.

    ``decimal_mark`` ("," or ".") settles the one ambiguous shape, a single separator followed
    by exactly three digits ("1.234"); without it that reads as thousands when the separator is
    a comma or a dot with more than one group, and as a decimal point otherwise.
    """
    text = _SPACES.sub("", raw.strip())
    if re.search(r"\d[/:]\d", text):  # a date, a time or a fraction, not an amount
        return None
    negative = _is_negative(text)
    digits = _AMOUNT_JUNK.sub("", text).strip("()" + _MINUS).replace("'", "")
    if not digits or not re.fullmatch(r"[\d.,]*\d[\d.,]*", digits):
        return None
    number = _canonical_number(digits, decimal_mark)
    if number is None:
        return None
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    return -value if negative else value


def _is_negative(text: str) -> bool:
    stripped = re.sub(r"^[^\d\-−–(]*", "", text)  # drop a leading currency sign
    return (
        stripped[:1] in _MINUS
        or text.endswith(tuple(_MINUS))
        or (stripped.startswith("(") and text.endswith(")"))
    )


def _canonical_number(digits: str, decimal_mark: str | None) -> str | None:
    """``digits`` (only digits, dots and commas) as a plain ``1234.56`` string."""
    digits = digits.strip(".,")
    if "," in digits and "." in digits:
        mark = "." if digits.rfind(".") > digits.rfind(",") else ","
        return _split_on(digits, mark)
    for sep in (",", "."):
        if sep in digits:
            return _single_separator(digits, sep, decimal_mark)
    return digits


def _single_separator(digits: str, sep: str, decimal_mark: str | None) -> str | None:
    parts = digits.split(sep)
    if len(parts) > 2:  # 1.234.567 or 1,234,567: thousands groups only
        if all(len(p) == 3 for p in parts[1:]):
            return "".join(parts)
        return None
    tail = parts[1]
    if len(tail) == 3 and decimal_mark != sep and (sep == "," or decimal_mark == ","):
        return "".join(parts)  # 1,234 (or 1.234 on a comma-decimal page): thousands
    return _split_on(digits, sep)


def _split_on(digits: str, mark: str) -> str | None:
    whole, _, fraction = digits.rpartition(mark)
    other = "," if mark == "." else "."
    groups = whole.split(other)
    if len(groups) > 1 and not all(len(g) == 3 for g in groups[1:]):
        return None  # 1.23.456,00 is no number anyone prints
    return "".join(groups) + "." + fraction


def format_amount(value: Decimal) -> str:
    """``Decimal`` as the export writes amounts: dot decimal, at least two decimals."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return format(value, "f")


def parse_amount(raw: str, decimal_mark: str | None = None) -> str | None:
    value = parse_decimal(raw, decimal_mark)
    return None if value is None else format_amount(value)


def parse_number(raw: str, decimal_mark: str | None = None) -> str | None:
    """A quantity or rate: the number without needless trailing zeros ("6.50" → "6.5")."""
    value = parse_decimal(raw.replace("%", ""), decimal_mark)
    if value is None:
        return None
    return format(value.normalize(), "f")


# ---------------------------------------------------------------------------------------------
# Dates

MONTHS: Mapping[str, int] = {
    # English
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mrz": 3, "mai": 5,
    "juni": 6, "juli": 7, "okt": 10, "oktober": 10, "dez": 12, "dezember": 12,
    # French
    "janv": 1, "janvier": 1, "févr": 2, "fevr": 2, "février": 2, "fevrier": 2, "mars": 3,
    "avr": 4, "avril": 4, "juin": 6, "juil": 7, "juillet": 7, "août": 8, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "déc": 12, "décembre": 12, "decembre": 12,
    # Dutch
    "januari": 1, "februari": 2, "maart": 3, "mrt": 3, "mei": 5, "augustus": 8,
}  # fmt: skip

_MONTH_WORD = r"[A-Za-zÀ-ÿ]{3,10}\.?"
# The year ends the date, unless a clock time follows it with no space between: OCR engines that
# read whole lines drop the space, and receipts print "17/09/2019 7:45" as "17/09/20197:45".
_NUMERIC_DATE = re.compile(
    r"(?<![\w./-])(\d{4}|\d{1,2})\s?([./\-])\s?(\d{1,2})\s?\2\s?((?:19|20)\d{2}(?!:\d)|\d{2})"
    r"(?:(?![\w/-]|[.,]\d)|(?=\d{1,2}:\d{2}))"
)
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th|er|\.)?[\s\-]*({_MONTH_WORD})[\s\-,]*(\d{{4}}|\d{{2}})(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![A-Za-zÀ-ÿ])({_MONTH_WORD})\s*(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})(?!\d)"
)
MIN_YEAR, MAX_YEAR = 1980, 2100


def parse_date(raw: str, order: str | None = None) -> str | None:
    """The first date in ``raw`` as ``YYYY-MM-DD``, or None.

    ``order`` ("DMY" or "MDY") settles numeric dates whose day and month could swap
    (03/04/2024); without it they read day first, as most of the world writes them.
    """
    found = find_date(raw, order)
    return found[0] if found else None


def find_date(raw: str, order: str | None = None) -> tuple[str, int, int] | None:
    """The first date in ``raw``: (ISO string, start, end) of the match, or None."""
    best: tuple[str, int, int] | None = None
    for finder in (_numeric_date, _day_month_year, _month_day_year):
        found = finder(raw, order)
        if found and (best is None or found[1] < best[1]):
            best = found
    return best


def _numeric_date(raw: str, order: str | None) -> tuple[str, int, int] | None:
    for match in _NUMERIC_DATE.finditer(raw):
        a, _, b, c = match.groups()
        if len(a) == 4:  # ISO order: 2024-12-31
            iso = _iso(int(a), int(b), int(c))
        elif len(c) in (2, 4):
            iso = _day_first_or_month_first(int(a), int(b), _year(c), order)
        else:
            iso = None
        if iso:
            return iso, match.start(), match.end()
    return None


def _day_first_or_month_first(a: int, b: int, year: int, order: str | None) -> str | None:
    if a > 12 or (order != "MDY" and b <= 12):
        return _iso(year, b, a)
    return _iso(year, a, b)


def _day_month_year(raw: str, order: str | None) -> tuple[str, int, int] | None:
    for match in _DAY_MONTH_YEAR.finditer(raw):
        month = month_number(match.group(2))
        if month:
            iso = _iso(_year(match.group(3)), month, int(match.group(1)))
            if iso:
                return iso, match.start(), match.end()
    return None


def _month_day_year(raw: str, order: str | None) -> tuple[str, int, int] | None:
    for match in _MONTH_DAY_YEAR.finditer(raw):
        month = month_number(match.group(1))
        if month:
            iso = _iso(int(match.group(3)), month, int(match.group(2)))
            if iso:
                return iso, match.start(), match.end()
    return None


def month_number(word: str) -> int | None:
    """The month a (possibly abbreviated) month name in en/de/fr/nl stands for."""
    key = word.casefold().rstrip(".")
    if key in MONTHS:
        return MONTHS[key]
    if len(key) < 3:
        return None
    found = {number for name, number in MONTHS.items() if name.startswith(key)}
    return found.pop() if len(found) == 1 else None


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year  # invoices with 2-digit years are this century


def _iso(year: int, month: int, day: int) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Currencies

_CODES = (
    "EUR USD GBP CHF JPY CNY INR MYR SGD AUD CAD NZD HKD SEK NOK DKK PLN CZK HUF RON BGN HRK "
    "TRY RUB UAH ZAR BRL MXN ARS CLP COP PEN IDR THB VND PHP KRW TWD AED SAR QAR ILS EGP NGN "
    "KES MAD ISK"
)
CURRENCY_CODES = frozenset(_CODES.split())
# Symbols and words as printed; "$" alone is read as USD, "kr" is left out (SEK/NOK/DKK).
CURRENCY_SYMBOLS: Mapping[str, str] = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP",
    "$": "USD", "us$": "USD", "usd": "USD", "dollars": "USD", "dollar": "USD",
    "¥": "JPY", "₹": "INR", "rs": "INR", "rs.": "INR", "inr": "INR", "rupees": "INR",
    "rm": "MYR", "myr": "MYR", "chf": "CHF", "fr.": "CHF", "s$": "SGD", "a$": "AUD",
    "c$": "CAD", "hk$": "HKD", "zł": "PLN", "kč": "CZK", "₺": "TRY", "₽": "RUB", "₩": "KRW",
    "r$": "BRL", "฿": "THB", "₫": "VND", "₱": "PHP", "₪": "ILS",
}  # fmt: skip
_CURRENCY_TOKEN = re.compile(r"[A-Za-z]{1,3}\$|[$€£¥₹₺₽₩฿₫₱₪]|[A-Za-zéłč]+\.?")


def parse_currency(raw: str) -> str | None:
    """The ISO 4217 code that ``raw`` names or whose symbol it carries, or None."""
    text = raw.strip()
    if text.upper() in CURRENCY_CODES:
        return text.upper()
    for token in _CURRENCY_TOKEN.findall(text):
        code = _currency_of_token(token)
        if code:
            return code
    return None


def _currency_of_token(token: str) -> str | None:
    if token.isupper() and token in CURRENCY_CODES:
        return token
    return CURRENCY_SYMBOLS.get(token.casefold())


# ---------------------------------------------------------------------------------------------
# Bank and tax identifiers

_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def compact(raw: str) -> str:
    """``raw`` upper-cased without spaces, dots, dashes and slashes (how IDs are compared)."""
    return re.sub(r"[\s.\-/\u00a0]", "", raw).upper()


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97: the IBAN moved and turned into digits leaves 1."""
    value = compact(iban)
    if not _IBAN.fullmatch(value):
        return False
    moved = value[4:] + value[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def parse_iban(raw: str) -> str | None:
    value = compact(raw.replace("IBAN", "").replace(":", ""))
    return value if iban_checksum_ok(value) else None


_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def parse_bic(raw: str) -> str | None:
    value = compact(raw.replace(":", ""))
    if value.startswith(("BIC", "SWIFT")) and len(value) > 11:
        value = value.removeprefix("BIC").removeprefix("SWIFT")
    return value if _BIC.fullmatch(value) else None


# EU VAT ID shapes (after the country prefix); other countries: 2 letters + 8..12 characters.
VAT_PATTERNS: Mapping[str, str] = {
    "AT": r"U\d{8}", "BE": r"[01]?\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}", "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]", "FI": r"\d{8}", "FR": r"[A-Z0-9]{2}\d{9}",
    "HR": r"\d{11}", "HU": r"\d{8}", "IE": r"\d[A-Z0-9+*]\d{5}[A-Z]{1,2}", "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}", "LU": r"\d{8}", "LV": r"\d{11}", "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}", "PL": r"\d{10}", "PT": r"\d{9}", "RO": r"\d{2,10}", "SE": r"\d{12}",
    "SI": r"\d{8}", "SK": r"\d{10}", "XI": r"\d{9}|\d{12}", "GB": r"\d{9}|\d{12}",
    "CH": r"E\d{9}(?:MWST|TVA|IVA)?", "NO": r"\d{9}(?:MVA)?",
}  # fmt: skip


def parse_vat_id(raw: str) -> str | None:
    """A VAT identification number in its compact form (``DE123456789``), or None."""
    value = compact(raw).replace(":", "")
    if value.startswith("CHE"):
        value = "CH" + value[3:]
    country, rest = value[:2], value[2:]
    pattern = VAT_PATTERNS.get(country)
    if pattern is not None:
        return value if re.fullmatch(pattern, rest) else None
    if re.fullmatch(r"[A-Z]{2}[A-Z0-9]{8,12}", value) and sum(c.isdigit() for c in rest) >= 6:
        return value
    return None


# ---------------------------------------------------------------------------------------------
# One entry point per field kind


def _text(raw: str) -> str | None:
    text = " ".join(raw.split()).strip(" :;,")
    return text or None


def _address(raw: str) -> str | None:
    lines = [" ".join(line.split()).strip(" ,") for line in re.split(r"[\n\r]+", raw)]
    text = ", ".join(line for line in lines if line)
    return text or None


def _identifier(raw: str) -> str | None:
    text = " ".join(raw.split()).strip(" :;,.")
    return text if any(ch.isalnum() for ch in text) else None


def _percent(raw: str) -> str | None:
    return parse_number(raw)


_NORMALISERS: Mapping[FieldKind, Callable[[str], str | None]] = {
    FieldKind.TEXT: _text,
    FieldKind.ADDRESS: _address,
    FieldKind.IDENTIFIER: _identifier,
    FieldKind.DATE: parse_date,
    FieldKind.AMOUNT: parse_amount,
    FieldKind.CURRENCY: parse_currency,
    FieldKind.QUANTITY: parse_number,
    FieldKind.PERCENT: _percent,
    FieldKind.IBAN: parse_iban,
    FieldKind.BIC: parse_bic,
    FieldKind.VAT_ID: parse_vat_id,
}


def normalise(kind: FieldKind, raw: str) -> str | None:
    """``raw`` as the canonical value of a field of ``kind``, or None when it is not one."""
    if not raw or not raw.strip():
        return None
    return _NORMALISERS[kind](raw)
