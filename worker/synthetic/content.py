"""What a synthetic document says, before anyone decides how it looks.

Amounts are :class:`~decimal.Decimal` and rounded half-up to cents once, where an accountant
would round: each line total, then each tax amount per rate. Everything else is summed from
those, so line totals add up to the net amount and net plus tax is the total, exactly.
"""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from worker.synthetic import corpus
from worker.synthetic.identifiers import (
    make_bic,
    make_customer_number,
    make_iban,
    make_invoice_number,
    make_order_number,
    make_vat_id,
)
from worker.synthetic.locales import LOCALES, Locale

CENT = Decimal("0.01")
FIRST_DAY = date(2019, 1, 1)
DAYS_SPAN = 7 * 365
MAILBOXES = ("info", "billing", "office", "accounts", "hello")


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    address: tuple[str, ...]  # printed lines, without the name
    country: str
    tax_id: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class Item:
    description: str
    code: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    tax_rate: Decimal
    line_total: Decimal


@dataclass(frozen=True, slots=True)
class TaxLine:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Invoice:
    number: str
    issue_date: date
    due_date: date
    payment_days: int
    vendor: Party
    customer: Party
    currency: str
    items: tuple[Item, ...]
    taxes: tuple[TaxLine, ...]
    paid: Decimal
    purchase_order: str
    customer_number: str
    bank_name: str
    iban: str
    bic: str

    @property
    def net(self) -> Decimal:
        return sum((item.line_total for item in self.items), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return sum((line.amount for line in self.taxes), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.paid


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def random_date(rng: random.Random) -> date:
    return FIRST_DAY + timedelta(days=rng.randrange(DAYS_SPAN))


def fill_pattern(rng: random.Random, pattern: str) -> str:
    """Replace each ``#`` with a digit and each ``A`` with a capital letter."""
    return "".join(
        rng.choice(string.digits)
        if char == "#"
        else rng.choice(string.ascii_uppercase)
        if char == "A"
        else char
        for char in pattern
    )


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum())[:24] or "mail"


def make_address(rng: random.Random, country: str, language: str) -> tuple[str, ...]:
    """Street and town lines in the country's order; sometimes a country line."""
    street_language = rng.choice(corpus.COUNTRY_LANGUAGE[country])
    street = rng.choice(corpus.STREETS[street_language])
    number = str(rng.randint(1, 240)) + rng.choice(["", "", "", "a", "b"])
    city, postcode_pattern, region = rng.choice(corpus.CITIES[country])
    postcode = fill_pattern(rng, postcode_pattern)
    if country == "US":
        lines = [f"{number} {street}"]
        if rng.random() < 0.3:
            lines.append(f"Suite {rng.randint(100, 950)}")
        lines.append(f"{city}, {region} {postcode}")
    elif country == "GB":
        lines = [f"{number} {street}", city, postcode]
    elif country == "FR":
        lines = [f"{number} {street}", f"{postcode} {rng.choice([city, city.upper()])}"]
    else:
        lines = [f"{street} {number}", f"{postcode} {city}"]
    if rng.random() < 0.25:
        lines.append(corpus.COUNTRY_NAMES[language][country])
    return tuple(lines)


def make_party(rng: random.Random, country: str, language: str, *, shop: bool = False) -> Party:
    name_language = rng.choice(corpus.COUNTRY_LANGUAGE[country])
    surnames = corpus.SURNAMES[name_language]
    surname, other = rng.sample(surnames, 2)
    trade = rng.choice(corpus.TRADES[name_language])
    city = rng.choice(corpus.CITIES[country])[0]
    patterns = (corpus.SHOP_PATTERNS if shop else corpus.COMPANY_PATTERNS)[name_language]
    name = rng.choice(patterns).format(
        s=surname, s2=other, t=trade, c=city, S=surname.upper(), T=trade.upper()
    )
    domain = corpus.EMAIL_DOMAINS[country]
    return Party(
        name=name,
        address=make_address(rng, country, language),
        country=country,
        tax_id=make_vat_id(rng, country),
        phone=fill_pattern(rng, corpus.PHONE_PATTERNS[country]),
        email=f"{rng.choice(MAILBOXES)}@{ascii_slug(' '.join(name.split()[:2]))}.{domain}",
    )


def make_quantity(rng: random.Random, unit_class: str) -> Decimal:
    if unit_class == "hour":
        return Decimal(rng.randint(1, 80)) / 2
    if unit_class == "kg":
        return Decimal(rng.randint(5, 2500)) / 100
    if unit_class == "metre":
        return Decimal(rng.choice([rng.randint(1, 60), rng.randint(1, 60) + 0.5])).normalize()
    if unit_class == "flat":
        return Decimal(1)
    if unit_class == "month":
        return Decimal(rng.randint(1, 12))
    return Decimal(rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6, 10, 12, 20, 25, 50, 100]))


