"""How each language and country prints dates, amounts and labels.

A :class:`Locale` is a country's conventions; a :class:`Style` is the set of choices one
document makes among them (one date format, one amount format, one label per concept), so a
document is consistent with itself while documents vary from each other.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from worker.synthetic.labels import LABELS

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MONTHS: Mapping[str, tuple[str, ...]] = {
    "en": _words(
        "January February March April May June July August September October November December"
    ),
    "de": _words(
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
    ),
    "fr": _words(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ),
    "nl": _words(
        "januari februari maart april mei juni juli augustus september oktober november december"
    ),
}
# Abbreviations as printed: French and German keep some short months whole ("mai", "juin").
MONTHS_SHORT: Mapping[str, tuple[str, ...]] = {
    "en": _words("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"),
    "de": _words("Jan. Feb. März Apr. Mai Juni Juli Aug. Sep. Okt. Nov. Dez."),
    "fr": _words("janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc."),
    "nl": _words("jan. feb. mrt. apr. mei jun. jul. aug. sep. okt. nov. dec."),
}

# Date patterns: {d} day, {dd} zero-padded day, {mm} month, {yyyy}, {mon} short, {month} long.
DATE_PATTERNS: Mapping[str, str] = {
    "dot": "{dd}.{mm}.{yyyy}",
    "slash_dmy": "{dd}/{mm}/{yyyy}",
    "slash_mdy": "{mm}/{dd}/{yyyy}",
    "dash_dmy": "{dd}-{mm}-{yyyy}",
    "iso": "{yyyy}-{mm}-{dd}",
    "d_mon_y": "{d} {mon} {yyyy}",
    "d_month_y": "{d} {month} {yyyy}",
    "de_d_month_y": "{d}. {month} {yyyy}",
    "mon_d_y": "{mon} {d}, {yyyy}",
    "month_d_y": "{month} {d}, {yyyy}",
}


@dataclass(frozen=True, slots=True)
class Locale:
    code: str
    language: str
    country: str
    currencies: tuple[str, ...]
    date_patterns: tuple[str, ...]
    # (decimal mark, thousands separator) pairs in use; "" means no grouping.
    amount_formats: tuple[tuple[str, str], ...]
    symbol_first: bool
    page_size: tuple[float, float]
    tax_rates: tuple[Decimal, ...]


def _locale(
    code: str,
    *,
    currencies: str,
    dates: str,
    amounts: tuple[str, ...],
    symbol_first: bool,
    rates: str,
    page: tuple[float, float] = A4,
) -> Locale:
    """A locale from compact notation: space-separated lists; each amount format is the
    decimal mark followed by the thousands separator (none: no grouping)."""
    language, country = code.split("-")
    return Locale(
        code=code,
        language=language,
        country=country,
        currencies=tuple(currencies.split()),
        date_patterns=tuple(dates.split()),
        amount_formats=tuple((fmt[0], fmt[1:]) for fmt in amounts),
        symbol_first=symbol_first,
        page_size=page,
        tax_rates=tuple(Decimal(rate) for rate in rates.split()),
    )


# The first tax rate is the standard one; US "rates" are state sales taxes.
LOCALES: tuple[Locale, ...] = (
    _locale(
        "en-US",
        currencies="USD",
        dates="slash_mdy mon_d_y month_d_y iso",
        amounts=(".,", "."),
        symbol_first=True,
        rates="0 6.25 7 8.875",
        page=LETTER,
    ),
    _locale(
        "en-GB",
        currencies="GBP EUR",
        dates="slash_dmy d_mon_y d_month_y iso",
        amounts=(".,", "."),
        symbol_first=True,
        rates="20 5",
    ),
    _locale(
        "de-DE",
        currencies="EUR",
        dates="dot de_d_month_y iso",
        amounts=(",.", ","),
        symbol_first=False,
        rates="19 7",
    ),
    _locale(
        "de-AT",
        currencies="EUR",
        dates="dot de_d_month_y",
        amounts=(",.", ", "),
        symbol_first=False,
        rates="20 10",
    ),
    _locale(
        "de-CH",
        currencies="CHF EUR",
        dates="dot de_d_month_y iso",
        amounts=(".'", ",.", "."),
        symbol_first=True,
        rates="8.1 2.6",
    ),
    _locale(
        "fr-FR",
        currencies="EUR",
        dates="slash_dmy d_mon_y d_month_y",
        amounts=(", ", ",.", ","),
        symbol_first=False,
        rates="20 10 5.5",
    ),
    _locale(
        "fr-BE",
        currencies="EUR",
        dates="slash_dmy d_month_y dot",
        amounts=(",.", ", "),
        symbol_first=False,
        rates="21 6",
    ),
    _locale(
        "nl-NL",
        currencies="EUR",
        dates="dash_dmy d_month_y iso d_mon_y",
        amounts=(",.", ","),
        symbol_first=True,
        rates="21 9",
    ),
    _locale(
        "nl-BE",
        currencies="EUR",
        dates="slash_dmy dash_dmy d_month_y",
        amounts=(",.", ", "),
        symbol_first=True,
        rates="21 6",
    ),
)
LANGUAGES = ("en", "de", "fr", "nl")
SYMBOLS: Mapping[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def locales_for(language: str) -> tuple[Locale, ...]:
    found = tuple(locale for locale in LOCALES if locale.language == language)
    if not found:
        raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
    return found


@dataclass(frozen=True, slots=True)
class Style:
    """The printing choices of one document."""

    locale: Locale
    date_pattern: str
    decimal: str
    group: str
    label_choice: int  # which variant of each label this document prints

    @property
    def language(self) -> str:
        return self.locale.language

    def date(self, value: date) -> str:
        return format_date(value, self.date_pattern, self.language)

    def amount(self, value: Decimal) -> str:
        return format_amount(value, self.decimal, self.group)

    def number(self, value: Decimal) -> str:
        """A quantity or rate: no trailing zeros, the document's decimal mark."""
        return format_amount(value, self.decimal, self.group, places=None)

    def label(self, key: str, **values: object) -> str:
        variants = LABELS[self.language][key]
        # Mixing in the key keeps the choices of different labels from moving in lockstep.
        index = self.label_choice * 7 + sum(map(ord, key))
        return variants[index % len(variants)].format(**values)


def choose_style(rng: random.Random, locale: Locale) -> Style:
    decimal, group = rng.choice(locale.amount_formats)
    return Style(locale, rng.choice(locale.date_patterns), decimal, group, rng.randrange(6))


def format_date(value: date, pattern: str, language: str) -> str:
    return DATE_PATTERNS[pattern].format(
        d=value.day,
        dd=f"{value.day:02d}",
        mm=f"{value.month:02d}",
        yyyy=value.year,
        mon=MONTHS_SHORT[language][value.month - 1],
        month=MONTHS[language][value.month - 1],
    )


def format_amount(value: Decimal, decimal: str, group: str, places: int | None = 2) -> str:
    """``value`` with ``places`` decimals (``None``: as few as needed), grouped by thousands."""
    text = f"{abs(value):.{places}f}" if places is not None else plain_number(abs(value))
    whole, _, fraction = text.partition(".")
    if group:
        whole = f"{int(whole):,}".replace(",", group)
    sign = "-" if value < 0 else ""
    return sign + whole + (decimal + fraction if fraction else "")


def plain_number(value: Decimal) -> str:
    """The normalised export form of a quantity or rate: "2", "1.5", "8.875"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value: Decimal) -> str:
    """The normalised export form of an amount: "1234.50"."""
    return f"{value:.2f}"