def make_item(rng: random.Random, language: str, rate: Decimal) -> Item:
    description, unit_class, low, high = rng.choice(corpus.PRODUCTS[language])
    price = Decimal(str(rng.uniform(low, high)))
    # Services are priced in whole units more often than goods.
    price = price.quantize(Decimal(1)) if unit_class in {"hour", "flat"} else cents(price)
    price = max(price, CENT).quantize(CENT)
    quantity = make_quantity(rng, unit_class)
    if unit_class == "piece" and price > 100:  # nobody orders fifty office chairs at once
        quantity = Decimal(rng.choice([1, 1, 2, 3, 5]))
    letters = "".join(rng.choices(string.ascii_uppercase, k=2))
    code = rng.choice(
        [
            str(rng.randint(10000, 99999)),
            f"{letters}-{rng.randint(100, 9999)}",
            f"{ascii_slug(description)[:3].upper()}{rng.randint(10, 999)}",
        ]
    )
    return Item(
        description=description,
        code=code,
        quantity=quantity,
        unit=rng.choice(corpus.UNITS[language][unit_class]),
        unit_price=price,
        tax_rate=rate,
        line_total=cents(quantity * price),
    )


def make_taxes(items: tuple[Item, ...]) -> tuple[TaxLine, ...]:
    """One tax line per rate, each rounded once on its base."""
    lines = []
    for rate in sorted({item.tax_rate for item in items}, reverse=True):
        base = sum((item.line_total for item in items if item.tax_rate == rate), Decimal("0.00"))
        lines.append(TaxLine(rate, base, cents(base * rate / 100)))
    return tuple(lines)


def item_rates(rng: random.Random, locale: Locale, count: int) -> list[Decimal]:
    """Mostly one rate per invoice; sometimes the reduced rate on a few lines too."""
    standard = locale.tax_rates[0] if locale.country != "US" else rng.choice(locale.tax_rates)
    reduced = [rate for rate in locale.tax_rates[1:] if rate > 0]
    if count > 1 and reduced and locale.country != "US" and rng.random() < 0.2:
        second = rng.choice(reduced)
        return [second if rng.random() < 0.4 else standard for _ in range(count)]
    return [standard] * count


def make_invoice(rng: random.Random, locale: Locale, item_count: int) -> Invoice:
    language = locale.language
    vendor = make_party(rng, locale.country, language)
    customer_country = (
        locale.country
        if rng.random() < 0.8
        else rng.choice([other.country for other in LOCALES if other.country != "US"])
    )
    customer = make_party(rng, customer_country, language)
    rates = item_rates(rng, locale, item_count)
    items = tuple(make_item(rng, language, rate) for rate in rates)
    taxes = make_taxes(items)
    issued = random_date(rng)
    days = rng.choice([0, 7, 10, 14, 14, 30, 30, 30, 45, 60])
    bank_name, bank_code = rng.choice(corpus.BANKS[locale.country])
    return Invoice(
        number=make_invoice_number(rng, issued),
        issue_date=issued,
        due_date=issued + timedelta(days=days),
        payment_days=days,
        vendor=vendor,
        customer=customer,
        currency=rng.choice(locale.currencies),
        items=items,
        taxes=taxes,
        paid=make_deposit(rng, items, taxes),
        purchase_order=make_order_number(rng),
        customer_number=make_customer_number(rng),
        bank_name=bank_name,
        iban=make_iban(rng, locale.country, bank_code),
        bic=make_bic(rng, bank_code, locale.country),
    )


def make_deposit(
    rng: random.Random, items: tuple[Item, ...], taxes: tuple[TaxLine, ...]
) -> Decimal:
    """A deposit already paid on a few invoices, so that amount due differs from the total."""
    if rng.random() >= 0.12:
        return Decimal("0.00")
    gross = sum((item.line_total for item in items), Decimal(0)) + sum(t.amount for t in taxes)
    return cents(gross * Decimal(rng.choice([20, 30, 50])) / 100)
